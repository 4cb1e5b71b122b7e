use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ito_assistant::Assistant;
use ito_protocol::chat::{Author, ConversationId, EventKind};
use leptos::prelude::*;

use super::workspace::Shared;
use crate::api;
use crate::i18n::t;

/// Answers shown at once.
const SHOWN: usize = 6;

thread_local! {
    /// Each site's base in each locale, fetched and indexed once per page load.
    static ASSISTANTS: RefCell<HashMap<(String, String), Rc<Assistant>>> = RefCell::default();
}

async fn assistant(site: String, locale: String) -> Result<Rc<Assistant>, api::ApiError> {
    let key = (site.clone(), locale.clone());
    if let Some(found) = ASSISTANTS.with(|a| a.borrow().get(&key).cloned()) {
        return Ok(found);
    }
    let base = api::knowledge_base(&site, &locale).await?;
    let assistant = Rc::new(Assistant::new(base));
    ASSISTANTS.with(|a| a.borrow_mut().insert(key, Rc::clone(&assistant)));
    Ok(assistant)
}

/// Finds an FAQ answer (in the visitor's language, ranked by the assistant against what
/// they last wrote) and hands its text to the reply box.
#[component]
pub fn AnswerPicker(
    /// The conversation replied in: its site and the visitor's locale choose the base.
    id: ConversationId,
    /// Called with the chosen answer's text (Markdown, as the site wrote it).
    on_pick: Callback<String>,
    /// Called when the agent closes the picker without choosing.
    on_close: Callback<()>,
) -> impl IntoView {
    let shared: Shared = expect_context();
    let (site, locale, last_words) = shared.desk.with_untracked(|d| {
        let site = d
            .inbox
            .iter()
            .find(|e| e.conversation == id)
            .map(|e| e.site.clone());
        let opened = d.opened.get(&id);
        let locale = opened
            .and_then(|o| o.context.locale)
            .map_or("en", |l| l.code())
            .to_owned();
        let last_words = opened
            .and_then(|o| {
                o.events.iter().rev().find_map(|e| match &e.kind {
                    EventKind::Message {
                        author: Author::Visitor,
                        text,
                        ..
                    } => Some(text.clone()),
                    _ => None,
                })
            })
            .or_else(|| {
                opened.and_then(|o| {
                    o.context
                        .transcript
                        .iter()
                        .rev()
                        .find(|l| l.author == Author::Visitor)
                        .map(|l| l.text.clone())
                })
            })
            .unwrap_or_default();
        (site, locale, last_words)
    });
    let query = RwSignal::new(last_words);
    let loaded = LocalResource::new(move || {
        let (site, locale) = (site.clone(), locale.clone());
        async move {
            match site {
                Some(site) => assistant(site, locale).await.ok(),
                None => None,
            }
        }
    });
    let results = move || {
        let assistant = loaded.get().flatten()?;
        let query = query.get();
        let articles: Vec<(String, String)> = if query.trim().is_empty() {
            assistant
                .base()
                .articles
                .iter()
                .take(SHOWN)
                .map(|a| (a.title.clone(), a.answer.clone()))
                .collect()
        } else {
            assistant
                .ask(&query, SHOWN)
                .hits
                .iter()
                .filter_map(|hit| assistant.article(&hit.id))
                .map(|a| (a.title.clone(), a.answer.clone()))
                .collect()
        };
        Some(articles)
    };
    view! {
        <div
            class="answer-picker"
            role="dialog"
            aria-label=t("answers.label")
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    on_close.run(());
                }
            }
        >
            <input
                class="answer-picker__search"
                type="search"
                aria-label=t("answers.search")
                placeholder=t("answers.search")
                autofocus
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
            />
            <ul class="answer-picker__results">
                {move || match results() {
                    None => view! { <li class="answer-picker__note">{t("answers.loading")}</li> }.into_any(),
                    Some(found) if found.is_empty() => {
                        view! { <li class="answer-picker__note">{t("answers.none")}</li> }.into_any()
                    }
                    Some(found) => found
                        .into_iter()
                        .map(|(title, answer)| {
                            let preview: String = answer.chars().take(140).collect();
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="answer-picker__answer"
                                        on:click=move |_| on_pick.run(answer.clone())
                                    >
                                        <strong>{title}</strong>
                                        <span>{preview}</span>
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                        .into_any(),
                }}
            </ul>
        </div>
    }
}

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
/// The agent has paused typing: the server is asked for its ranking.
const PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

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
    on_pick: Callback<(String, String)>,
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
    // The server's ranking of the query the agent paused on, which replaces the browser's
    // own once it arrives (the same the widget shows visitors).
    let server_ranking = RwSignal::new(None::<(String, Vec<String>)>);
    let typed = StoredValue::new(0u32);
    let (server_site, server_locale) = (site.clone(), locale.clone());
    Effect::new(move || {
        let asked = query.get();
        let Some(site) = server_site.clone().filter(|_| !asked.trim().is_empty()) else {
            return;
        };
        let generation = typed.get_value().wrapping_add(1);
        typed.set_value(generation);
        let locale = server_locale.clone();
        set_timeout(
            move || {
                if typed.get_value() != generation {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(reply) = api::answers(&site, &locale, &asked).await {
                        let ids = reply.hits.into_iter().map(|h| h.id).collect();
                        server_ranking.set(Some((asked, ids)));
                    }
                });
            },
            PAUSE,
        );
    });
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
        let articles: Vec<(String, String, String)> = if query.trim().is_empty() {
            assistant
                .base()
                .articles
                .iter()
                .take(SHOWN)
                .map(|a| (a.id.clone(), a.title.clone(), a.answer.clone()))
                .collect()
        } else {
            let ranked: Vec<String> = match server_ranking.get() {
                Some((asked, ids)) if asked == query => ids,
                _ => assistant
                    .ask(&query, SHOWN)
                    .hits
                    .into_iter()
                    .map(|hit| hit.id)
                    .collect(),
            };
            ranked
                .iter()
                .filter_map(|id| assistant.article(id))
                .take(SHOWN)
                .map(|a| (a.id.clone(), a.title.clone(), a.answer.clone()))
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
                        .map(|(article, title, answer)| {
                            let preview: String = answer.chars().take(140).collect();
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="answer-picker__answer"
                                        on:click=move |_| on_pick.run((article.clone(), answer.clone()))
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

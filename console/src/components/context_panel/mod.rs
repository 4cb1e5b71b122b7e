use ito_protocol::chat::{Author, ConversationStatus, HandoffContext, TranscriptLine};
use leptos::prelude::*;

use super::age;
use super::inbox::reason_text;
use super::workspace::Shared;
use crate::desk::Opened;
use crate::device;
use crate::i18n::{fill, t};

/// What the agent should know about the selected conversation: the five-second summary first,
/// then the bot transcript, pages, device, attributes and earlier conversations.
#[component]
pub fn ContextPanel() -> impl IntoView {
    let shared: Shared = expect_context();
    let opened = move || {
        shared
            .desk
            .with(|d| d.selected.as_ref().and_then(|id| d.opened.get(id)).cloned())
    };
    view! {
        <aside class="context" aria-label=t("context.label")>
            {move || opened().map(|o| view! { <Details opened=o /> })}
        </aside>
    }
}

#[component]
fn Details(
    /// The conversation's context as the server sent it.
    opened: Opened,
) -> impl IntoView {
    let shared: Shared = expect_context();
    let Opened {
        summary,
        context,
        reason,
        earlier,
        visitor,
        ..
    } = opened;
    let who = visitor.map(|v| {
        let name = [v.name, v.email, v.id]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        let (class, label) = if v.verified {
            (
                "context__badge context__badge--verified",
                t("context.verified"),
            )
        } else {
            (
                "context__badge context__badge--unverified",
                t("context.unverified"),
            )
        };
        view! {
            <section class="context__section">
                <h2 class="context__heading">{t("context.visitor")}</h2>
                <p class="context__visitor">{name} " " <span class=class>{label}</span></p>
            </section>
        }
    });
    let HandoffContext {
        transcript,
        current_page,
        pages,
        locale,
        timezone,
        user_agent,
        attributes,
        ..
    } = context;
    let row = |label: &'static str, value: Option<String>| {
        value.filter(|v| !v.is_empty()).map(|value| {
            view! {
                <dt>{t(label)}</dt>
                <dd>{value}</dd>
            }
        })
    };
    view! {
        <section class="context__section context__summary">
            <h2 class="context__heading">{t("context.summary")}</h2>
            <ul>{summary.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
        </section>
        {who}
        <section class="context__section">
            <dl class="context__facts">
                {row("context.reason", Some(reason_text(reason).to_owned()))}
                {row("context.page", current_page)}
                {row("context.device", user_agent.as_deref().map(device::describe))}
                {row("context.locale", locale.map(|l| l.code().to_owned()))}
                {row("context.timezone", timezone)}
            </dl>
        </section>
        <section class="context__section">
            <h2 class="context__heading">{t("context.transcript")}</h2>
            <ol class="context__transcript">
                {transcript.into_iter().map(transcript_line).collect_view()}
            </ol>
        </section>
        <section class="context__section">
            <h2 class="context__heading">{fill("context.pages", "n", &pages.len().to_string())}</h2>
            <ol class="context__pages">
                {pages
                    .into_iter()
                    .map(|(url, title)| {
                        let label = if title.is_empty() { url.clone() } else { title };
                        let web = url.starts_with("https://") || url.starts_with("http://");
                        view! {
                            <li>
                                {if web {
                                    view! { <a href=url.clone() target="_blank" rel="noopener noreferrer" title=url>{label}</a> }.into_any()
                                } else {
                                    view! { <span>{label}</span> }.into_any()
                                }}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
        <Show when={
            let empty = attributes.is_empty();
            move || !empty
        }>
            <section class="context__section">
                <h2 class="context__heading">{t("context.attributes")}</h2>
                <dl class="context__facts">
                    {attributes
                        .iter()
                        .map(|(key, value)| {
                            let value = match value {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            view! {
                                <dt>{key.clone()}</dt>
                                <dd>{value}</dd>
                            }
                        })
                        .collect_view()}
                </dl>
            </section>
        </Show>
        <section class="context__section">
            <h2 class="context__heading">{t("context.earlier")}</h2>
            {if earlier.is_empty() {
                view! { <p class="context__none">{t("context.no_earlier")}</p> }.into_any()
            } else {
                view! {
                    <ul class="context__earlier">
                        {earlier
                            .into_iter()
                            .map(|e| {
                                let id = e.conversation.clone();
                                let closed = matches!(e.status, ConversationStatus::Resolved | ConversationStatus::Ended);
                                view! {
                                    <li>
                                        <button type="button" on:click=move |_| shared.open(id.clone())>
                                            {age(&e.started)} " · "
                                            {if closed { t("status.resolved") } else { t("status.assigned") }} " · "
                                            {e.first_words.unwrap_or_default()}
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

fn transcript_line(line: TranscriptLine) -> impl IntoView {
    let (who, detail) = match &line.author {
        Author::Visitor => (t("author.visitor").to_owned(), String::new()),
        Author::Bot {
            article,
            confidence,
        } => {
            let mut detail = article.clone().unwrap_or_default();
            if let Some(c) = confidence {
                detail.push_str(&format!(" · {:.0}%", c * 100.0));
            }
            (t("author.bot").to_owned(), detail)
        }
        Author::Agent { name, .. } => (name.clone(), String::new()),
    };
    let judged = match line.helpful {
        Some(true) => t("context.helped"),
        Some(false) => t("context.did_not_help"),
        None => "",
    };
    view! {
        <li class="context__line">
            <span class="context__who">{who}</span>
            <span class="context__text">{line.text}</span>
            <span class="context__detail">{detail} " " {judged}</span>
        </li>
    }
}

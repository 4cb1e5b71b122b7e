use ito_protocol::chat::{ConversationStatus, HandoffReason, InboxEntry};
use leptos::prelude::*;

use super::age;
use super::conversation::status_text;
use super::knowledge::words;
use super::workspace::Shared;
use crate::api;
use crate::desk::Filter;
use crate::i18n::t;

pub fn reason_text(reason: Option<HandoffReason>) -> &'static str {
    match reason {
        Some(HandoffReason::Asked) => t("reason.asked"),
        Some(HandoffReason::Unsure) => t("reason.unsure"),
        Some(HandoffReason::NotHelpful) => t("reason.not_helpful"),
        Some(HandoffReason::Frustrated) => t("reason.frustrated"),
        None => "",
    }
}

/// The list of open conversations: waiting, mine, all.
#[component]
pub fn Inbox() -> impl IntoView {
    let shared: Shared = expect_context();
    let desk = shared.desk;
    let tab = move |filter: Filter, key: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                class="inbox__tab"
                aria-selected=move || desk.with(|d| d.filter == filter).to_string()
                on:click=move |_| desk.update(|d| d.filter = filter)
            >
                {t(key)}
                " "
                <span class="inbox__count">{move || desk.with(|d| d.count(filter))}</span>
            </button>
        }
    };
    let entries = move || desk.with(|d| d.visible().into_iter().cloned().collect::<Vec<_>>());
    // A search of past and present conversations; while it has results they replace the list.
    let typed = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Result<Vec<api::Found>, String>>);
    let search = move || {
        let asked = typed.get_untracked();
        if asked.trim().is_empty() {
            found.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            found.set(Some(api::search(&asked).await.map_err(words)));
        });
    };
    view! {
        <nav class="inbox" aria-label=t("inbox.label")>
            <form class="inbox__search" role="search" on:submit=move |ev| { ev.prevent_default(); search(); }>
                <input
                    type="search"
                    aria-label=t("inbox.search")
                    placeholder=t("inbox.search")
                    prop:value=move || typed.get()
                    on:input=move |ev| {
                        typed.set(event_target_value(&ev));
                        if typed.with_untracked(|w| w.is_empty()) {
                            found.set(None);
                        }
                    }
                />
            </form>
            {move || found.get().map(|result| match result {
                Err(said) => view! { <p class="inbox__empty" role="alert">{said}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="inbox__empty">{t("inbox.none_found")}</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="inbox__list inbox__found" aria-label=t("inbox.found")>
                        {list.into_iter().map(|f| {
                            let id = f.conversation.clone();
                            let who = f.visitor.clone().or(f.email.clone()).unwrap_or_else(|| t("visitor.anonymous").to_owned());
                            view! {
                                <li>
                                    <button type="button" class="inbox__item" on:click=move |_| shared.open(id.clone())>
                                        <span class="inbox__who">{who}</span>
                                        <span class="inbox__age">{f.started_at.chars().take(10).collect::<String>()}</span>
                                        <span class="inbox__meta">
                                            {status_text(Some(f.status))} " · " {f.agent.clone().unwrap_or_default()} " · " {f.site.clone()}
                                        </span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
            <div class="inbox__tabs" role="tablist">
                {tab(Filter::Waiting, "inbox.waiting")}
                {tab(Filter::Mine, "inbox.mine")}
                {tab(Filter::All, "inbox.all")}
            </div>
            {move || {
                let labels = desk.with(|d| d.labels_in_inbox());
                (!labels.is_empty() || desk.with(|d| d.label.is_some())).then(|| view! {
                    <label class="inbox__label-filter">
                        {t("inbox.label_filter")}
                        <select
                            prop:value=move || desk.with(|d| d.label.clone().unwrap_or_default())
                            on:change=move |ev| {
                                let chosen = event_target_value(&ev);
                                desk.update(|d| d.label = (!chosen.is_empty()).then_some(chosen));
                            }
                        >
                            <option value="">{t("inbox.every_label")}</option>
                            {labels.into_iter().map(|l| view! { <option value=l.clone()>{l.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                })
            }}
            <ul class="inbox__list">
                <For
                    each=entries
                    key=|entry| format!("{}{:?}{:?}{:?}{:?}", entry.conversation, entry.status, entry.agent, entry.preview, entry.labels)
                    children=move |entry| view! { <InboxItem entry=entry /> }
                />
            </ul>
            <Show when=move || desk.with(|d| d.visible().is_empty())>
                <p class="inbox__empty">{t("inbox.empty")}</p>
            </Show>
            <p class="inbox__keys">{t("keys.hint")}</p>
        </nav>
    }
}

/// One conversation in the inbox.
#[component]
fn InboxItem(
    /// The conversation as the server listed it.
    entry: InboxEntry,
) -> impl IntoView {
    let shared: Shared = expect_context();
    let id = entry.conversation.clone();
    let current = {
        let id = id.clone();
        move || shared.desk.with(|d| d.selected.as_ref() == Some(&id))
    };
    let who = entry
        .visitor
        .clone()
        .unwrap_or_else(|| t("visitor.anonymous").to_owned());
    let status = match (&entry.status, &entry.agent) {
        (ConversationStatus::Waiting, _) => t("status.waiting").to_owned(),
        (_, Some(agent)) => agent.name.clone(),
        _ => String::new(),
    };
    view! {
        <li>
            <button
                type="button"
                class="inbox__item"
                aria-current=move || current().to_string()
                on:click=move |_| shared.open(id.clone())
            >
                <span class="inbox__who">{who}</span>
                <span class="inbox__age">{age(&entry.since)}</span>
                <span class="inbox__preview">{entry.preview.clone().unwrap_or_default()}</span>
                <span class="inbox__meta">
                    {reason_text(entry.reason)} " · " {status} " · " {entry.site.clone()}
                </span>
                {(!entry.labels.is_empty()).then(|| view! {
                    <span class="inbox__labels">
                        {entry.labels.iter().map(|l| view! { <span class="inbox__tag">{l.clone()}</span> }).collect_view()}
                    </span>
                })}
            </button>
        </li>
    }
}

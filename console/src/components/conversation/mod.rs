use ito_protocol::chat::{
    AgentToServer, Author, ConversationId, ConversationStatus, Event, EventKind,
};
use leptos::html::Textarea;
use leptos::prelude::*;

use super::answer_picker::AnswerPicker;
use super::inbox::reason_text;
use super::transfer::Transfer;
use super::workspace::Shared;
use crate::i18n::{fill, t};
use crate::keys::Action;
use crate::{api, canned};

/// The `keyCode` of a key press an input method (IME) is handling: its Enter confirms a
/// Japanese conversion and must not send.
const IME_PROCESS_KEY: u32 = 229;
/// How often "typing" is repeated while the agent keeps typing, and how long after the last
/// key it stops, in milliseconds.
const TYPING_EVERY_MS: f64 = 2_000.0;
const TYPING_IDLE_MS: u64 = 3_000;

/// The selected conversation: what happened in it, and the reply box for its agent.
#[component]
pub fn Conversation() -> impl IntoView {
    let shared: Shared = expect_context();
    let desk = shared.desk;
    // Only a different selection makes a new view: rebuilt on every frame, the reply box
    // would lose what the agent was typing (and its timers would outlive it).
    let selected = Memo::new(move |_| desk.with(|d| d.selected.clone()));
    view! {
        <main class="conversation">
            {move || match selected.get() {
                None => view! { <p class="conversation__none">{t("conversation.none")}</p> }.into_any(),
                Some(id) => view! { <Opened id=id /> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn Opened(
    /// The conversation shown.
    id: ConversationId,
) -> impl IntoView {
    let shared: Shared = expect_context();
    let desk = shared.desk;
    let id = StoredValue::new(id);
    let status =
        Memo::new(move |_| desk.with(|d| id.with_value(|id| d.opened.get(id).map(|o| o.status))));
    let mine = Memo::new(move |_| desk.with(|d| id.with_value(|id| d.can_write(id))));
    let claim = move || {
        shared.send(&AgentToServer::Claim {
            conversation: id.get_value(),
        })
    };
    let resolve = move || {
        shared.send(&AgentToServer::Resolve {
            conversation: id.get_value(),
        })
    };
    let draft = RwSignal::new(String::new());
    let picking = RwSignal::new(false);
    let input: NodeRef<Textarea> = NodeRef::new();
    Effect::new(move |_| {
        let Some(action) = shared.requested.get() else {
            return;
        };
        match action {
            Action::Claim if status.get() == Some(ConversationStatus::Waiting) => claim(),
            Action::Resolve if mine.get() => resolve(),
            Action::Reply => {
                if let Some(input) = input.get() {
                    let _ = input.focus();
                }
            }
            Action::InsertAnswer if mine.get() => picking.set(true),
            Action::ToggleOnline => return,
            _ => {}
        }
        shared.requested.set(None);
    });
    let events = move || {
        desk.with(|d| id.with_value(|id| d.opened.get(id).map(|o| o.events.clone())))
            .unwrap_or_default()
    };
    let read_up_to = move || {
        desk.with(|d| id.with_value(|id| d.opened.get(id).map_or(0, |o| o.visitor_read_up_to())))
    };
    let outbox = move || {
        desk.with(|d| id.with_value(|id| d.opened.get(id).map(|o| o.outbox.clone())))
            .unwrap_or_default()
    };
    let typing = move || {
        desk.with(|d| id.with_value(|id| d.opened.get(id).is_some_and(|o| o.visitor_typing)))
    };
    let last_typing = StoredValue::new(0.0_f64);
    let stop_typing = StoredValue::new(None::<TimeoutHandle>);
    let tell_typing = move |now_typing: bool| {
        shared.send(&AgentToServer::Typing {
            conversation: id.get_value(),
            typing: now_typing,
        });
    };
    // The article last inserted into the draft: the reply tells the server, whose editors
    // then get the visitor's question as a suggestion for it.
    let inserted = RwSignal::new(None::<String>);
    // Writing a private note for agents instead of a reply.
    let noting = RwSignal::new(false);
    let on_input = move |text: String| {
        draft.set(text);
        // A note is between agents: the visitor is not told someone is typing.
        if noting.get_untracked() {
            return;
        }
        let now = js_sys::Date::now();
        if now - last_typing.get_value() > TYPING_EVERY_MS {
            last_typing.set_value(now);
            tell_typing(true);
        }
        if let Some(handle) = stop_typing.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                // The conversation may have been closed meanwhile: then there is nothing to say.
                if last_typing.try_set_value(0.0).is_none() {
                    tell_typing(false);
                }
            },
            std::time::Duration::from_millis(TYPING_IDLE_MS),
        )
        .ok();
        stop_typing.set_value(handle);
    };
    let send = move || {
        let text = draft.get_untracked();
        let article = inserted.get_untracked();
        let frame = desk
            .try_update(|d| {
                id.with_value(|id| {
                    if noting.get_untracked() {
                        d.note(id, &text)
                    } else {
                        d.reply(id, &text, article)
                    }
                })
            })
            .flatten();
        if let Some(frame) = frame {
            shared.send(&frame);
            draft.set(String::new());
            inserted.set(None);
            if let Some(handle) = stop_typing.get_value() {
                handle.clear();
            }
            last_typing.set_value(0.0);
            tell_typing(false);
        }
    };
    // A file for the visitor: sent over HTTP, shown when its event comes back like a reply.
    let file_status = RwSignal::new(String::new());
    let send_file = move |file: web_sys::File| {
        let conversation = id.with_value(|id| id.as_str().to_owned());
        file_status.set(fill("conversation.attaching", "name", &file.name()));
        leptos::task::spawn_local(async move {
            file_status.set(match api::send_file(&conversation, &file).await {
                Ok(()) => String::new(),
                Err(api::ApiError::Refused(words) | api::ApiError::Failed(words)) => words,
                Err(api::ApiError::Unauthorized) => t("knowledge.signed_out").to_owned(),
            });
        });
    };
    let transferring = RwSignal::new(false);
    // Labels: those on the conversation (from the inbox) and the site's, to add.
    let on_it = move || {
        desk.with(|d| {
            id.with_value(|id| {
                d.inbox
                    .iter()
                    .find(|e| &e.conversation == id)
                    .map(|e| e.labels.clone())
                    .unwrap_or_default()
            })
        })
    };
    let label_site = desk.with_untracked(|d| {
        id.with_value(|id| {
            d.inbox
                .iter()
                .find(|e| &e.conversation == id)
                .map(|e| e.site.clone())
        })
    });
    let site_labels = LocalResource::new(move || {
        let site = label_site.clone();
        async move {
            match site {
                Some(site) => api::labels(&site).await.unwrap_or_default(),
                None => Vec::new(),
            }
        }
    });
    let put_label = move |label: String, on: bool| {
        shared.send(&AgentToServer::Label {
            conversation: id.get_value(),
            label,
            on,
        });
    };
    // The site's canned replies, and those the `/shortcut` at the end of the draft matches.
    let canned_site = desk.with_untracked(|d| {
        id.with_value(|id| {
            d.inbox
                .iter()
                .find(|e| &e.conversation == id)
                .map(|e| e.site.clone())
        })
    });
    let replies = LocalResource::new(move || {
        let site = canned_site.clone();
        async move {
            match site {
                Some(site) => api::canned(&site).await.unwrap_or_default(),
                None => Vec::new(),
            }
        }
    });
    let shortcuts = move || -> Vec<canned::Canned> {
        let draft = draft.get();
        let Some(typed) = canned::typed_shortcut(&draft) else {
            return Vec::new();
        };
        replies
            .get()
            .map(|all| canned::matching(&all, typed).into_iter().cloned().collect())
            .unwrap_or_default()
    };
    let use_canned = move |text: String| {
        let (visitor, agent) = desk.with_untracked(|d| {
            id.with_value(|id| {
                let visitor = d
                    .inbox
                    .iter()
                    .find(|e| &e.conversation == id)
                    .and_then(|e| e.visitor.clone());
                let agent = d
                    .opened
                    .get(id)
                    .and_then(|o| o.agent.as_ref())
                    .map(|a| a.name.clone())
                    .unwrap_or_default();
                (visitor, agent)
            })
        });
        let filled = canned::fill(
            &text,
            visitor.as_deref(),
            &agent,
            t("canned.visitor_fallback"),
        );
        draft.update(|d| *d = canned::insert(d, &filled));
        if let Some(input) = input.get_untracked() {
            let _ = input.focus();
        }
    };
    let title = move || {
        desk.with(|d| {
            id.with_value(|id| {
                let who = d
                    .inbox
                    .iter()
                    .find(|e| &e.conversation == id)
                    .and_then(|e| e.visitor.clone())
                    .unwrap_or_else(|| t("visitor.anonymous").to_owned());
                let reason = d
                    .opened
                    .get(id)
                    .map(|o| reason_text(o.reason))
                    .unwrap_or("");
                (who, reason)
            })
        })
    };
    view! {
        <section class="conversation__opened" aria-labelledby="conversation-title">
            <header class="conversation__header">
                <h1 id="conversation-title" class="conversation__title">
                    {move || title().0}
                    <small class="conversation__reason">{move || title().1}</small>
                </h1>
                <span class="conversation__status">{move || status_text(status.get())}</span>
                <Show when=move || matches!(status.get(), Some(ConversationStatus::Resolved | ConversationStatus::Ended))>
                    <button
                        type="button"
                        class="conversation__action"
                        on:click=move |_| shared.send(&AgentToServer::Reopen { conversation: id.get_value() })
                    >
                        {t("conversation.reopen")}
                    </button>
                </Show>
                <Show when=move || status.get() == Some(ConversationStatus::Waiting)>
                    <button
                        type="button"
                        class="conversation__action conversation__action--primary"
                        title=t("keys.claim")
                        on:click=move |_| claim()
                    >
                        {t("conversation.claim")}
                    </button>
                </Show>
                <Show when=move || mine.get()>
                    <button
                        type="button"
                        class="conversation__action"
                        aria-expanded=move || transferring.get().to_string()
                        on:click=move |_| transferring.update(|t| *t = !*t)
                    >
                        {t("conversation.transfer")}
                    </button>
                    <button
                        type="button"
                        class="conversation__action"
                        title=t("keys.resolve")
                        on:click=move |_| resolve()
                    >
                        {t("conversation.resolve")}
                    </button>
                </Show>
            </header>
            <div class="conversation__labels" aria-label=t("labels.label")>
                {move || on_it().into_iter().map(|label| {
                    let off = label.clone();
                    view! {
                        <span class="conversation__tag">
                            {label.clone()}
                            <button type="button" aria-label=fill("labels.remove", "label", &label) on:click=move |_| put_label(off.clone(), false)>"×"</button>
                        </span>
                    }
                }).collect_view()}
                {move || {
                    let free: Vec<String> = site_labels
                        .get()
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|l| !on_it().contains(l))
                        .collect();
                    (!free.is_empty()).then(|| view! {
                        <select
                            class="conversation__add-label"
                            aria-label=t("labels.add")
                            // Back to "Add a label" once one is chosen.
                            prop:value=move || { on_it(); String::new() }
                            on:change=move |ev| {
                                let chosen = event_target_value(&ev);
                                if !chosen.is_empty() {
                                    put_label(chosen, true);
                                }
                            }
                        >
                            <option value="">{t("labels.add")}</option>
                            {free.into_iter().map(|l| view! { <option value=l.clone()>{l.clone()}</option> }).collect_view()}
                        </select>
                    })
                }}
            </div>
            <Show when=move || transferring.get() && mine.get()>
                <Transfer conversation=id.get_value() on_close=Callback::new(move |()| transferring.set(false)) />
            </Show>
            <ol class="conversation__events" aria-live="polite">
                {move || {
                    let seen = read_up_to();
                    let events = events();
                    let last_agent = events
                        .iter()
                        .rev()
                        .find(|e| matches!(&e.kind, EventKind::Message { author: Author::Agent { .. }, .. }))
                        .map(|e| e.seq);
                    events
                        .into_iter()
                        .filter_map(|event| {
                            let seen_here = Some(event.seq) == last_agent && seen >= event.seq;
                            event_line(event, seen_here)
                        })
                        .collect_view()
                }}
                {move || {
                    outbox()
                        .into_iter()
                        .map(|pending| {
                            let text = pending.text;
                            let class = if pending.note {
                                "conversation__line conversation__line--note conversation__line--pending"
                            } else {
                                "conversation__line conversation__line--agent conversation__line--pending"
                            };
                            view! {
                                <li class=class>
                                    <p class="conversation__text">{text}</p>
                                    <span class="conversation__receipt">{t("conversation.sending")}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <p class="conversation__typing" aria-live="polite">
                {move || if typing() { t("conversation.visitor_typing") } else { "" }}
            </p>
            <Show when=move || mine.get()>
                <form
                    class="conversation__composer"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        send();
                    }
                >
                    <div class="conversation__modes" role="group" aria-label=t("conversation.mode")>
                        <button type="button" aria-pressed=move || (!noting.get()).to_string() on:click=move |_| noting.set(false)>
                            {t("conversation.mode_reply")}
                        </button>
                        <button type="button" aria-pressed=move || noting.get().to_string() on:click=move |_| noting.set(true)>
                            {t("conversation.mode_note")}
                        </button>
                    </div>
                    {move || {
                        let found = shortcuts();
                        (!found.is_empty()).then(|| view! {
                            <ul class="conversation__canned" aria-label=t("canned.label")>
                                {found.into_iter().map(|c| {
                                    let text = c.text.clone();
                                    view! {
                                        <li>
                                            <button type="button" on:click=move |_| use_canned(text.clone())>
                                                <strong>"/"{c.shortcut}</strong>" "<span>{c.text.chars().take(80).collect::<String>()}</span>
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })
                    }}
                    <textarea
                        class="conversation__input"
                        class:conversation__input--note=move || noting.get()
                        rows="3"
                        aria-label=move || if noting.get() { t("conversation.note_label") } else { t("conversation.reply_label") }
                        placeholder=move || if noting.get() { t("conversation.note_placeholder") } else { t("conversation.reply_placeholder") }
                        node_ref=input
                        prop:value=move || draft.get()
                        on:input=move |ev| on_input(event_target_value(&ev))
                        on:keydown=move |ev| {
                            let sends = ev.key() == "Enter"
                                && !ev.shift_key()
                                && !ev.is_composing()
                                && ev.key_code() != IME_PROCESS_KEY;
                            if sends {
                                ev.prevent_default();
                                // Enter on a `/shortcut` inserts its first match instead.
                                match shortcuts().first() {
                                    Some(first) => use_canned(first.text.clone()),
                                    None => send(),
                                }
                            }
                        }
                    ></textarea>
                    <div class="conversation__composer-actions">
                        <p class="conversation__file-status" role="status">{move || file_status.get()}</p>
                        // The browser's own picker, reached by keyboard through its label.
                        <label class="conversation__action conversation__attach">
                            {t("conversation.attach")}
                            <input
                                type="file"
                                accept="image/png,image/jpeg,image/gif,image/webp,application/pdf"
                                on:change=move |ev| {
                                    let input: web_sys::HtmlInputElement = event_target(&ev);
                                    if let Some(file) = input.files().and_then(|files| files.get(0)) {
                                        send_file(file);
                                    }
                                    input.set_value("");
                                }
                            />
                        </label>
                        <button
                            type="button"
                            class="conversation__action"
                            title=t("keys.insert_answer")
                            aria-expanded=move || picking.get().to_string()
                            on:click=move |_| picking.update(|p| *p = !*p)
                        >
                            {t("conversation.insert_answer")}
                        </button>
                        <button type="submit" class="conversation__action conversation__action--primary">
                            {t("conversation.send")}
                        </button>
                    </div>
                </form>
                <Show when=move || picking.get()>
                    <AnswerPicker
                        id=id.get_value()
                        on_pick=Callback::new(move |(article, answer): (String, String)| {
                            inserted.set(Some(article));
                            draft.update(|d| {
                                if !d.trim().is_empty() {
                                    d.push_str("\n\n");
                                }
                                d.push_str(&answer);
                            });
                            picking.set(false);
                            if let Some(input) = input.get_untracked() {
                                let _ = input.focus();
                            }
                        })
                        on_close=Callback::new(move |()| picking.set(false))
                    />
                </Show>
            </Show>
        </section>
    }
}

pub(crate) fn status_text(status: Option<ConversationStatus>) -> &'static str {
    match status {
        Some(ConversationStatus::Bot) => t("status.bot"),
        Some(ConversationStatus::Waiting) => t("status.waiting"),
        Some(ConversationStatus::Assigned) => t("status.assigned"),
        Some(ConversationStatus::Resolved) => t("status.resolved"),
        Some(ConversationStatus::Ended) => t("status.ended"),
        None => t("status.loading"),
    }
}

fn clock(at: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// One event as a line of the conversation; read receipts are not lines (`seen` marks the
/// agent's last message the visitor has read).
fn event_line(event: Event, seen: bool) -> Option<AnyView> {
    let time = clock(event.at);
    let system = |text: String| {
        view! {
            <li class="conversation__line conversation__line--system">
                {text} " · " <time>{time.clone()}</time>
            </li>
        }
        .into_any()
    };
    Some(match event.kind {
        EventKind::Message { author, text, .. } => {
            let (who, class) = match author {
                Author::Visitor => (t("author.visitor").to_owned(), "visitor"),
                Author::Bot { .. } => (t("author.bot").to_owned(), "bot"),
                Author::Agent { name, .. } => (name, "agent"),
            };
            view! {
                <li class=format!("conversation__line conversation__line--{class}")>
                    <span class="conversation__who">{who} " · " <time>{time.clone()}</time></span>
                    <p class="conversation__text">{text}</p>
                    {seen.then(|| view! { <span class="conversation__receipt">{t("conversation.seen")}</span> })}
                </li>
            }
            .into_any()
        }
        EventKind::HandoffRequested { reason } => system(fill(
            "conversation.handed_off",
            "reason",
            reason_text(Some(reason)),
        )),
        EventKind::AgentJoined { name, .. } => system(fill("conversation.joined", "name", &name)),
        EventKind::Resolved => system(t("conversation.resolved").to_owned()),
        EventKind::Ended => system(t("conversation.ended").to_owned()),
        EventKind::Note { author, text, .. } => {
            let who = match author {
                Author::Agent { name, .. } => name,
                _ => t("author.visitor").to_owned(),
            };
            view! {
                <li class="conversation__line conversation__line--note">
                    <span class="conversation__who">
                        <strong>{t("conversation.note")}</strong>" · "{who} " · " <time>{time.clone()}</time>
                    </span>
                    <p class="conversation__text">{text}</p>
                </li>
            }
            .into_any()
        }
        EventKind::Attachment { author, file } => {
            let (who, class) = match author {
                Author::Visitor => (t("author.visitor").to_owned(), "visitor"),
                Author::Bot { .. } => (t("author.bot").to_owned(), "bot"),
                Author::Agent { name, .. } => (name, "agent"),
            };
            let url = format!("/attachments/{}", file.id);
            let size = format!("{} KB", file.size.div_ceil(1024));
            let shown = file.media_type.starts_with("image/").then(|| {
                let thumbnail = format!("{url}/thumbnail");
                view! { <img class="conversation__thumbnail" src=thumbnail alt="" loading="lazy" /> }
            });
            view! {
                <li class=format!("conversation__line conversation__line--{class}")>
                    <span class="conversation__who">{who} " · " <time>{time.clone()}</time></span>
                    <a class="conversation__file" href=url target="_blank" rel="noopener">
                        {shown}
                        <span>{file.name} " (" {size} ")"</span>
                    </a>
                </li>
            }
            .into_any()
        }
        EventKind::Read { .. } => return None,
    })
}

//! The visitor widget: the chat panel that lives in the iframe the loader (`loader/ito.js`)
//! puts on the host page. Leptos, client-side rendered, compiled to wasm by Trunk.
//!
//! - [`articles`]: the site's knowledge base, fetched and indexed for the assistant.
//! - [`away`]: outside business hours, when the team is back, on the visitor's clock.
//! - [`connection`]: the live chat's WebSocket: hello, handoff, outbox resends, reconnects.
//! - [`context`]: the pages visited and what the host page said about the visitor, for the handoff.
//! - [`embed`]: where we are embedded (site, host origin, language) and the `postMessage` link to the loader.
//! - [`i18n`]: the visible strings, from `locales/*.json`, keyed by component.
//! - [`live`]: the live chat's outbox, reconnect delays and last event seen, as plain data.
//! - [`persist`]: the thread and context kept across reloads, by the privacy rule.
//! - [`storage`]: `localStorage` or `sessionStorage` with a memory fallback when the browser blocks them.
//! - [`thread`]: the conversation and how it moves (asking, answers, suggestions, feedback), without any view.
//! - [`thread_json`]: a stored thread read back by hand (smaller than serde's derived reader).
//! - [`upload`]: a file sent to the person over HTTP, with the conversation's token.
//! - [`components`]: the views, one folder each with its own CSS.

pub mod answers;
pub mod articles;
pub mod away;
pub mod components;
pub mod connection;
pub mod context;
pub mod embed;
pub mod i18n;
pub mod live;
pub mod persist;
pub mod storage;
pub mod thread;
pub mod thread_json;
pub mod upload;

use std::rc::Rc;
use std::sync::Arc;

use ito_assistant::{Assistant, KnowledgeBase};
use ito_protocol::chat::VisitorToServer;
use ito_protocol::embed::{Author, HostToWidget, SurveyScores, WidgetToHost};
use leptos::prelude::*;

use away::say_when_away;
use components::attach::attach;
use components::composer::Composer;
use components::message_list::{LineActions, MessageList};
use components::panel_header::PanelHeader;
use components::survey::SurveyAnswer;
use connection::LiveLink;
use context::VisitorContext;
use embed::EmbedContext;
use ito_protocol::Locale;
use ito_protocol::chat::HandoffContext;
use ito_protocol::site_settings::PreChatField;
use persist::Persisted;
use storage::Stores;
use thread::{Entry, Feedback, ServerQuestion, Thread};

/// What the person taking over gets from the widget: the bot transcript, the pages, the
/// visitor's language, time zone and browser, and what the host page said about them.
fn handoff_context(thread: &Thread, context: &VisitorContext, locale: Locale) -> HandoffContext {
    let timezone = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let timezone = js_sys::Reflect::get(&timezone, &"timeZone".into())
        .ok()
        .and_then(|t| t.as_string());
    HandoffContext {
        transcript: thread.transcript(),
        current_page: context.pages.last().map(|p| p.url.clone()),
        pages: context
            .pages
            .iter()
            .map(|p| (p.url.clone(), p.title.clone()))
            .collect(),
        locale: Some(locale),
        timezone,
        user_agent: window().navigator().user_agent().ok(),
        attributes: context.attributes.clone(),
        name: context.contact().0.map(str::to_owned),
        email: context.contact().1.map(str::to_owned),
    }
}

/// While the visitor types to a person, "typing" is repeated at most this often, and
/// withdrawn this long after the last key (milliseconds).
const TYPING_EVERY_MS: f64 = 2_000.0;
const TYPING_IDLE_MS: u64 = 3_000;

/// The bot's pause before an answer: long enough to read as a reply, short enough to never
/// be waited for.
pub const REPLY_DELAY_MS: u16 = 450;

/// Where the assistant's articles stand.
#[derive(Clone)]
enum Articles {
    Loading,
    Ready(Arc<Assistant>),
    Failed,
}

/// Asks the server `question`; whichever comes first, its answer or the end of
/// [`answers::WAIT`], settles its consultation.
fn consult(
    thread: RwSignal<Thread>,
    assistant: Arc<Assistant>,
    site: String,
    locale: Locale,
    question: ServerQuestion,
) {
    let ticket = question.ticket;
    let settle: Rc<dyn Fn(Option<ito_assistant::Reply>)> =
        Rc::new(move |reply| thread.update(|t| t.server_replied(ticket, reply, &assistant)));
    let late = Rc::clone(&settle);
    set_timeout(move || late(None), answers::WAIT);
    leptos::task::spawn_local(async move {
        let asked = answers::ask(&site, locale, &question.text, question.rejected.as_deref());
        let reply = match asked.await {
            answers::Asked::Reply(reply) => Some(reply),
            answers::Asked::NoneHere => {
                thread.update(|t| t.server_answers = false);
                None
            }
            answers::Asked::Failed => None,
        };
        settle(reply);
    });
}

/// The whole panel: header, conversation and composer.
#[component]
pub fn App(
    /// Where the widget is embedded and which language it speaks.
    context: EmbedContext,
    /// The knowledge base to answer from; when absent it is fetched from the server.
    #[prop(optional)]
    base: Option<KnowledgeBase>,
    /// Where the conversation and context are kept; the browser's storage when absent.
    #[prop(optional)]
    stores: Option<Rc<Stores>>,
    /// How long the bot "types" before answering, in milliseconds.
    #[prop(default = REPLY_DELAY_MS)]
    reply_delay_ms: u16,
) -> impl IntoView {
    let mut strings = i18n::site_strings(
        context.locale,
        context.settings.strings.get(&context.locale),
    );
    if let Some(name) = &context.settings.bot_name {
        strings.message_list.bot = i18n::keep(name.clone());
    }
    say_when_away(&context.settings, &mut strings, context.locale.code());
    let persisted = Persisted::new(
        stores.unwrap_or_else(|| Rc::new(Stores::browser())),
        &context.site,
    );
    let forget = persisted.forget();
    let (restored, restored_context) = persisted.restore();
    let mut restored = restored;
    restored.server_answers = context.settings.semantic;
    let thread = RwSignal::new(restored);
    let visitor_context = RwSignal::new(restored_context);
    let live = RwSignal::new(persisted.restore_live());
    // Opened from a mail's link: the thread is that conversation's, replayed by the server.
    let resumed = embed::resume_token();
    if let Some(token) = resumed.clone() {
        live.update(|l| l.resume(token));
    }
    persisted.keep_live(live);
    persisted.keep(thread, visitor_context);
    let link = StoredValue::new_local(LiveLink::new(&context.site, live, thread, visitor_context));
    if resumed.is_some() {
        link.with_value(LiveLink::connect);
    }
    // Once a person is asked for (button or words), the live chat starts: a handoff until the
    // server confirms it, a reconnection after that (a reload).
    let locale = context.locale;
    let wants_person = Memo::new(move |_| thread.with(Thread::with_person));
    Effect::new(move |_| {
        if !wants_person.get() {
            return;
        }
        if live.with_untracked(|l| l.handed_off) {
            link.with_value(LiveLink::connect);
        } else {
            let context = thread.with_untracked(|t| {
                visitor_context.with_untracked(|c| handoff_context(t, c, locale))
            });
            let reason = thread.with_untracked(Thread::handoff_reason);
            link.with_value(|l| l.hand_off(reason, context));
        }
    });
    // A visitor the site's server vouches for sees their conversations from any device: the
    // widget connects as soon as it knows them, and the server replays their history.
    let signed_visitor = Memo::new(move |_| {
        visitor_context.with(|c| c.visitor.as_ref().is_some_and(|v| v.signature.is_some()))
    });
    Effect::new(move |_| {
        if signed_visitor.get() {
            link.with_value(LiveLink::connect);
        }
    });

    let articles = RwSignal::new(Articles::Loading);
    // The ETag of the base answering, to notice one published since.
    let base_etag = StoredValue::new(None::<String>);
    let base_site = StoredValue::new(context.site.clone());
    // `Ito('article', id)` before the articles arrived: opened once they do.
    let pending_article = RwSignal::new(None::<String>);
    let ready = move |assistant: Assistant| {
        let assistant = Arc::new(assistant);
        thread.update(|t| t.answer_waiting(&assistant));
        if let Some(id) = pending_article.try_update(Option::take).flatten() {
            thread.update(|t| {
                t.open_article(&id, &assistant);
            });
        }
        articles.set(Articles::Ready(assistant));
    };
    match base {
        Some(base) => ready(Assistant::new(base)),
        None => {
            let (site, locale) = (context.site.clone(), context.locale);
            leptos::task::spawn_local(async move {
                match articles::load(&site, locale).await {
                    Ok(loaded) => {
                        base_etag.set_value(loaded.etag);
                        ready(loaded.assistant);
                    }
                    Err(e) => {
                        leptos::logging::warn!("Ito: no help articles: {e}");
                        articles.set(Articles::Failed);
                        thread.update(Thread::articles_unavailable);
                    }
                }
            });
        }
    }
    // A question the browser is unsure of, or whose answer did not help, goes to the server
    // once; its answer, or the browser's own after `answers::WAIT`, settles it.
    let consulted = StoredValue::new(None::<u32>);
    let (site, locale) = (context.site.clone(), context.locale);
    Effect::new(move || {
        let Some(question) = thread.with(Thread::server_question) else {
            return;
        };
        let Articles::Ready(assistant) = articles.get() else {
            return;
        };
        if consulted.get_value() != Some(question.ticket) {
            consulted.set_value(Some(question.ticket));
            consult(thread, assistant, site.clone(), locale, question);
        }
    });
    let with_assistant = move |act: &dyn Fn(&mut Thread, &Assistant)| {
        if let Articles::Ready(assistant) = articles.get_untracked() {
            thread.update(|t| act(t, &assistant));
        }
    };

    let composer_input = NodeRef::new();
    // After a click that replaces the clicked button, focus goes where the visitor's next
    // step is, instead of being lost.
    let focus_composer = move || {
        if let Some(input) = composer_input.get_untracked() {
            let input: web_sys::HtmlTextAreaElement = input;
            let _ = input.focus();
        }
    };
    let host = context.host_link();
    // Tell the host page about each new line (who wrote it, not what) and about handoffs.
    let announced = StoredValue::new(thread.with_untracked(|t| t.lines().len()));
    Effect::new({
        let host = host.clone();
        move |_| {
            thread.with(|t| {
                let lines = t.lines();
                for line in lines.iter().skip(announced.get_value()) {
                    let author = if line.entry.is_visitor() {
                        Author::Visitor
                    } else {
                        Author::Bot
                    };
                    host.post(WidgetToHost::Message { author });
                    if line.entry == Entry::PersonRequested {
                        host.post(WidgetToHost::Handoff);
                    }
                }
                announced.set_value(lines.len());
            })
        }
    });
    let listener = host.clone().listen(move |frame| match frame {
        HostToWidget::Open => focus_composer(),
        HostToWidget::Page { url, title } => visitor_context.update(|c| {
            c.visit(&url, &title, js_sys::Date::now());
        }),
        HostToWidget::Article { id } => match articles.get_untracked() {
            Articles::Ready(assistant) => thread.update(|t| {
                t.open_article(&id, &assistant);
            }),
            _ => pending_article.set(Some(id)),
        },
        HostToWidget::Identify { visitor } => visitor_context.update(|c| {
            c.identify(visitor);
        }),
        HostToWidget::Attributes { attributes } => visitor_context.update(|c| {
            c.set_attributes(attributes);
        }),
        // Forgotten, then started again from nothing: no signal, socket or timer survives.
        HostToWidget::Reset => {
            forget();
            let _ = window().location().reload();
        }
    });
    on_cleanup(move || {
        if let Some(listener) = listener {
            listener.remove();
        }
    });

    let close = {
        let host = host.clone();
        Callback::new(move |()| host.post(WidgetToHost::Close))
    };
    // On the window, not the panel: Escape must close even when the focused button has
    // just been replaced (a feedback answer) and focus fell back to the body.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            close.run(());
        }
    });
    on_cleanup(move || escape.remove());
    let answer = move |text: String| match articles.get_untracked() {
        // The bot asked something before the handoff: these words answer it.
        _ if thread.with_untracked(|t| t.pre_chat_question().is_some()) => {
            if let Some((field, value)) = thread.try_update(|t| t.answer_pre_chat(&text)).flatten()
            {
                visitor_context.update(|c| c.answer_pre_chat(field, value));
            }
        }
        // With a person: the words go to them, through the outbox.
        _ if thread.with_untracked(Thread::with_person) => {
            let added = thread
                .try_update(|t| t.add_visitor_message(&text).is_some())
                .unwrap_or(false);
            if added {
                link.with_value(|l| l.send(text.trim()));
            }
        }
        Articles::Ready(assistant) if reply_delay_ms == 0 => {
            thread.update(|t| {
                t.ask(&text, Some(&assistant));
            });
        }
        Articles::Ready(_) => {
            // The question waits a moment, as if read and answered: an instant wall of text
            // feels like a form, not a conversation.
            thread.update(|t| {
                t.ask(&text, None);
            });
            if let Some(known) = base_etag.get_value() {
                let site = base_site.get_value();
                leptos::task::spawn_local(async move {
                    if let Some(newer) = articles::newer(&site, locale, &known).await {
                        base_etag.set_value(newer.etag);
                        articles.set(Articles::Ready(Arc::new(newer.assistant)));
                    }
                });
            }
            set_timeout(
                move || {
                    if let Articles::Ready(assistant) = articles.get_untracked() {
                        thread.update(|t| t.answer_waiting(&assistant));
                    }
                },
                std::time::Duration::from_millis(reply_delay_ms.into()),
            );
        }
        Articles::Loading => {
            thread.update(|t| {
                t.ask(&text, None);
            });
        }
        Articles::Failed => thread.update(|t| {
            if t.ask(&text, None) {
                t.articles_unavailable();
            }
        }),
    };
    // A conversation exists on the server from the visitor's first words, so the measures
    // count every conversation started, not only those that reached a person.
    let ask = move |text: String| {
        if live.with_untracked(|l| l.token.is_none()) && !text.trim().is_empty() {
            link.with_value(|l| l.send_soon(VisitorToServer::Start));
        }
        answer(text);
    };
    // What the bot did with each question goes to the server for the site's content gaps
    // and article figures; a restored thread's replies were reported before the reload.
    let reported = StoredValue::new(thread.with_untracked(Thread::last_line));
    Effect::new(move |_| {
        let replies = thread.with(|t| t.replies_after(reported.get_value()));
        for reply in replies {
            reported.set_value(Some(reply.line));
            link.with_value(|l| {
                l.send_soon(VisitorToServer::BotReplied {
                    line: reply.line,
                    locale,
                    question: reply.question,
                    article: reply.article,
                    unsure: reply.unsure,
                })
            });
        }
    });
    // Before a handoff the bot asks what the site wants to know and nobody has said yet.
    let asked_fields = context.settings.pre_chat.clone();
    Effect::new(move |_| {
        let missing = visitor_context.with(|c| {
            let (name, email) = c.contact();
            asked_fields
                .iter()
                .copied()
                .filter(|field| match field {
                    PreChatField::Name => name.is_none(),
                    PreChatField::Email => email.is_none(),
                })
                .collect()
        });
        thread.update_untracked(|t| t.ask_first = missing);
    });
    let person = Callback::new(move |()| {
        thread.update(|t| {
            t.request_person();
        })
    });
    let actions = LineActions {
        choose: Callback::new(move |(line, article): (u32, String)| {
            with_assistant(&|t, a| {
                t.choose(line, &article, a);
            });
            focus_composer();
        }),
        feedback: Callback::new(move |(line, verdict)| {
            let given = thread
                .try_update(|t| t.give_feedback(line, verdict))
                .unwrap_or(false);
            if given {
                let helpful = verdict == Feedback::Helpful;
                link.with_value(|l| l.send_soon(VisitorToServer::Rated { line, helpful }));
                // "It helped" is the bot resolving the conversation: the server counts it.
                if helpful {
                    link.with_value(|l| l.send_soon(VisitorToServer::Solved));
                }
            }
            focus_composer();
        }),
        person,
        survey: {
            let host = host.clone();
            Callback::new(move |(line, answer): (u32, Option<SurveyAnswer>)| {
                if let Some((csat, ces, comment)) = answer.clone() {
                    link.with_value(|l| {
                        l.send_soon(VisitorToServer::Survey { csat, ces, comment })
                    });
                    host.post(WidgetToHost::Survey {
                        detail: SurveyScores { csat, ces },
                    });
                }
                thread.update(|t| {
                    t.survey_done(line, answer.is_some());
                });
                focus_composer();
            })
        },
        email: Callback::new(move |(address, transcript): (String, bool)| {
            visitor_context.update(|c| c.email = Some(address.clone()));
            link.with_value(|l| {
                l.send_soon(VisitorToServer::Email {
                    address,
                    transcript,
                })
            });
        }),
        mail: context.settings.mail.then_some(visitor_context),
    };
    let waiting = move || thread.with(Thread::is_waiting);
    let with_person = move || thread.with(Thread::with_person);
    // "Typing…" for the person: said at most every TYPING_EVERY_MS while keys come, and
    // taken back TYPING_IDLE_MS after the last one.
    let typing_said = StoredValue::new(0.0_f64);
    let typing_stop = StoredValue::new_local(None::<TimeoutHandle>);
    let on_typing = Callback::new(move |()| {
        if !thread.with_untracked(Thread::with_person) {
            return;
        }
        let now = js_sys::Date::now();
        if now - typing_said.get_value() > TYPING_EVERY_MS {
            typing_said.set_value(now);
            link.with_value(|l| l.typing(true));
        }
        if let Some(handle) = typing_stop.get_value() {
            handle.clear();
        }
        let stop = set_timeout_with_handle(
            move || {
                typing_said.set_value(0.0);
                link.with_value(|l| l.typing(false));
            },
            std::time::Duration::from_millis(TYPING_IDLE_MS),
        );
        typing_stop.set_value(stop.ok());
    });
    let end_chat = move |_| {
        link.with_value(|l| {
            l.typing(false);
            l.end();
        })
    };
    // Coming back to the panel counts as reading what the person wrote meanwhile.
    let on_focus =
        window_event_listener(leptos::ev::focus, move |_| link.with_value(LiveLink::read));
    on_cleanup(move || on_focus.remove());
    let live_status = {
        let (seen, typing_text) = (strings.message_list.seen, strings.bot.agent_typing);
        move || {
            let (typing, seen_all) = live.with(|l| (l.agent_typing, l.seen()));
            thread.with(|t| {
                if typing && t.with_person() {
                    let name = t.agent_name().unwrap_or_default();
                    typing_text.replace("{name}", name)
                } else if seen_all && t.lines().last().is_some_and(|l| l.entry.is_visitor()) {
                    seen.to_owned()
                } else {
                    String::new()
                }
            })
        }
    };
    let typing = move || matches!(articles.get(), Articles::Ready(_));
    // A file for the person: refused here when too large, else sent; the thread shows it
    // when the server tells of it. What became of it is said above the composer.
    let file_notice = RwSignal::new(String::new());
    let (accept, attach_label) = (context.settings.attach.clone(), strings.composer.attach);
    let on_attach = {
        let (site, words) = (context.site.clone(), strings.composer);
        let max_bytes = context.settings.attach_max_bytes;
        Callback::new(move |file: web_sys::File| {
            let Some(token) = live.with_untracked(|l| l.token.clone()) else {
                return;
            };
            if file.size() > max_bytes as f64 {
                file_notice.set(words.too_large.to_owned());
                return;
            }
            file_notice.set(words.sending.replace("{name}", &file.name()));
            let site = site.clone();
            leptos::task::spawn_local(async move {
                let said = match upload::send(&site, &token, &file).await {
                    Ok(()) => "",
                    Err(upload::Refused::TooLarge) => words.too_large,
                    Err(upload::Refused::Unsupported) => words.unsupported,
                    Err(upload::Refused::Failed) => words.not_sent,
                };
                file_notice.set(said.to_owned());
            });
        })
    };

    view! {
        <div class="ito-panel" lang=context.locale.code()>
            <PanelHeader
                strings=strings.panel
                on_close=close
                bot_name=context.settings.bot_name.clone()
                avatar=context.settings.bot_avatar.clone()
            />
            <MessageList
                greeting=strings.panel.greeting
                lines=Signal::derive(move || thread.with(|t| t.lines().to_vec()))
                strings=strings
                actions=actions
            />
            <Show when=waiting>
                <p class="ito-panel__status" role="status">
                    {
                        let (typing_text, loading_text) = (
                            strings.panel.typing,
                            strings.panel.loading,
                        );
                        move || {
                            if typing() {
                                view! {
                                    <span class="ito-panel__typing" aria-hidden="true">
                                        <span></span><span></span><span></span>
                                    </span>
                                    <span class="ito-visually-hidden">{typing_text}</span>
                                }
                                    .into_any()
                            } else {
                                loading_text.into_any()
                            }
                        }
                    }
                </p>
            </Show>
            <p class="ito-panel__live" aria-live="polite">{live_status}</p>
            // Always in reach: a person until one has been asked for, then the way to end.
            <div class="ito-panel__actions">
                <Show
                    when=with_person
                    fallback=move || view! {
                        <button type="button" class="ito-panel__person" on:click=move |_| person.run(())>
                            {strings.panel.talk_to_person}
                        </button>
                    }
                >
                    {attach(accept.clone(), attach_label, on_attach)}
                    <button type="button" class="ito-panel__person" on:click=end_chat>
                        {strings.panel.end_chat}
                    </button>
                </Show>
            </div>
            <p class="ito-panel__notice" role="alert">{move || file_notice.get()}</p>
            <Composer
                strings=strings.composer
                input_ref=composer_input
                on_send=ask
                on_typing=on_typing
            />
        </div>
    }
}

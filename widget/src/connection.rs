//! The live chat's WebSocket in the browser: a thin shell that moves frames between the
//! server and [`Live`] / [`Thread`]. It connects at the visitor's first words to the bot
//! (`start`: the conversation begins there), when a person is asked for, or after a reload
//! when the thread is still with one; says hello with the token and the last event seen,
//! hands off once with the context, resends whatever is unacknowledged after every welcome,
//! and reconnects with backoff and jitter when the socket drops.

use std::cell::RefCell;
use std::rc::Rc;

use ito_protocol::chat::{
    Author, ErrorCode, EventKind, HandoffContext, HandoffReason, ServerToVisitor, VisitorToServer,
};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, WebSocket};

use crate::context::VisitorContext;
use crate::live::Live;
use crate::thread::Thread;

/// The socket and what it needs; cloned handles share one connection.
#[derive(Clone)]
pub struct LiveLink {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    url: String,
    /// Names this browser tab's message ids apart from another tab's.
    instance: String,
    socket: Option<WebSocket>,
    live: RwSignal<Live>,
    thread: RwSignal<Thread>,
    visitor: RwSignal<VisitorContext>,
    /// Sent after each welcome until the server confirms it (a handoff event comes back).
    handoff: Option<VisitorToServer>,
    /// Sent once the socket is open, right after the hello, then forgotten.
    when_open: Vec<VisitorToServer>,
    /// Kept alive as long as the socket they serve.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl LiveLink {
    pub fn new(
        site: &str,
        live: RwSignal<Live>,
        thread: RwSignal<Thread>,
        visitor: RwSignal<VisitorContext>,
    ) -> LiveLink {
        let location = window().location();
        let scheme = if location.protocol().as_deref() == Ok("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        let instance = format!("t{}", (js_sys::Math::random() * 1e9) as u64);
        LiveLink {
            inner: Rc::new(RefCell::new(Inner {
                url: format!("{scheme}://{host}/sites/{site}/chat"),
                instance,
                socket: None,
                live,
                thread,
                visitor,
                handoff: None,
                when_open: Vec::new(),
                handlers: Vec::new(),
            })),
        }
    }

    /// Asks for a person with what the widget knows; connects if needed.
    pub fn hand_off(&self, reason: HandoffReason, context: HandoffContext) {
        let frame = VisitorToServer::Handoff {
            reason,
            context: Box::new(context),
        };
        // Sent now if the socket is open, and after every welcome until confirmed.
        self.transmit(&frame);
        self.inner.borrow_mut().handoff = Some(frame);
        self.connect();
    }

    /// Sends a message to the person; it stays in the outbox until acknowledged.
    pub fn send(&self, text: &str) {
        let (live, instance) = {
            let inner = self.inner.borrow();
            (inner.live, inner.instance.clone())
        };
        let frame = live.try_update(|l| l.send(text, &instance));
        if let Some(frame) = frame {
            self.transmit(&frame);
        }
        self.connect();
    }

    fn transmit(&self, frame: &VisitorToServer) {
        let inner = self.inner.borrow();
        if let Some(socket) = inner
            .socket
            .as_ref()
            .filter(|s| s.ready_state() == WebSocket::OPEN)
        {
            let text = serde_json::to_string(frame).expect("frames serialize");
            if socket.send_with_str(&text).is_err() {
                leptos::logging::warn!("Ito: the chat connection refused a message");
            }
        }
    }

    /// Opens the socket unless one is open or opening.
    pub fn connect(&self) {
        let url = {
            let inner = self.inner.borrow();
            if inner.socket.as_ref().is_some_and(|s| {
                s.ready_state() == WebSocket::OPEN || s.ready_state() == WebSocket::CONNECTING
            }) {
                return;
            }
            inner.url.clone()
        };
        let Ok(socket) = WebSocket::new(&url) else {
            self.retry_later();
            return;
        };
        let on_open = {
            let link = self.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                let (live, visitor) = {
                    let inner = link.inner.borrow();
                    (inner.live, inner.visitor)
                };
                let hello =
                    live.with_untracked(|l| l.hello(visitor.with_untracked(|v| v.visitor.clone())));
                link.transmit(&hello);
                // What waited for the socket goes right after the hello: for a new visitor
                // these are the first words, which start the conversation (and its welcome).
                let waiting = std::mem::take(&mut link.inner.borrow_mut().when_open);
                for frame in waiting {
                    link.transmit(&frame);
                }
                if live.with_untracked(|l| l.token.is_none()) {
                    let handoff = link.inner.borrow().handoff.clone();
                    if let Some(handoff) = handoff {
                        link.transmit(&handoff);
                    }
                }
            })
        };
        let on_message = {
            let link = self.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let event: MessageEvent = event.unchecked_into();
                if let Some(text) = event.data().as_string() {
                    link.on_frame(&text);
                }
            })
        };
        let on_close = {
            let link = self.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| link.retry_later())
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.socket = Some(socket);
        inner.handlers = vec![on_open, on_message, on_close];
    }

    fn retry_later(&self) {
        let live = self.inner.borrow().live;
        let delay = live
            .try_update(|l| l.next_delay(js_sys::Math::random()))
            .unwrap_or_default();
        let link = self.clone();
        set_timeout(move || link.connect(), delay);
    }

    /// Tells the person the visitor has read what came, when the widget has focus.
    pub fn read(&self) {
        if !document().has_focus().unwrap_or(false) {
            return;
        }
        let live = self.inner.borrow().live;
        if let Some(frame) = live.try_update(Live::read_receipt).flatten() {
            self.transmit(&frame);
        }
    }

    /// Says whether the visitor is typing (sent only while connected).
    pub fn typing(&self, typing: bool) {
        self.transmit(&VisitorToServer::Typing { typing });
    }

    /// The visitor ends the chat with the person.
    pub fn end(&self) {
        self.transmit(&VisitorToServer::End);
    }

    /// Sends `frame` now if connected, else once connected (connecting if needed): the bot's
    /// conversations reach the server only when there is something to tell it.
    pub fn send_soon(&self, frame: VisitorToServer) {
        let open = self
            .inner
            .borrow()
            .socket
            .as_ref()
            .is_some_and(|s| s.ready_state() == WebSocket::OPEN);
        if open {
            self.transmit(&frame);
        } else {
            self.inner.borrow_mut().when_open.push(frame);
            self.connect();
        }
    }

    fn on_frame(&self, text: &str) {
        let Some(frame) = ServerToVisitor::read(text) else {
            leptos::logging::warn!("Ito: ignored a chat frame it cannot read");
            return;
        };
        let (live, thread) = {
            let inner = self.inner.borrow();
            (inner.live, inner.thread)
        };
        match frame {
            ServerToVisitor::Welcome { token, .. } => {
                live.update(|l| l.connected(token));
                let handoff = self.inner.borrow().handoff.clone();
                if let Some(handoff) = handoff {
                    self.transmit(&handoff);
                }
                for frame in live.with_untracked(Live::resend) {
                    self.transmit(&frame);
                }
            }
            ServerToVisitor::Event(event) => {
                if live.try_update(|l| l.received(&event)).unwrap_or(false) {
                    match &event.kind {
                        EventKind::HandoffRequested { .. } => {
                            self.inner.borrow_mut().handoff = None;
                        }
                        // Written on another device (a verified visitor's history).
                        EventKind::Message {
                            id,
                            author: Author::Visitor,
                            text,
                        } if !live.with_untracked(|l| l.is_own(id)) => {
                            thread.update(|t| {
                                t.add_visitor_message(text);
                            });
                        }
                        // Either side's: the visitor's too, as the server took it.
                        EventKind::Attachment { author, file } => {
                            let token = live.with_untracked(|l| l.token.clone());
                            thread.update(|t| {
                                t.add_file(author, file, token.as_deref().unwrap_or_default())
                            });
                        }
                        _ => {}
                    }
                    thread.update(|t| {
                        t.apply(&event.kind);
                    });
                    self.read();
                }
            }
            ServerToVisitor::Ack { id, seq } => live.update(|l| l.acknowledged(&id, seq)),
            ServerToVisitor::Queue {
                position,
                expected_wait_secs,
                nobody_online,
            } => thread.update(|t| t.set_queue(position, expected_wait_secs, nobody_online)),
            // The next connection (the server closes this one) starts a new conversation;
            // a request for a person on its way goes there.
            ServerToVisitor::Error {
                code: ErrorCode::StaleToken,
                ..
            } => {
                live.update(Live::start_afresh);
                let asking = self.inner.borrow().handoff.is_some();
                thread.update(|t| t.restart(asking));
            }
            ServerToVisitor::Error {
                code: ErrorCode::EmailRefused,
                ..
            } => thread.update(Thread::email_refused),
            ServerToVisitor::Error { message, .. } => {
                leptos::logging::warn!("Ito: the chat server said: {message}")
            }
            ServerToVisitor::Typing { typing } => live.update(|l| l.agent_typing = typing),
            // Nothing to show until the widget asks the survey itself.
            ServerToVisitor::EmailKept { transcript } => {
                thread.update(|t| t.email_kept(transcript))
            }
            ServerToVisitor::SurveyStored | ServerToVisitor::Pong => {}
        }
    }
}

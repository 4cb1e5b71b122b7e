//! The agent's WebSocket in the browser: a thin shell that moves frames between the server and
//! the [`Desk`]. On every (re)connection it says hello and then what [`Desk::resume`] lists
//! (presence, catch-up from the last event seen, unacknowledged replies), so a dropped
//! connection loses nothing; it reconnects with exponential backoff and full jitter, and
//! notices when the session is over.

use std::cell::RefCell;
use std::rc::Rc;

use ito_protocol::chat::{AgentToServer, CHAT_VERSION, ServerToAgent, reconnect_delay};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use web_sys::{MessageEvent, WebSocket};

use crate::desk::{Desk, Effect};
use crate::i18n::t;
use crate::notify;

/// Cloned handles share one connection.
#[derive(Clone)]
pub struct AgentLink {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    socket: Option<WebSocket>,
    desk: RwSignal<Desk>,
    /// Whether the socket is open, for the top bar.
    connected: RwSignal<bool>,
    /// The last problem the server reported, shown until the next one.
    problem: RwSignal<Option<String>>,
    /// Set when the session is gone (signed out here or elsewhere, or expired).
    signed_out: RwSignal<bool>,
    failures: u32,
    closing: bool,
    /// Kept alive as long as the socket they serve.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl AgentLink {
    pub fn new(
        desk: RwSignal<Desk>,
        connected: RwSignal<bool>,
        problem: RwSignal<Option<String>>,
        signed_out: RwSignal<bool>,
    ) -> AgentLink {
        AgentLink {
            inner: Rc::new(RefCell::new(Inner {
                socket: None,
                desk,
                connected,
                problem,
                signed_out,
                failures: 0,
                closing: false,
                handlers: Vec::new(),
            })),
        }
    }

    /// Sends a frame if the socket is open. Frames that matter (replies) are also kept in the
    /// desk's outbox and sent again on the next connection.
    pub fn send(&self, frame: &AgentToServer) {
        let inner = self.inner.borrow();
        if let Some(socket) = inner
            .socket
            .as_ref()
            .filter(|s| s.ready_state() == WebSocket::OPEN)
        {
            let text = serde_json::to_string(frame).expect("frames serialize");
            let _ = socket.send_with_str(&text);
        }
    }

    pub fn connect(&self) {
        let location = window().location();
        let scheme = match location.protocol().as_deref() {
            Ok("https:") => "wss",
            _ => "ws",
        };
        let url = format!(
            "{scheme}://{}/api/v1/agent/socket",
            location.host().unwrap_or_default()
        );
        let Ok(socket) = WebSocket::new(&url) else {
            self.retry_later();
            return;
        };
        let on_open = {
            let link = self.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| link.on_open())
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
            Closure::<dyn FnMut(JsValue)>::new(move |_| link.on_close())
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.socket = Some(socket);
        inner.handlers = vec![on_open, on_message, on_close];
    }

    /// Closes for good (signing out).
    pub fn close(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.closing = true;
        if let Some(socket) = inner.socket.take() {
            let _ = socket.close();
        }
    }

    fn on_open(&self) {
        let desk = {
            let mut inner = self.inner.borrow_mut();
            inner.failures = 0;
            inner.connected.set(true);
            inner.desk
        };
        self.send(&AgentToServer::Hello {
            version: CHAT_VERSION,
        });
        for frame in desk.with_untracked(Desk::resume) {
            self.send(&frame);
        }
    }

    fn on_close(&self) {
        let (closing, failures) = {
            let inner = self.inner.borrow();
            inner.connected.set(false);
            (inner.closing, inner.failures)
        };
        if closing {
            return;
        }
        if failures >= 2 {
            // Repeated refusals may mean the session is over: ask before trying on.
            let link = self.clone();
            leptos::task::spawn_local(async move {
                match crate::api::me().await {
                    Ok(None) => link.inner.borrow().signed_out.set(true),
                    _ => link.retry_later(),
                }
            });
        } else {
            self.retry_later();
        }
    }

    fn retry_later(&self) {
        let delay = {
            let mut inner = self.inner.borrow_mut();
            inner.failures += 1;
            reconnect_delay(inner.failures - 1, js_sys::Math::random())
        };
        let link = self.clone();
        set_timeout(move || link.connect(), delay);
    }

    fn on_frame(&self, text: &str) {
        let Ok(frame) = serde_json::from_str::<ServerToAgent>(text) else {
            return;
        };
        let (desk, problem) = {
            let inner = self.inner.borrow();
            (inner.desk, inner.problem)
        };
        let effects = desk.try_update(|d| d.apply(frame)).unwrap_or_default();
        for effect in effects {
            match effect {
                Effect::Alert { preview, .. } => notify::alert(t("notify.new_handoff"), &preview),
                Effect::Problem(message) => problem.set(Some(message)),
            }
        }
        self.send_read_receipt();
    }

    /// Tells the visitor the agent has read their messages, when the agent is looking at them.
    pub fn send_read_receipt(&self) {
        let desk = self.inner.borrow().desk;
        let focused = document().has_focus().unwrap_or(false);
        if !focused {
            return;
        }
        if let Some(frame) = desk.try_update(Desk::read_receipt).flatten() {
            self.send(&frame);
        }
    }
}

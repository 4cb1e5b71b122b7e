//! The widget's side of the live chat, as plain data: the outbox of messages not yet
//! acknowledged (kept across reloads, resent after every reconnect, so nothing typed is lost),
//! the reconnect delay (exponential with jitter, so a restarted server is not stormed), and
//! the last event number seen (what to ask for on reconnect).

use std::time::Duration;

use ito_protocol::chat::{ClientId, Event, EventKind, Seq, VisitorToServer, reconnect_delay};
use ito_protocol::embed::Visitor;
use serde::{Deserialize, Serialize};

pub use ito_protocol::chat::{FIRST_DELAY, MAX_DELAY};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Live {
    /// The conversation token from the server's welcome.
    pub token: Option<String>,
    /// The newest event received.
    pub last_seq: Seq,
    /// Messages sent but not acknowledged, oldest first.
    outbox: Vec<(ClientId, String)>,
    /// Numbers the next client id.
    next_id: u64,
    /// The server confirmed the current request for a person (and nobody closed it since).
    #[serde(default)]
    pub handed_off: bool,
    /// Failed connection attempts in a row.
    #[serde(skip)]
    failures: u32,
}

impl Live {
    /// The hello for a (re)connection: our token, the last event seen, and who the host page
    /// says the visitor is.
    pub fn hello(&self, visitor: Option<Visitor>) -> VisitorToServer {
        VisitorToServer::Hello {
            version: ito_protocol::chat::CHAT_VERSION,
            token: self.token.clone(),
            last_seq: self.last_seq,
            visitor,
        }
    }

    /// Queues a message; returns the frame to send now (it is resent until acknowledged).
    pub fn send(&mut self, text: &str, instance: &str) -> VisitorToServer {
        self.next_id += 1;
        let id: ClientId = format!("{instance}-{}", self.next_id)
            .parse()
            .expect("instance ids are plain");
        self.outbox.push((id.clone(), text.to_owned()));
        VisitorToServer::Send {
            id,
            text: text.to_owned(),
        }
    }

    /// Every unacknowledged message, to send again after a reconnect. The server stores each
    /// id once, so resending what it already has is harmless.
    pub fn resend(&self) -> Vec<VisitorToServer> {
        self.outbox
            .iter()
            .map(|(id, text)| VisitorToServer::Send {
                id: id.clone(),
                text: text.clone(),
            })
            .collect()
    }

    pub fn is_pending(&self, id: &ClientId) -> bool {
        self.outbox.iter().any(|(pending, _)| pending == id)
    }

    /// The server stored `id`: it leaves the outbox.
    pub fn acknowledged(&mut self, id: &ClientId) {
        self.outbox.retain(|(pending, _)| pending != id);
    }

    /// Records an event; returns false for one already seen (a replay overlap).
    pub fn received(&mut self, event: &Event) -> bool {
        if event.seq <= self.last_seq {
            return false;
        }
        self.last_seq = event.seq;
        match event.kind {
            EventKind::HandoffRequested { .. } => self.handed_off = true,
            EventKind::Resolved | EventKind::Ended => self.handed_off = false,
            _ => {}
        }
        true
    }

    pub fn connected(&mut self, token: String) {
        self.token = Some(token);
        self.failures = 0;
    }

    /// How long to wait before the next attempt; `jitter` is a random number in 0..1.
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let delay = reconnect_delay(self.failures, jitter);
        self.failures = self.failures.saturating_add(1);
        delay
    }
}

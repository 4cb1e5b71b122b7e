//! The widget's side of the live chat, as plain data: the outbox of messages not yet
//! acknowledged (kept across reloads, resent after every reconnect, so nothing typed is lost),
//! the reconnect delay (exponential with jitter, so a restarted server is not stormed), and
//! the last event number seen (what to ask for on reconnect).

use std::time::Duration;

use ito_protocol::chat::{
    Author, ClientId, Event, EventKind, Seq, VisitorToServer, reconnect_delay,
};
use ito_protocol::embed::Visitor;
use serde::{Deserialize, Serialize};

pub use ito_protocol::chat::{FIRST_DELAY, MAX_DELAY};

/// Own message ids remembered: enough for any replay that could still bring them back.
const MAX_OWN_IDS: usize = 200;

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
    /// Ids of the messages written in this browser: the others a replay brings were written
    /// on another device and are shown as they come.
    #[serde(default)]
    own: Vec<ClientId>,
    /// The newest of this visitor's messages the server stored, and the newest event the
    /// person has read: "Seen" when the second reaches the first.
    #[serde(default)]
    last_stored: Seq,
    #[serde(default)]
    read_by_agent: Seq,
    /// The person is typing now.
    #[serde(skip)]
    pub agent_typing: bool,
    /// The person's newest message, and the newest this browser said it has read.
    #[serde(default)]
    last_from_agent: Seq,
    #[serde(default)]
    read_sent: Seq,
    /// Failed connection attempts in a row.
    #[serde(skip)]
    failures: u32,
}

impl Live {
    /// Reads what [`Persisted`](crate::persist::Persisted) stored (serde's writing of this
    /// struct) by hand, over the JSON value the widget parses anyway: serde's derived readers
    /// of this and the visitor's context cost the widget about 8 KB brotli. `None` for anything
    /// else; absent optional fields take serde's defaults.
    pub fn from_json(json: &str) -> Option<Live> {
        use serde_json::Value;
        let value: Value = serde_json::from_str(json).ok()?;
        let live = value.as_object()?;
        let seq = |key: &str| match live.get(key) {
            None => Some(0),
            Some(v) => v.as_u64(),
        };
        let id = |v: &Value| ClientId::try_from(v.as_str()?.to_owned()).ok();
        let mut outbox = Vec::new();
        for pair in live.get("outbox")?.as_array()? {
            let pair = pair.as_array().filter(|p| p.len() == 2)?;
            outbox.push((id(&pair[0])?, pair[1].as_str()?.to_owned()));
        }
        let mut own = Vec::new();
        for client_id in live
            .get("own")
            .map_or(Some(&[][..]), |v| v.as_array().map(Vec::as_slice))?
        {
            own.push(id(client_id)?);
        }
        Some(Live {
            token: match live.get("token")? {
                Value::Null => None,
                token => Some(token.as_str()?.to_owned()),
            },
            last_seq: live.get("last_seq")?.as_u64()?,
            outbox,
            next_id: live.get("next_id")?.as_u64()?,
            handed_off: match live.get("handed_off") {
                None => false,
                Some(v) => v.as_bool()?,
            },
            own,
            last_stored: seq("last_stored")?,
            read_by_agent: seq("read_by_agent")?,
            last_from_agent: seq("last_from_agent")?,
            read_sent: seq("read_sent")?,
            ..Live::default()
        })
    }

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
        self.own.push(id.clone());
        if self.own.len() > MAX_OWN_IDS {
            self.own.remove(0);
        }
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
    /// The server stored message `id` as event `seq`: it leaves the outbox.
    pub fn acknowledged(&mut self, id: &ClientId, seq: Seq) {
        self.outbox.retain(|(pending, _)| pending != id);
        self.last_stored = self.last_stored.max(seq);
    }

    /// Records an event; returns false for one already seen (a replay overlap).
    pub fn received(&mut self, event: &Event) -> bool {
        if event.seq <= self.last_seq {
            return false;
        }
        self.last_seq = event.seq;
        match &event.kind {
            EventKind::HandoffRequested { .. } => self.handed_off = true,
            EventKind::Resolved | EventKind::Ended => self.handed_off = false,
            EventKind::Read {
                by_agent: true,
                up_to,
            } => self.read_by_agent = self.read_by_agent.max(*up_to),
            EventKind::Message {
                author: Author::Agent { .. },
                ..
            } => {
                self.agent_typing = false;
                self.last_from_agent = event.seq;
            }
            _ => {}
        }
        true
    }

    /// Whether a message with this id was written in this browser.
    pub fn is_own(&self, id: &ClientId) -> bool {
        self.own.contains(id)
    }

    /// Whether the person has read everything this visitor sent.
    pub fn seen(&self) -> bool {
        self.last_stored > 0 && self.read_by_agent >= self.last_stored
    }

    /// A read receipt for the person's newest message, unless one was already sent for it.
    /// (Only their messages: a receipt for every event would answer receipts forever.)
    pub fn read_receipt(&mut self) -> Option<VisitorToServer> {
        if self.last_from_agent <= self.read_sent {
            return None;
        }
        self.read_sent = self.last_from_agent;
        Some(VisitorToServer::Read {
            up_to: self.last_from_agent,
        })
    }

    /// The server no longer has this conversation (its token expired, or the server's data was
    /// replaced): everything of it is forgotten but the messages still to be sent, which go
    /// to the new one, and the ids of this browser's own messages.
    pub fn start_afresh(&mut self) {
        *self = Live {
            outbox: std::mem::take(&mut self.outbox),
            next_id: self.next_id,
            own: std::mem::take(&mut self.own),
            ..Live::default()
        };
    }

    /// A mail's link opened this thread: its conversation is `token`'s, and everything of it
    /// comes from the server (whatever this browser kept of another is forgotten).
    pub fn resume(&mut self, token: String) {
        if self.token.as_deref() != Some(&token) {
            *self = Live {
                token: Some(token),
                handed_off: true,
                ..Live::default()
            };
        }
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

//! The live chat over WebSocket: one tagged enum per direction for visitors and for agents,
//! the same Rust types on both ends (server natively, widget and console in wasm).
//!
//! Every frame is a JSON object with one key, the frame's kind (`{"send": {...}}`; frames
//! without data are bare strings: `"ping"`). Serde's default, external tagging, because it
//! costs the widget a fraction of the code internally tagged enums do. The first frame each
//! side sends says the protocol version. Messages carry an id the sender generated ([`ClientId`]): the server stores it
//! under a unique key, acknowledges only after the commit, and answers a resend with the
//! original acknowledgement. Every stored event of a conversation has a sequence number
//! ([`Seq`]); a reconnecting client says the last one it saw and gets what it missed.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Locale;

/// The chat protocol version; bumped when a frame changes incompatibly.
pub const CHAT_VERSION: u32 = 1;

/// The longest message text, in bytes (64 KiB).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The first reconnect waits about this long; each failure doubles it, up to [`MAX_DELAY`].
pub const FIRST_DELAY: Duration = Duration::from_millis(500);
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// How long a client waits before reconnecting after `failures` failed attempts in a row;
/// `jitter` is a random number in 0..1. "Full jitter": anywhere between nothing and the
/// exponential delay, so clients that lost the same server do not all come back at once.
pub fn reconnect_delay(failures: u32, jitter: f64) -> Duration {
    let exponential = FIRST_DELAY
        .saturating_mul(1u32.checked_shl(failures.min(16)).unwrap_or(u32::MAX))
        .min(MAX_DELAY);
    exponential.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Position of an event in its conversation, from 1.
pub type Seq = u64;

/// An id a client generates for its own message, so a resend is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

/// A conversation's id, chosen by the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConversationId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not valid: use 1 to 64 letters, digits, \"-\" or \"_\"")]
pub struct BadId {
    what: &'static str,
    value: String,
}

fn check_id(what: &'static str, value: String) -> Result<String, BadId> {
    let valid = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(value)
    } else {
        Err(BadId { what, value })
    }
}

macro_rules! id_type {
    ($name:ident, $what:literal) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = BadId;

            fn try_from(value: String) -> Result<Self, BadId> {
                check_id($what, value).map($name)
            }
        }

        impl std::str::FromStr for $name {
            type Err = BadId;

            fn from_str(value: &str) -> Result<Self, BadId> {
                value.to_owned().try_into()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(ClientId, "message id");
id_type!(ConversationId, "conversation id");

/// Who wrote a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Visitor,
    /// The assistant, with the article it answered with and how sure it was.
    Bot {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        article: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confidence: Option<f32>,
    },
    Agent {
        id: String,
        name: String,
    },
}

/// Why the visitor is handed to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The visitor asked (button or words).
    Asked,
    /// The bot was unsure twice.
    Unsure,
    /// The visitor said an answer did not help.
    NotHelpful,
    /// Signs of frustration (repeats, negative words, shouting).
    Frustrated,
}

/// What happened in a conversation, as stored and replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Message {
        id: ClientId,
        author: Author,
        text: String,
    },
    HandoffRequested {
        reason: HandoffReason,
    },
    AgentJoined {
        agent_id: String,
        name: String,
    },
    /// The other side has read everything up to `up_to`.
    Read {
        by_agent: bool,
        up_to: Seq,
    },
    Resolved,
    /// The visitor ended the chat.
    Ended,
    /// A file sent in the conversation (an image or a PDF), by the visitor or an agent.
    Attachment {
        author: Author,
        file: Attachment,
    },
    /// A private note between agents (`author` is always an agent): stored and numbered
    /// like a message, never sent to the visitor.
    Note {
        id: ClientId,
        author: Author,
        text: String,
    },
}

impl EventKind {
    /// The client-generated id of a message or note: stored once, a resend gets its number.
    pub fn client_id(&self) -> Option<&ClientId> {
        match self {
            EventKind::Message { id, .. } | EventKind::Note { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Whether the visitor may see it: everything but agents' private notes.
    pub fn for_visitor(&self) -> bool {
        !matches!(self, EventKind::Note { .. })
    }
}

/// A stored file, as clients show it: fetched at `/attachments/{id}` (a visitor adds
/// `?token=` and their conversation token; agents have their session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: Seq,
    /// Milliseconds since the Unix epoch, server time.
    pub at: i64,
    /// What happened. Nested rather than flattened: flattening costs the widget kilobytes
    /// of deserialising code.
    pub kind: EventKind,
}

/// One line of the conversation with the bot before the handoff, as the widget kept it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub author: Author,
    /// The visitor's words, or the bot's (an article's title, or what it said).
    pub text: String,
    /// For an answer: whether the visitor said it helped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helpful: Option<bool>,
}

/// Everything the agent should know at a handoff that the server cannot see for itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HandoffContext {
    /// The conversation with the bot so far, oldest first.
    #[serde(default)]
    pub transcript: Vec<TranscriptLine>,
    pub current_page: Option<String>,
    /// (url, title) of the pages visited this session, oldest first.
    #[serde(default)]
    pub pages: Vec<(String, String)>,
    pub locale: Option<Locale>,
    /// IANA time zone, e.g. `Asia/Tokyo`.
    pub timezone: Option<String>,
    /// The browser's user agent, for the device.
    pub user_agent: Option<String>,
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// The visitor's answers to the pre-chat form (a claim, never verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Machine-readable reasons a frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The first frame was not a hello of a version the server speaks.
    Version,
    /// The frame could not be read.
    Malformed,
    /// A session is missing, forged or expired.
    Unauthorized,
    /// The conversation token is expired, forged, for another site or for a conversation this
    /// server does not have (its database was recreated): say hello without it, which starts
    /// a new conversation.
    StaleToken,
    /// The frame names a conversation this client may not touch.
    Forbidden,
    TooLarge,
    /// Too many messages too fast; the connection stays open.
    RateLimited,
    /// Someone else claimed the conversation first.
    AlreadyClaimed,
    /// This visitor has too many connections open (tabs, devices); this one is closed.
    TooManyConnections,
    /// Nothing was heard for too long; the connection is closed (reconnect to go on).
    Idle,
    /// A survey answer out of range, a second one, or for a conversation that did not ask.
    SurveyRefused,
    /// An address mail cannot go to, a transcript asked for too often, or a server that sends
    /// no mail.
    EmailRefused,
    Internal,
}

/// From a visitor's widget to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitorToServer {
    /// First frame: the protocol version, the token of an earlier conversation if any, and
    /// the last sequence number seen (to get what was missed).
    Hello {
        version: u32,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        last_seq: Seq,
        /// Who the host page says the visitor is (`Ito('identify', ...)`); with a valid
        /// signature their conversations follow them to any device.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visitor: Option<crate::embed::Visitor>,
    },
    Send {
        id: ClientId,
        text: String,
    },
    /// Ask for a person, with the transcript so far and what the widget knows.
    Handoff {
        reason: HandoffReason,
        context: Box<HandoffContext>,
    },
    Typing {
        typing: bool,
    },
    Read {
        up_to: Seq,
    },
    End,
    /// The visitor said their first words to the bot: a new visitor's conversation starts now
    /// (a hello alone starts none). Ignored once there is a conversation.
    Start,
    /// The visitor said the bot's answer solved it: counted as resolved by the bot.
    Solved,
    /// What the bot did with one of the visitor's questions, for the site's content gaps and
    /// its articles' figures: the article it answered with, none with `unsure` (it did not
    /// know), or none without (it offered several). `line` is the bot's line in the widget's
    /// thread, so a report sent twice is counted once.
    BotReplied {
        line: u32,
        locale: Locale,
        question: String,
        #[serde(default)]
        article: Option<String>,
        #[serde(default)]
        unsure: bool,
    },
    /// The visitor's verdict on the bot's answer on `line` ("Did this help?").
    Rated {
        line: u32,
        helpful: bool,
    },
    /// The satisfaction (1-5) and effort (1-7) survey, once per conversation that asked.
    Survey {
        #[serde(default)]
        csat: Option<u8>,
        #[serde(default)]
        ces: Option<u8>,
        #[serde(default)]
        comment: Option<String>,
    },
    /// The visitor's address for mail: a person's reply they are not there to read is also
    /// mailed to it, and with `transcript` the conversation is mailed to it now.
    Email {
        address: String,
        #[serde(default)]
        transcript: bool,
    },
    Ping,
}

/// From the server to a visitor's widget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerToVisitor {
    Welcome {
        version: u32,
        conversation: ConversationId,
        /// Keep it: it proves this conversation is yours on the next connection.
        token: String,
    },
    Event(Event),
    /// Stored: `id` is durable as event `seq`. A resend gets the same answer.
    Ack {
        id: ClientId,
        seq: Seq,
    },
    Queue {
        position: u32,
        expected_wait_secs: Option<u32>,
        /// No agent is online: the visitor can leave a message, answered in this thread.
        #[serde(default)]
        nobody_online: bool,
    },
    Typing {
        typing: bool,
    },
    /// The survey answer is stored.
    SurveyStored,
    /// The address of an `email` frame is kept (and its transcript queued, if asked for).
    EmailKept {
        transcript: bool,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
    Pong,
}

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Only the assistant so far.
    Bot,
    /// Handed off, in its site's queue.
    Waiting,
    /// An agent has it.
    Assigned,
    /// The agent closed it.
    Resolved,
    /// The visitor closed it.
    Ended,
}

/// An agent as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRef {
    pub id: String,
    pub name: String,
}

/// An open conversation (waiting or assigned), as the console's inbox lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub conversation: ConversationId,
    pub site: String,
    pub status: ConversationStatus,
    /// Who has it, once assigned.
    pub agent: Option<AgentRef>,
    pub reason: Option<HandoffReason>,
    /// When the visitor asked for a person (RFC 3339, UTC).
    pub since: String,
    /// The visitor's name, when the host page said it.
    pub visitor: Option<String>,
    /// The visitor's latest words.
    pub preview: Option<String>,
    /// The labels agents put on it.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// Who a visitor is, as far as the host page said, and whether its signature proved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorIdentity {
    /// The host page's id for them.
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The site's server signed the id: this is who they are. Otherwise only a claim.
    pub verified: bool,
}

/// Another conversation of the same visitor, for the context panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlierConversation {
    pub conversation: ConversationId,
    /// When it started (RFC 3339, UTC).
    pub started: String,
    pub status: ConversationStatus,
    /// The visitor's first words in it.
    pub first_words: Option<String>,
}

/// From an agent's console to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentToServer {
    Hello {
        version: u32,
    },
    Claim {
        conversation: ConversationId,
    },
    Send {
        conversation: ConversationId,
        id: ClientId,
        text: String,
        /// The article the agent inserted into this reply ("Insert answer"), if any: the
        /// visitor's question becomes a suggestion to the site's editors.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        article: Option<String>,
    },
    Typing {
        conversation: ConversationId,
        typing: bool,
    },
    Read {
        conversation: ConversationId,
        up_to: Seq,
    },
    Resolve {
        conversation: ConversationId,
    },
    /// Hands a conversation this agent has to agent `to` (online or not, with room for it),
    /// with a note for them; the visitor is told who takes over.
    Transfer {
        conversation: ConversationId,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Opens a resolved or ended conversation again, as this agent's (the visitor is told
    /// who joined).
    Reopen {
        conversation: ConversationId,
    },
    /// Puts a label of the conversation's site on it (`on`), or takes it off; any agent may.
    Label {
        conversation: ConversationId,
        label: String,
        on: bool,
    },
    /// A private note in a conversation, for agents only (any agent may write one).
    Note {
        conversation: ConversationId,
        id: ClientId,
        text: String,
    },
    /// Show a conversation (any, assigned or not): its context, then its events as they come.
    Open {
        conversation: ConversationId,
    },
    /// Catch up on a conversation from `after`.
    Replay {
        conversation: ConversationId,
        after: Seq,
    },
    Status {
        online: bool,
    },
    Ping,
}

/// From the server to an agent's console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerToAgent {
    /// Every open conversation (waiting for a person or with one), oldest handoff first: sent
    /// after the hello and again whenever one is handed off, taken or closed.
    Inbox {
        conversations: Vec<InboxEntry>,
    },
    /// What the agent needs before reading a word of a conversation they claimed or opened: a
    /// summary to read in five seconds, and the full context behind it.
    Context {
        conversation: ConversationId,
        status: ConversationStatus,
        agent: Option<AgentRef>,
        /// `None` for a conversation never handed off (an earlier one, with the bot only).
        reason: Option<HandoffReason>,
        summary: Vec<String>,
        context: Box<HandoffContext>,
        /// The same visitor's other conversations, newest first.
        earlier: Vec<EarlierConversation>,
        visitor: Option<VisitorIdentity>,
    },
    Welcome {
        version: u32,
        agent_id: String,
    },
    Event {
        conversation: ConversationId,
        event: Event,
    },
    Ack {
        conversation: ConversationId,
        id: ClientId,
        seq: Seq,
    },
    /// The conversation is now this agent's (or another's: `by` says whose).
    Claimed {
        conversation: ConversationId,
        by: String,
    },
    Typing {
        conversation: ConversationId,
        typing: bool,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
    Pong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_and_plain() {
        assert!("m-1_a".parse::<ClientId>().is_ok());
        for bad in ["", "a b", "../x", "é", &"x".repeat(65)] {
            let err = bad.parse::<ClientId>().unwrap_err().to_string();
            assert!(err.starts_with("message id"), "{err}");
        }
        let frame = r#"{"send":{"id":"a/b","text":"hi"}}"#;
        assert!(serde_json::from_str::<VisitorToServer>(frame).is_err());
    }

    #[test]
    fn frames_read_as_the_widget_and_console_write_them() {
        let hello: VisitorToServer = serde_json::from_str(r#"{"hello":{"version":1}}"#).unwrap();
        assert_eq!(
            hello,
            VisitorToServer::Hello {
                version: 1,
                token: None,
                last_seq: 0,
                visitor: None,
            }
        );
        let event = ServerToVisitor::Event(Event {
            seq: 7,
            at: 1_700_000_000_000,
            kind: EventKind::Message {
                id: "m1".parse().unwrap(),
                author: Author::Agent {
                    id: "a1".into(),
                    name: "Kenji".into(),
                },
                text: "Hello!".into(),
            },
        });
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(
            json,
            r#"{"event":{"seq":7,"at":1700000000000,"kind":{"message":{"id":"m1","author":{"agent":{"id":"a1","name":"Kenji"}},"text":"Hello!"}}}}"#
        );
        assert_eq!(
            serde_json::from_str::<ServerToVisitor>(&json).unwrap(),
            event
        );
        let ack = serde_json::to_string(&ServerToAgent::Ack {
            conversation: "c1".parse().unwrap(),
            id: "m2".parse().unwrap(),
            seq: 8,
        })
        .unwrap();
        assert_eq!(ack, r#"{"ack":{"conversation":"c1","id":"m2","seq":8}}"#);
        assert_eq!(
            serde_json::to_string(&ServerToVisitor::Pong).unwrap(),
            r#""pong""#
        );
        let claim: AgentToServer =
            serde_json::from_str(r#"{"claim":{"conversation":"c1"}}"#).unwrap();
        assert!(matches!(claim, AgentToServer::Claim { .. }));
    }

    #[test]
    fn a_handoff_carries_its_context() {
        let frame = r#"{"handoff":{"reason":"not_helpful","context":{"current_page":"https://shop.example/cart","pages":[["https://shop.example/","Home"]],"locale":"ja","timezone":"Asia/Tokyo","user_agent":"x","attributes":{"plan":"pro"}}}}"#;
        let VisitorToServer::Handoff { reason, context } = serde_json::from_str(frame).unwrap()
        else {
            panic!("a handoff")
        };
        assert_eq!(reason, HandoffReason::NotHelpful);
        assert_eq!(context.locale, Some(Locale::Ja));
        assert_eq!(context.pages[0].1, "Home");
        assert_eq!(context.attributes["plan"], "pro");
    }
}

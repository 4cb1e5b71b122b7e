//! Reading the server's frames in the widget, by hand: serde's derived readers for
//! [`ServerToVisitor`], [`EventKind`] and [`Author`] cost the widget about 24 KB of code, and
//! its size is counted. These read the JSON value the widget parses anyway, into the very same
//! types; a test checks them against serde's own writing of every frame.

use serde_json::{Map, Value};

use crate::chat::{
    Attachment, Author, ClientId, ConversationId, ErrorCode, Event, EventKind, HandoffReason,
    ServerToVisitor,
};

type Object = Map<String, Value>;

fn text(object: &Object, key: &str) -> Option<String> {
    object.get(key)?.as_str().map(str::to_owned)
}

fn number(object: &Object, key: &str) -> Option<u64> {
    object.get(key)?.as_u64()
}

/// A unit variant (`"pong"`) or the one key of a tagged object (`{"ack": {...}}`).
fn tagged(value: &Value) -> Option<(&str, Option<&Object>)> {
    match value {
        Value::String(tag) => Some((tag, None)),
        Value::Object(object) if object.len() == 1 => {
            let (tag, inner) = object.iter().next()?;
            Some((tag, inner.as_object()))
        }
        _ => None,
    }
}

/// A reason as serde writes it (`"not_helpful"`): by hand, as serde's derived reader of a
/// string enum costs the widget hundreds of bytes (a test checks every variant).
fn handoff_reason(value: Option<&Value>) -> Option<HandoffReason> {
    Some(match value?.as_str()? {
        "asked" => HandoffReason::Asked,
        "unsure" => HandoffReason::Unsure,
        "not_helpful" => HandoffReason::NotHelpful,
        "frustrated" => HandoffReason::Frustrated,
        _ => return None,
    })
}

/// An error code as serde writes it, by hand for the same reason.
fn error_code(value: Option<&Value>) -> Option<ErrorCode> {
    use ErrorCode::*;
    Some(match value?.as_str()? {
        "version" => Version,
        "malformed" => Malformed,
        "unauthorized" => Unauthorized,
        "stale_token" => StaleToken,
        "forbidden" => Forbidden,
        "too_large" => TooLarge,
        "rate_limited" => RateLimited,
        "already_claimed" => AlreadyClaimed,
        "too_many_connections" => TooManyConnections,
        "idle" => Idle,
        "survey_refused" => SurveyRefused,
        "email_refused" => EmailRefused,
        "internal" => Internal,
        _ => return None,
    })
}

fn author(value: &Value) -> Option<Author> {
    Some(match tagged(value)? {
        ("visitor", None) => Author::Visitor,
        ("bot", Some(bot)) => Author::Bot {
            article: text(bot, "article"),
            confidence: bot
                .get("confidence")
                .and_then(Value::as_f64)
                .map(|c| c as f32),
        },
        ("agent", Some(agent)) => Author::Agent {
            id: text(agent, "id")?,
            name: text(agent, "name")?,
        },
        _ => return None,
    })
}

fn event_kind(value: &Value) -> Option<EventKind> {
    Some(match tagged(value)? {
        ("resolved", None) => EventKind::Resolved,
        ("ended", None) => EventKind::Ended,
        ("message", Some(m)) => EventKind::Message {
            id: text(m, "id")?.parse::<ClientId>().ok()?,
            author: author(m.get("author")?)?,
            text: text(m, "text")?,
        },
        ("handoff_requested", Some(h)) => EventKind::HandoffRequested {
            reason: handoff_reason(h.get("reason"))?,
        },
        ("agent_joined", Some(j)) => EventKind::AgentJoined {
            agent_id: text(j, "agent_id")?,
            name: text(j, "name")?,
        },
        ("read", Some(r)) => EventKind::Read {
            by_agent: r.get("by_agent")?.as_bool()?,
            up_to: number(r, "up_to")?,
        },
        ("attachment", Some(a)) => {
            let file = a.get("file")?.as_object()?;
            EventKind::Attachment {
                author: author(a.get("author")?)?,
                file: Attachment {
                    id: text(file, "id")?,
                    name: text(file, "name")?,
                    media_type: text(file, "media_type")?,
                    size: number(file, "size")?,
                },
            }
        }
        _ => return None,
    })
}

impl ServerToVisitor {
    /// Reads a frame as the server wrote it; `None` for anything else.
    pub fn read(json: &str) -> Option<ServerToVisitor> {
        let value: Value = serde_json::from_str(json).ok()?;
        Some(match tagged(&value)? {
            ("pong", None) => ServerToVisitor::Pong,
            ("survey_stored", None) => ServerToVisitor::SurveyStored,
            ("welcome", Some(w)) => ServerToVisitor::Welcome {
                version: number(w, "version")? as u32,
                conversation: text(w, "conversation")?.parse::<ConversationId>().ok()?,
                token: text(w, "token")?,
            },
            ("event", Some(e)) => ServerToVisitor::Event(Event {
                seq: number(e, "seq")?,
                at: e.get("at")?.as_i64()?,
                kind: event_kind(e.get("kind")?)?,
            }),
            ("ack", Some(a)) => ServerToVisitor::Ack {
                id: text(a, "id")?.parse::<ClientId>().ok()?,
                seq: number(a, "seq")?,
            },
            ("queue", Some(q)) => ServerToVisitor::Queue {
                position: number(q, "position")? as u32,
                expected_wait_secs: number(q, "expected_wait_secs").map(|s| s as u32),
                nobody_online: q
                    .get("nobody_online")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            },
            ("email_kept", Some(k)) => ServerToVisitor::EmailKept {
                transcript: k.get("transcript")?.as_bool()?,
            },
            ("typing", Some(t)) => ServerToVisitor::Typing {
                typing: t.get("typing")?.as_bool()?,
            },
            ("error", Some(e)) => ServerToVisitor::Error {
                code: error_code(e.get("code"))?,
                message: text(e, "message")?,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_frame() -> Vec<ServerToVisitor> {
        let event = |seq, kind| {
            ServerToVisitor::Event(Event {
                seq,
                at: 1_700_000_000_123,
                kind,
            })
        };
        let agent = Author::Agent {
            id: "a1".into(),
            name: "Kenji".into(),
        };
        vec![
            ServerToVisitor::Welcome {
                version: 1,
                conversation: "c1".parse().unwrap(),
                token: "c1.123.sig".into(),
            },
            event(
                1,
                EventKind::Message {
                    id: "m1".parse().unwrap(),
                    author: Author::Visitor,
                    text: "hi \"there\"".into(),
                },
            ),
            event(
                2,
                EventKind::Message {
                    id: "m2".parse().unwrap(),
                    author: agent,
                    text: "Hello".into(),
                },
            ),
            event(
                3,
                EventKind::Message {
                    id: "m3".parse().unwrap(),
                    author: Author::Bot {
                        article: Some("returns".into()),
                        confidence: Some(0.5),
                    },
                    text: "Returns".into(),
                },
            ),
            event(
                4,
                EventKind::Message {
                    id: "m4".parse().unwrap(),
                    author: Author::Bot {
                        article: None,
                        confidence: None,
                    },
                    text: "?".into(),
                },
            ),
            event(
                5,
                EventKind::HandoffRequested {
                    reason: HandoffReason::NotHelpful,
                },
            ),
            event(
                6,
                EventKind::AgentJoined {
                    agent_id: "a1".into(),
                    name: "Kenji".into(),
                },
            ),
            event(
                7,
                EventKind::Read {
                    by_agent: true,
                    up_to: 6,
                },
            ),
            event(8, EventKind::Resolved),
            event(9, EventKind::Ended),
            event(
                10,
                EventKind::Attachment {
                    author: Author::Visitor,
                    file: Attachment {
                        id: "f1".into(),
                        name: "receipt \"May\".png".into(),
                        media_type: "image/png".into(),
                        size: 2048,
                    },
                },
            ),
            event(
                11,
                EventKind::Attachment {
                    author: Author::Agent {
                        id: "a1".into(),
                        name: "Kenji".into(),
                    },
                    file: Attachment {
                        id: "f2".into(),
                        name: "label.pdf".into(),
                        media_type: "application/pdf".into(),
                        size: 10 * 1024 * 1024,
                    },
                },
            ),
            ServerToVisitor::Ack {
                id: "m1".parse().unwrap(),
                seq: 1,
            },
            ServerToVisitor::Queue {
                position: 2,
                expected_wait_secs: Some(90),
                nobody_online: false,
            },
            ServerToVisitor::Queue {
                position: 1,
                expected_wait_secs: None,
                nobody_online: true,
            },
            ServerToVisitor::Typing { typing: true },
            ServerToVisitor::SurveyStored,
            ServerToVisitor::EmailKept { transcript: true },
            ServerToVisitor::EmailKept { transcript: false },
            ServerToVisitor::Error {
                code: ErrorCode::EmailRefused,
                message: "no".into(),
            },
            ServerToVisitor::Error {
                code: ErrorCode::SurveyRefused,
                message: "no".into(),
            },
            ServerToVisitor::Pong,
        ]
    }

    #[test]
    fn every_reason_and_error_code_reads_back_as_serde_wrote_it() {
        use ErrorCode::*;
        use HandoffReason::*;
        for reason in [Asked, Unsure, NotHelpful, Frustrated] {
            let value = serde_json::to_value(reason).unwrap();
            assert_eq!(handoff_reason(Some(&value)), Some(reason));
        }
        // A variant missing here fails to compile: the match names them all.
        let every = |code: ErrorCode| match code {
            Version | Malformed | Unauthorized | StaleToken | Forbidden | TooLarge
            | RateLimited | AlreadyClaimed | TooManyConnections | Idle | SurveyRefused
            | EmailRefused | Internal => code,
        };
        for code in [
            Version,
            Malformed,
            Unauthorized,
            StaleToken,
            Forbidden,
            TooLarge,
            RateLimited,
            AlreadyClaimed,
            TooManyConnections,
            Idle,
            SurveyRefused,
            EmailRefused,
            Internal,
        ] {
            let value = serde_json::to_value(every(code)).unwrap();
            assert_eq!(error_code(Some(&value)), Some(code), "{value}");
        }
        assert_eq!(error_code(Some(&Value::from("nope"))), None);
    }

    #[test]
    fn every_frame_reads_back_as_serde_wrote_it() {
        for frame in every_frame() {
            let json = serde_json::to_string(&frame).unwrap();
            assert_eq!(ServerToVisitor::read(&json), Some(frame), "{json}");
        }
    }

    #[test]
    fn anything_else_is_none() {
        for bad in [
            "",
            "not json",
            "\"nonsense\"",
            r#"{"ack":{"id":"a/b","seq":1}}"#,
            r#"{"ack":{"id":"m1"}}"#,
            r#"{"ack":{},"pong":{}}"#,
            r#"{"event":{"seq":1,"at":0,"kind":{"message":{"id":"m1","author":"robot","text":"x"}}}}"#,
        ] {
            assert_eq!(ServerToVisitor::read(bad), None, "{bad}");
        }
    }
}

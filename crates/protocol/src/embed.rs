//! Frames exchanged with `postMessage` between the loader on the host page (`ito.js`, plain
//! JavaScript) and the widget iframe (Rust).
//!
//! Every frame is a JSON object `{"ito": 1, "type": "...", ...}`: the `ito` key both marks the
//! frame as ours among whatever else the host page posts and carries the version. Both sides
//! also check `event.origin` before looking at a frame; this module only checks its shape.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The embed frame version; bumped when a frame changes incompatibly.
pub const EMBED_VERSION: u32 = 1;

/// From the widget iframe to the loader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WidgetToHost {
    /// The widget is mounted and listening.
    Ready,
    /// The visitor closed the panel from inside the iframe.
    Close,
    /// A line was added to the conversation. Only who wrote it crosses to the host page,
    /// never the text: the host's scripts are not the visitor's confidants.
    Message { author: Author },
    /// The visitor asked for a person.
    Handoff,
    /// The visitor answered the survey (the loader emits `detail` as the event's data).
    Survey { detail: SurveyScores },
}

/// The scores of a survey answer, for the host page (never the comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyScores {
    pub csat: Option<u8>,
    pub ces: Option<u8>,
}

/// Who wrote a line, as the host page learns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Visitor,
    Bot,
    Agent,
}

/// From the loader to the widget iframe.
/// From the host page to the widget; read by [`decode_host`].
#[derive(Debug, Clone, PartialEq)]
pub enum HostToWidget {
    /// The panel became visible: the widget moves focus to its composer.
    Open,
    /// The page the visitor is on, for the trail an agent sees after a handoff.
    Page { url: String, title: String },
    /// `Ito('article', id)`: show this help article.
    Article { id: String },
    /// `Ito('identify', {...})`: who the visitor is, as the host page claims (verified by
    /// its signature in the live chat).
    Identify { visitor: Visitor },
    /// `Ito('attributes', {...})`: facts the site wants agents to see (plan, cart value).
    Attributes {
        attributes: serde_json::Map<String, serde_json::Value>,
    },
    /// `Ito('reset')` (the host's user logged out): forget the stored thread, token and
    /// context, as if this browser had never chatted.
    Reset,
}

/// A visitor as the host page identifies them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Hex HMAC-SHA256 with the site's secret, computed by the site's server: of `id`, or,
    /// with `expires`, of `id`, a newline and `expires`.
    #[serde(default)]
    pub signature: Option<String>,
    /// Unix seconds after which the signature no longer vouches for the visitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
}

impl Visitor {
    /// Reads a visitor as serde writes one, by hand over a JSON value the widget has anyway
    /// (serde's derived reader costs it kilobytes); `None` where serde's would fail.
    pub fn read(value: &Value) -> Option<Visitor> {
        let object = value.as_object()?;
        let text = |key: &str| match object.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => v.as_str().map(|s| Some(s.to_owned())),
        };
        Some(Visitor {
            id: object.get("id")?.as_str()?.to_owned(),
            name: text("name")?,
            email: text("email")?,
            signature: text("signature")?,
            expires: match object.get("expires") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_i64()?),
            },
        })
    }
}

#[derive(Serialize)]
struct Envelope<T> {
    ito: u32,
    #[serde(flatten)]
    frame: T,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    /// Not one of ours (no `ito` key): ignore it silently, the host page may post its own frames.
    #[error("not an Ito frame")]
    Foreign,
    #[error("Ito frame version {0} is not supported (expected {EMBED_VERSION})")]
    Version(u32),
    #[error("malformed Ito frame: {0}")]
    Malformed(String),
}

/// Writes a frame as the JSON text the other side parses.
pub fn encode<T: Serialize>(frame: &T) -> String {
    let envelope = Envelope {
        ito: EMBED_VERSION,
        frame,
    };
    // A derived Serialize of a unit-variant enum into a String cannot fail.
    serde_json::to_string(&envelope).expect("embed frames always serialize")
}

/// Reads a frame the host page posted: `Foreign` unless it is an object with an `ito` version.
///
/// By hand rather than with serde's derive: the derived reader of an internally tagged,
/// flattened enum buffers every field through serde's generic `Content` and costs the widget
/// several kilobytes; this reads the JSON value the widget already knows how to parse.
pub fn decode_host(json: &str) -> Result<HostToWidget, EmbedError> {
    use serde_json::Value;
    let value: Value = serde_json::from_str(json).map_err(|_| EmbedError::Foreign)?;
    let frame = value.as_object().ok_or(EmbedError::Foreign)?;
    let version = frame
        .get("ito")
        .and_then(Value::as_u64)
        .ok_or(EmbedError::Foreign)?;
    if version != u64::from(EMBED_VERSION) {
        return Err(EmbedError::Version(version as u32));
    }
    let missing = |key: &str| EmbedError::Malformed(format!("no {key}"));
    let text = |key: &str| {
        frame
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| missing(key))
    };
    Ok(match frame.get("type").and_then(Value::as_str) {
        Some("open") => HostToWidget::Open,
        Some("reset") => HostToWidget::Reset,
        Some("page") => HostToWidget::Page {
            url: text("url")?,
            title: text("title")?,
        },
        Some("article") => HostToWidget::Article { id: text("id")? },
        Some("identify") => HostToWidget::Identify {
            visitor: frame
                .get("visitor")
                .and_then(Visitor::read)
                .ok_or_else(|| missing("visitor with an id"))?,
        },
        Some("attributes") => HostToWidget::Attributes {
            attributes: frame
                .get("attributes")
                .and_then(Value::as_object)
                .cloned()
                .ok_or_else(|| missing("attributes object"))?,
        },
        other => {
            let other = other.unwrap_or("(none)");
            return Err(EmbedError::Malformed(format!("unknown type \"{other}\"")));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_reads_by_hand_as_serde_reads_it() {
        for json in [
            r#"{"id": "u1"}"#,
            r#"{"id": "u1", "name": "Ann", "email": "a@b.c", "signature": "ab", "expires": 17, "x": 1}"#,
            r#"{"id": "u1", "name": null, "expires": null}"#,
            r#"{"id": 5}"#,
            r#"{"name": "Ann"}"#,
            r#"{"id": "u1", "email": 3}"#,
            r#"{"id": "u1", "expires": "soon"}"#,
            r#"{"id": "u1", "expires": 1.5}"#,
            "[]",
        ] {
            let value: Value = serde_json::from_str(json).unwrap();
            let serde = serde_json::from_value::<Visitor>(value.clone()).ok();
            assert_eq!(Visitor::read(&value), serde, "{json}");
        }
    }

    // These literal shapes are what widget/loader/ito.js writes and reads.
    #[test]
    fn frames_have_the_shape_the_loader_uses() {
        assert_eq!(encode(&WidgetToHost::Ready), r#"{"ito":1,"type":"ready"}"#);
        assert_eq!(encode(&WidgetToHost::Close), r#"{"ito":1,"type":"close"}"#);
        assert_eq!(
            decode_host(r#"{"type":"open","ito":1}"#),
            Ok(HostToWidget::Open)
        );
        assert_eq!(
            decode_host(r#"{"ito":1,"type":"reset"}"#),
            Ok(HostToWidget::Reset)
        );
        assert_eq!(
            encode(&WidgetToHost::Message {
                author: Author::Bot
            }),
            r#"{"ito":1,"type":"message","author":"bot"}"#
        );
        assert_eq!(
            encode(&WidgetToHost::Handoff),
            r#"{"ito":1,"type":"handoff"}"#
        );
        let survey = WidgetToHost::Survey {
            detail: SurveyScores {
                csat: Some(4),
                ces: None,
            },
        };
        assert_eq!(
            encode(&survey),
            r#"{"ito":1,"type":"survey","detail":{"csat":4,"ces":null}}"#,
            "the loader emits `detail` as the event's data"
        );
        assert_eq!(
            decode_host(
                r#"{"ito":1,"type":"page","url":"https://shop.example/a","title":"<b>A</b>"}"#
            ),
            Ok(HostToWidget::Page {
                url: "https://shop.example/a".into(),
                title: "<b>A</b>".into()
            })
        );
        assert_eq!(
            decode_host(r#"{"ito":1,"type":"article","id":"returns"}"#),
            Ok(HostToWidget::Article {
                id: "returns".into()
            })
        );
        let identify =
            decode_host(r#"{"ito":1,"type":"identify","visitor":{"id":"u1","name":"Ann"}}"#)
                .unwrap();
        assert!(
            matches!(identify, HostToWidget::Identify { visitor } if visitor.id == "u1" && visitor.email.is_none())
        );
        let attributes =
            decode_host(r#"{"ito":1,"type":"attributes","attributes":{"plan":"pro","seats":3}}"#)
                .unwrap();
        assert!(
            matches!(attributes, HostToWidget::Attributes { attributes } if attributes["seats"] == 3)
        );
    }

    #[test]
    fn foreign_and_broken_frames_are_told_apart() {
        assert_eq!(decode_host(r#"{"type":"open"}"#), Err(EmbedError::Foreign));
        assert_eq!(decode_host("\"hello\""), Err(EmbedError::Foreign));
        assert_eq!(decode_host("not json"), Err(EmbedError::Foreign));
        assert_eq!(
            decode_host(r#"{"ito":2,"type":"open"}"#),
            Err(EmbedError::Version(2))
        );
        assert!(matches!(
            decode_host(r#"{"ito":1,"type":"explode"}"#),
            Err(EmbedError::Malformed(_))
        ));
    }
}

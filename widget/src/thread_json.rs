//! Reading a stored [`Thread`] back, by hand: serde's derived reader for the thread's entries
//! costs the widget about 12 KB of code, and its size is counted. This reads the JSON value
//! serde wrote (`Thread::to_json`) into the same types; a browser test checks the round trip
//! for every kind of line.

use serde_json::{Map, Value};

use crate::thread::{ArticleRef, ChatLine, Entry, Feedback, SurveyState, Thread};
use ito_protocol::site_settings::PreChatField;

type Object = Map<String, Value>;

fn text(object: &Object, key: &str) -> Option<String> {
    object.get(key)?.as_str().map(str::to_owned)
}

fn number(object: &Object, key: &str) -> Option<u32> {
    object.get(key)?.as_u64().map(|n| n as u32)
}

fn article(value: &Value) -> Option<ArticleRef> {
    let object = value.as_object()?;
    Some(ArticleRef {
        id: text(object, "id")?,
        title: text(object, "title")?,
    })
}

fn entry(value: &Value) -> Option<Entry> {
    if let Some(unit) = value.as_str() {
        return Some(match unit {
            "Unsure" => Entry::Unsure,
            "Frustrated" => Entry::Frustrated,
            "PersonRequested" => Entry::PersonRequested,
            "Glad" => Entry::Glad,
            "Sorry" => Entry::Sorry,
            "Unavailable" => Entry::Unavailable,
            "Resolved" => Entry::Resolved,
            "Ended" => Entry::Ended,
            "Restarted" => Entry::Restarted,
            "EmailKept" => Entry::EmailKept,
            "TranscriptSent" => Entry::TranscriptSent,
            "EmailRefused" => Entry::EmailRefused,
            _ => return None,
        });
    }
    let (kind, inner) = value.as_object()?.iter().next()?;
    let e = inner.as_object()?;
    Some(match kind.as_str() {
        "Visitor" => Entry::Visitor {
            text: text(e, "text")?,
        },
        "Answer" => Entry::Answer {
            article: article(e.get("article")?)?,
            answer: text(e, "answer")?,
            score: e.get("score")?.as_f64()? as f32,
            feedback: match e.get("feedback").and_then(Value::as_str) {
                Some("Helpful") => Some(Feedback::Helpful),
                Some("NotHelpful") => Some(Feedback::NotHelpful),
                _ => None,
            },
        },
        "Suggestions" => Entry::Suggestions {
            choices: e
                .get("choices")?
                .as_array()?
                .iter()
                .map(article)
                .collect::<Option<_>>()?,
            chosen: text(e, "chosen"),
        },
        "PreChatAsk" => Entry::PreChatAsk {
            field: match e.get("field")?.as_str()? {
                "name" => PreChatField::Name,
                "email" => PreChatField::Email,
                _ => return None,
            },
            again: e.get("again")?.as_bool()?,
        },
        "Queue" => Entry::Queue {
            position: number(e, "position")?,
            wait_secs: number(e, "wait_secs"),
            nobody_online: e
                .get("nobody_online")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "AgentJoined" => Entry::AgentJoined {
            name: text(e, "name")?,
            taking_over: e
                .get("taking_over")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "Agent" => Entry::Agent {
            name: text(e, "name")?,
            text: text(e, "text")?,
        },
        "File" => Entry::File {
            by: text(e, "by"),
            name: text(e, "name")?,
            href: text(e, "href")?,
            image: e.get("image")?.as_bool()?,
        },
        "Survey" => Entry::Survey {
            state: match e.get("state")?.as_str()? {
                "Asked" => SurveyState::Asked,
                "Answered" => SurveyState::Answered,
                "Skipped" => SurveyState::Skipped,
                _ => return None,
            },
        },
        _ => return None,
    })
}

/// A stored thread; anything unreadable (another version, a damaged value) is `None`.
pub fn read(json: &str) -> Option<Thread> {
    let value: Value = serde_json::from_str(json).ok()?;
    let object = value.as_object()?;
    let lines = object
        .get("lines")?
        .as_array()?
        .iter()
        .map(|line| {
            let line = line.as_object()?;
            Some(ChatLine {
                id: number(line, "id")?,
                revision: number(line, "revision")?,
                entry: entry(line.get("entry")?)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let unanswered = match object.get("unanswered") {
        Some(ids) => ids
            .as_array()?
            .iter()
            .map(|id| id.as_u64().map(|n| n as u32))
            .collect::<Option<Vec<_>>>()?,
        None => Vec::new(),
    };
    Some(Thread::restored(lines, unanswered))
}

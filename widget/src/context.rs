//! What a handoff will carry besides the conversation: the pages the visitor went through and
//! what the host page said about them (`identify`, `attributes`). Plain data with limits, so a
//! host page cannot flood it; titles and values are kept as text and never parsed as HTML.

use ito_protocol::embed::Visitor;
use ito_protocol::site_settings::PreChatField;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Pages kept, newest last: enough to see how the visitor got here.
pub const MAX_PAGES: usize = 50;
const MAX_TITLE_CHARS: usize = 200;
const MAX_URL_CHARS: usize = 2000;
const MAX_ATTRIBUTES: usize = 50;
const MAX_KEY_CHARS: usize = 64;
const MAX_VALUE_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageVisit {
    pub url: String,
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub at: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitorContext {
    pub pages: Vec<PageVisit>,
    pub visitor: Option<Visitor>,
    pub attributes: Map<String, Value>,
    /// The visitor's own answers to the pre-chat form.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

fn clip(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

impl VisitorContext {
    /// Reads what [`Persisted`](crate::persist::Persisted) stored (serde's writing of this
    /// struct) by hand, as [`Live::from_json`](crate::live::Live::from_json) does and for the
    /// same reason. `None` for anything else.
    pub fn from_json(json: &str) -> Option<VisitorContext> {
        let value: Value = serde_json::from_str(json).ok()?;
        let context = value.as_object()?;
        let text = |key: &str| match context.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => v.as_str().map(|s| Some(s.to_owned())),
        };
        let mut pages = Vec::new();
        for page in context.get("pages")?.as_array()? {
            pages.push(PageVisit {
                url: page.get("url")?.as_str()?.to_owned(),
                title: page.get("title")?.as_str()?.to_owned(),
                at: page.get("at")?.as_f64()?,
            });
        }
        Some(VisitorContext {
            pages,
            visitor: match context.get("visitor")? {
                Value::Null => None,
                visitor => Some(Visitor::read(visitor)?),
            },
            attributes: context.get("attributes")?.as_object()?.clone(),
            name: text("name")?,
            email: text("email")?,
        })
    }

    /// Records a page; a reload of the page just recorded is not a new visit. Only http and
    /// https pages count. Returns whether the trail changed.
    pub fn visit(&mut self, url: &str, title: &str, at: f64) -> bool {
        let web = url.starts_with("https://") || url.starts_with("http://");
        if !web || url.len() > MAX_URL_CHARS {
            return false;
        }
        if self.pages.last().is_some_and(|p| p.url == url) {
            return false;
        }
        self.pages.push(PageVisit {
            url: url.to_owned(),
            title: clip(title, MAX_TITLE_CHARS),
            at,
        });
        if self.pages.len() > MAX_PAGES {
            self.pages.remove(0);
        }
        true
    }

    /// The visitor as the host page names them; an empty id is refused.
    pub fn identify(&mut self, visitor: Visitor) -> bool {
        if visitor.id.trim().is_empty() || visitor.id.len() > 256 {
            return false;
        }
        let short = |v: Option<String>| v.map(|v| clip(&v, MAX_VALUE_CHARS));
        self.visitor = Some(Visitor {
            id: visitor.id,
            name: short(visitor.name),
            email: short(visitor.email),
            signature: visitor.signature.filter(|s| s.len() <= 128),
            expires: visitor.expires,
        });
        true
    }

    /// The visitor's name and email as far as anyone said: the host page first, else the
    /// visitor's own answers.
    pub fn contact(&self) -> (Option<&str>, Option<&str>) {
        let said = self.visitor.as_ref();
        let name = said
            .and_then(|v| v.name.as_deref())
            .or(self.name.as_deref());
        let email = said
            .and_then(|v| v.email.as_deref())
            .or(self.email.as_deref());
        (name, email)
    }

    /// Keeps the visitor's answer to a pre-chat question (clipped like everything here).
    pub fn answer_pre_chat(&mut self, field: PreChatField, answer: String) {
        let answer = Some(clip(&answer, MAX_VALUE_CHARS));
        match field {
            PreChatField::Name => self.name = answer,
            PreChatField::Email => self.email = answer,
        }
    }

    /// Merges attributes: strings (clipped), numbers, booleans; `null` removes a key. Nested
    /// objects and arrays are dropped, as are keys past the limit. Returns how many were kept.
    pub fn set_attributes(&mut self, attributes: Map<String, Value>) -> usize {
        let mut kept = 0;
        for (key, value) in attributes {
            if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
                continue;
            }
            let value = match value {
                Value::Null => {
                    self.attributes.remove(&key);
                    continue;
                }
                Value::String(s) => Value::String(clip(&s, MAX_VALUE_CHARS)),
                v @ (Value::Number(_) | Value::Bool(_)) => v,
                Value::Array(_) | Value::Object(_) => continue,
            };
            if !self.attributes.contains_key(&key) && self.attributes.len() >= MAX_ATTRIBUTES {
                continue;
            }
            self.attributes.insert(key, value);
            kept += 1;
        }
        kept
    }
}

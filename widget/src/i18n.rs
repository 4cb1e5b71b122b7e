//! Visible strings, one JSON file per locale under `locales/`, keyed by component.

use ito_protocol::Locale;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    pub panel: PanelStrings,
    pub composer: ComposerStrings,
    pub message_list: MessageListStrings,
    pub bot: BotStrings,
    pub article_card: ArticleCardStrings,
    pub feedback: FeedbackStrings,
    /// Used by the loader on the host page (the server hands it over in the site settings).
    pub nudge: NudgeStrings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NudgeStrings {
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelStrings {
    pub title: String,
    pub greeting: String,
    pub close: String,
    pub talk_to_person: String,
    pub loading: String,
    /// Read to screen readers while the bot prepares an answer.
    pub typing: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposerStrings {
    pub label: String,
    pub placeholder: String,
    pub send: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageListStrings {
    pub label: String,
    pub you: String,
    pub bot: String,
}

/// What the bot says besides articles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotStrings {
    pub suggestions: String,
    pub unsure: String,
    pub person_requested: String,
    pub glad: String,
    pub sorry: String,
    pub unavailable: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleCardStrings {
    /// Read after a link's text: links in answers open in a new tab.
    pub new_tab: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackStrings {
    pub question: String,
    pub yes: String,
    pub no: String,
    /// Shown once the visitor answered, in place of the buttons.
    pub helpful: String,
    pub not_helpful: String,
}

fn source(locale: Locale) -> &'static str {
    match locale {
        Locale::En => include_str!("../locales/en.json"),
        Locale::Ja => include_str!("../locales/ja.json"),
    }
}

/// The strings for `locale`. Every locale file has every key (a test checks), so this cannot fail.
pub fn strings(locale: Locale) -> Strings {
    try_strings(locale).expect("locale files are complete and valid")
}

pub fn try_strings(locale: Locale) -> Result<Strings, serde_json::Error> {
    serde_json::from_str(source(locale))
}

/// The strings for `locale` with the site's own words (`panel.greeting` = "...") in place.
/// The server accepts only keys that exist; anything else is ignored here.
pub fn site_strings(locale: Locale, overrides: Option<&BTreeMap<String, String>>) -> Strings {
    let defaults = strings(locale);
    let Some(overrides) = overrides.filter(|o| !o.is_empty()) else {
        return defaults;
    };
    let mut tree = serde_json::to_value(&defaults).expect("strings serialize");
    for (key, value) in overrides {
        let Some((section, name)) = key.split_once('.') else {
            continue;
        };
        if let Some(slot) = tree.get_mut(section).and_then(|s| s.get_mut(name)) {
            *slot = serde_json::Value::String(value.clone());
        }
    }
    serde_json::from_value(tree).unwrap_or(defaults)
}

//! Visible strings, one JSON file per locale under `locales/`, keyed by component.

use ito_protocol::Locale;
use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    pub panel: PanelStrings,
    pub composer: ComposerStrings,
    pub message_list: MessageListStrings,
    pub bot: BotStrings,
    pub article_card: ArticleCardStrings,
    pub feedback: FeedbackStrings,
    /// Used by the loader on the host page (the server hands them over in the site settings).
    pub launcher: LauncherStrings,
}

/// The loader's words: the launcher's labels and the nudge.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LauncherStrings {
    pub open: String,
    pub close: String,
    /// `{count}` is replaced by the number of unread messages.
    pub unread: String,
    pub dismiss: String,
    pub nudge: String,
}

#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposerStrings {
    pub label: String,
    pub placeholder: String,
    pub send: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageListStrings {
    pub label: String,
    pub you: String,
    pub bot: String,
}

/// What the bot says besides articles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotStrings {
    pub suggestions: String,
    pub unsure: String,
    pub person_requested: String,
    pub glad: String,
    pub sorry: String,
    pub unavailable: String,
    /// `{position}` is the visitor's place in the queue.
    pub queue: String,
    /// `{name}` is the person's name.
    pub agent_joined: String,
    pub resolved: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleCardStrings {
    /// Read after a link's text: links in answers open in a new tab.
    pub new_tab: String,
}

#[derive(Debug, Clone, Deserialize)]
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
/// The server accepts only keys that exist; anything else is ignored here. The merge works on
/// the locale file's text as plain maps, so the widget carries one JSON reader for strings.
pub fn site_strings(locale: Locale, overrides: Option<&BTreeMap<String, String>>) -> Strings {
    let Some(overrides) = overrides.filter(|o| !o.is_empty()) else {
        return strings(locale);
    };
    type Sections = BTreeMap<String, BTreeMap<String, String>>;
    let mut sections: Sections =
        serde_json::from_str(source(locale)).expect("locale files are flat sections of strings");
    for (key, value) in overrides {
        let slot = key
            .split_once('.')
            .and_then(|(section, name)| sections.get_mut(section)?.get_mut(name));
        if let Some(slot) = slot {
            slot.clone_from(value);
        }
    }
    let merged = serde_json::to_string(&sections).expect("maps of strings serialize");
    serde_json::from_str(&merged).unwrap_or_else(|_| strings(locale))
}

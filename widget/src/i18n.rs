//! Visible strings, one JSON file per locale under `locales/`, keyed by component.

use ito_protocol::Locale;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    pub panel: PanelStrings,
    pub composer: ComposerStrings,
    pub message_list: MessageListStrings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelStrings {
    pub title: String,
    pub greeting: String,
    pub close: String,
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

//! The console's words in English and Japanese, from `locales/*.json` (flat keys named by
//! feature: `inbox.waiting`). The browser's language chooses; a key missing from a locale
//! shows the English words, and a key missing from both shows itself, so it is noticed.

use std::collections::HashMap;
use std::sync::OnceLock;

const EN: &str = include_str!("../locales/en.json");
const JA: &str = include_str!("../locales/ja.json");

static WORDS: OnceLock<Words> = OnceLock::new();

#[derive(Debug)]
pub struct Words {
    pub lang: &'static str,
    chosen: HashMap<String, String>,
    english: HashMap<String, String>,
}

impl Words {
    pub fn new(lang: &str) -> Words {
        let parse = |text: &str| -> HashMap<String, String> {
            serde_json::from_str(text).expect("the console's locale files are valid JSON")
        };
        let japanese = lang.to_ascii_lowercase().starts_with("ja");
        Words {
            lang: if japanese { "ja" } else { "en" },
            chosen: parse(if japanese { JA } else { EN }),
            english: parse(EN),
        }
    }

    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.chosen
            .get(key)
            .or_else(|| self.english.get(key))
            .map_or(key, String::as_str)
    }

    /// Keys of one locale missing from the other: both must say everything.
    pub fn differences() -> Vec<String> {
        let (en, ja) = (Words::new("en"), Words::new("ja"));
        let missing = |a: &HashMap<String, String>, b: &HashMap<String, String>| {
            a.keys()
                .filter(|k| !b.contains_key(*k))
                .cloned()
                .collect::<Vec<_>>()
        };
        let mut keys = missing(&en.chosen, &ja.chosen);
        keys.extend(missing(&ja.chosen, &en.chosen));
        keys.sort();
        keys
    }
}

/// Chooses the words once, from the browser's language.
pub fn init(lang: &str) {
    let _ = WORDS.set(Words::new(lang));
}

/// The words for `key` in the chosen language.
pub fn t(key: &'static str) -> &'static str {
    WORDS.get_or_init(|| Words::new("en")).get(key)
}

/// `t(key)` with `{name}` replaced by `value`.
pub fn fill(key: &'static str, name: &str, value: &str) -> String {
    t(key).replace(&format!("{{{name}}}"), value)
}

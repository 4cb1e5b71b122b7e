//! The languages Ito speaks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language with a full set of strings. English is the fallback for everything else.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub enum Locale {
    #[default]
    En,
    Ja,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported locale {0:?}: Ito speaks \"en\" and \"ja\"")]
pub struct UnsupportedLocale(pub String);

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Ja];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ja => "ja",
        }
    }

    /// Picks a supported locale from a BCP 47 tag such as a browser's `navigator.language`
    /// (`"ja-JP"` gives Japanese); anything unknown gives `None` so the caller chooses the fallback.
    pub fn from_language_tag(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.code() == primary)
    }
}

impl FromStr for Locale {
    type Err = UnsupportedLocale;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Locale::ALL
            .into_iter()
            .find(|l| l.code() == s)
            .ok_or_else(|| UnsupportedLocale(s.to_owned()))
    }
}

impl TryFrom<String> for Locale {
    type Error = UnsupportedLocale;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Locale> for String {
    fn from(locale: Locale) -> String {
        locale.code().to_owned()
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_pick_the_primary_language() {
        assert_eq!(Locale::from_language_tag("ja-JP"), Some(Locale::Ja));
        assert_eq!(Locale::from_language_tag("EN_gb"), Some(Locale::En));
        assert_eq!(Locale::from_language_tag("fr-FR"), None);
        assert_eq!(Locale::from_language_tag(""), None);
    }

    #[test]
    fn exact_codes_parse_and_others_explain() {
        assert_eq!("ja".parse::<Locale>(), Ok(Locale::Ja));
        let err = "de".parse::<Locale>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported locale \"de\": Ito speaks \"en\" and \"ja\""
        );
    }
}

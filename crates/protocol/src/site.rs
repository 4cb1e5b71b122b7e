//! Site identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest site id we accept; long enough for a slug, short enough for a URL segment.
pub const MAX_SITE_ID_LEN: usize = 64;

/// A site's id as written in `data-site="..."` and in `ito.toml`.
///
/// Lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit, so it can be
/// placed in a URL path or a log line without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SiteId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteIdError {
    #[error("a site id cannot be empty")]
    Empty,
    #[error("a site id is at most {MAX_SITE_ID_LEN} characters, this one has {0}")]
    TooLong(usize),
    #[error("a site id must start with a lowercase letter or a digit")]
    BadStart,
    #[error("a site id may contain only a-z, 0-9, '-' and '_', not {0:?}")]
    BadChar(char),
}

impl SiteId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SiteId {
    type Err = SiteIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        let first = s.chars().next().ok_or(SiteIdError::Empty)?;
        let length = s.chars().count();
        if length > MAX_SITE_ID_LEN {
            return Err(SiteIdError::TooLong(length));
        }
        if !allowed(first) {
            return Err(SiteIdError::BadStart);
        }
        if let Some(bad) = s.chars().find(|&c| !(allowed(c) || c == '-' || c == '_')) {
            return Err(SiteIdError::BadChar(bad));
        }
        Ok(SiteId(s.to_owned()))
    }
}

impl TryFrom<String> for SiteId {
    type Error = SiteIdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SiteId> for String {
    fn from(id: SiteId) -> String {
        id.0
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slugs() {
        for ok in ["demo", "acme-shop", "a", "shop_2", "9lives"] {
            assert_eq!(ok.parse::<SiteId>().unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_what_would_need_escaping() {
        assert_eq!("".parse::<SiteId>(), Err(SiteIdError::Empty));
        assert_eq!("-x".parse::<SiteId>(), Err(SiteIdError::BadStart));
        assert_eq!("Demo".parse::<SiteId>(), Err(SiteIdError::BadStart));
        assert_eq!("a/b".parse::<SiteId>(), Err(SiteIdError::BadChar('/')));
        assert_eq!("a b".parse::<SiteId>(), Err(SiteIdError::BadChar(' ')));
        assert_eq!("défi".parse::<SiteId>(), Err(SiteIdError::BadChar('é')));
        let long = "a".repeat(MAX_SITE_ID_LEN + 1);
        assert_eq!(long.parse::<SiteId>(), Err(SiteIdError::TooLong(65)));
    }

    #[test]
    fn deserializing_validates() {
        let err = serde_json::from_str::<SiteId>("\"../etc\"").unwrap_err();
        assert!(err.to_string().contains("must start"), "{err}");
        let id: SiteId = serde_json::from_str("\"demo\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"demo\"");
    }
}

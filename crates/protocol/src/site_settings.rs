//! The public part of a site's configuration: what the loader and the widget may know.
//!
//! Allowed origins, secrets and file paths stay on the server; this is safe to hand to anyone
//! who knows the site id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Locale, SiteId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSiteSettings {
    pub site: SiteId,
    pub locale: Locale,
    pub theme: LauncherTheme,
}

/// How the launcher looks on the host page, before any wasm has loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LauncherTheme {
    pub accent_color: HexColor,
    pub position: Position,
}

impl Default for LauncherTheme {
    fn default() -> Self {
        LauncherTheme {
            // Indigo with white text: 8.6:1 contrast, above WCAG AA.
            accent_color: HexColor("#3730a3".to_owned()),
            position: Position::Right,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Left,
    #[default]
    Right,
}

/// A CSS colour written `#rgb` or `#rrggbb`. Validated because it ends up inside CSS: a
/// free-form string there would let a config value inject styles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HexColor(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a colour: write it as #rgb or #rrggbb, e.g. \"#3730a3\"")]
pub struct BadColor(pub String);

impl HexColor {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for HexColor {
    type Err = BadColor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix('#').ok_or_else(|| BadColor(s.to_owned()))?;
        let valid = matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit());
        if valid {
            Ok(HexColor(s.to_ascii_lowercase()))
        } else {
            Err(BadColor(s.to_owned()))
        }
    }
}

impl TryFrom<String> for HexColor {
    type Error = BadColor;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<HexColor> for String {
    fn from(c: HexColor) -> String {
        c.0
    }
}

impl fmt::Display for HexColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_strict() {
        assert_eq!("#ABC".parse::<HexColor>().unwrap().as_str(), "#abc");
        assert!("#3730a3".parse::<HexColor>().is_ok());
        for bad in [
            "3730a3",
            "#12345",
            "#ggg",
            "red",
            "#fff;background:url(x)",
            "",
        ] {
            assert!(bad.parse::<HexColor>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn settings_round_trip_as_the_loader_reads_them() {
        let settings = PublicSiteSettings {
            site: "demo".parse().unwrap(),
            locale: Locale::Ja,
            theme: LauncherTheme::default(),
        };
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(
            json,
            r##"{"site":"demo","locale":"ja","theme":{"accent_color":"#3730a3","position":"right"}}"##
        );
        assert_eq!(
            serde_json::from_str::<PublicSiteSettings>(&json).unwrap(),
            settings
        );
    }
}

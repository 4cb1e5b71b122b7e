//! The public part of a site's configuration: what the loader and the widget may know.
//!
//! Allowed origins, secrets and file paths stay on the server; this is safe to hand to anyone
//! who knows the site id.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Locale, SiteId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSiteSettings {
    pub site: SiteId,
    pub locale: Locale,
    pub theme: LauncherTheme,
    /// When the loader offers help by itself; absent when the site turned it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nudge: Option<Nudge>,
    /// The loader's words in every locale, the site's own where it has them.
    #[serde(default)]
    pub text: BTreeMap<Locale, LauncherText>,
}

/// What the loader shows or reads out on the host page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LauncherText {
    pub open: String,
    pub close: String,
    /// `{count}` stands for the number of unread messages.
    pub unread: String,
    pub dismiss: String,
    pub nudge: String,
}

/// Proactive help: a small bubble by the launcher ("Having trouble? I can help"), shown at
/// most once per visit and never over an open panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nudge {
    /// Three or more clicks within a second in one spot (a visitor fighting the page).
    pub rage_clicks: bool,
    /// After this long on one page, in seconds.
    pub after_seconds: Option<u32>,
    /// Only on pages whose URL contains one of these; every page when empty.
    pub url_contains: Vec<String>,
}

/// What the widget page carries for the widget besides CSS, in
/// `<script type="application/json" id="ito-site">`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSettings {
    /// What the bot is called; the locale's default when absent.
    pub bot_name: Option<String>,
    /// The bot's picture (an https URL or a path on the Ito server).
    pub bot_avatar: Option<String>,
    /// Per locale, the site's words for the widget's strings, by dotted key (`panel.greeting`).
    #[serde(default)]
    pub strings: BTreeMap<Locale, BTreeMap<String, String>>,
    /// What to ask before handing off to a person, when the host page has not said it.
    #[serde(default)]
    pub pre_chat: Vec<PreChatField>,
    /// Whether the server answers by meaning the questions the browser is unsure of.
    #[serde(default)]
    pub semantic: bool,
    /// The site's business hours over the coming weeks, as the open spans' start and end in
    /// seconds since 1970; `None` when the team has no set hours. The server works them out
    /// in the site's time zone, so the widget needs no time-zone data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_spans: Option<Vec<(u64, u64)>>,
    /// Whether the server sends mail, so the widget may offer replies and transcripts by it.
    #[serde(default)]
    pub mail: bool,
    /// The file types a visitor may send a person, as a file picker's `accept`
    /// (`image/png,application/pdf`); empty when the server takes none.
    #[serde(default)]
    pub attach: String,
    /// The largest file taken, in bytes: a larger one is refused before it is sent.
    #[serde(default)]
    pub attach_max_bytes: u64,
}

impl WidgetSettings {
    /// Reads the settings as serde writes them, by hand over the JSON value the widget parses
    /// anyway (the derived reader of these maps costs it kilobytes). `None` for anything that
    /// is not such settings; unknown keys are ignored, as by the derived reader.
    pub fn read(json: &str) -> Option<WidgetSettings> {
        use serde_json::Value;
        let value: Value = serde_json::from_str(json).ok()?;
        value.as_object()?;
        let text = |key: &str| match value.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => v.as_str().map(|s| Some(s.to_owned())),
        };
        let empty = serde_json::Map::new();
        let mut strings = BTreeMap::new();
        let locales = value
            .get("strings")
            .map_or(Some(&empty), Value::as_object)?;
        for (locale, words) in locales {
            let mut map = BTreeMap::new();
            for (key, text) in words.as_object()? {
                map.insert(key.clone(), text.as_str()?.to_owned());
            }
            strings.insert(locale.parse().ok()?, map);
        }
        let mut pre_chat = Vec::new();
        let fields = value
            .get("pre_chat")
            .map_or(Some(&[][..]), |v| v.as_array().map(Vec::as_slice))?;
        for field in fields {
            pre_chat.push(match field.as_str()? {
                "name" => PreChatField::Name,
                "email" => PreChatField::Email,
                _ => return None,
            });
        }
        Some(WidgetSettings {
            bot_name: text("bot_name")?,
            bot_avatar: text("bot_avatar")?,
            strings,
            pre_chat,
            semantic: match value.get("semantic") {
                None => false,
                Some(v) => v.as_bool()?,
            },
            mail: match value.get("mail") {
                None => false,
                Some(v) => v.as_bool()?,
            },
            attach: match value.get("attach") {
                None => String::new(),
                Some(v) => v.as_str()?.to_owned(),
            },
            attach_max_bytes: match value.get("attach_max_bytes") {
                None => 0,
                Some(v) => v.as_u64()?,
            },
            open_spans: match value.get("open_spans") {
                None | Some(Value::Null) => None,
                Some(spans) => Some(
                    spans
                        .as_array()?
                        .iter()
                        .map(|span| Some((span.get(0)?.as_u64()?, span.get(1)?.as_u64()?)))
                        .collect::<Option<_>>()?,
                ),
            },
        })
    }
}

/// Whether a site's team is in, as the widget tells the visitor before they ask for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Team {
    /// Within business hours, or the site has none.
    In,
    /// Outside them: back at `back` (seconds since 1970), if that is within the spans known.
    Away { back: Option<u64> },
}

impl WidgetSettings {
    /// The team at `now` (seconds since 1970) by [`Self::open_spans`].
    pub fn team(&self, now: u64) -> Team {
        let Some(spans) = &self.open_spans else {
            return Team::In;
        };
        if spans.iter().any(|&(start, end)| start <= now && now < end) {
            return Team::In;
        }
        Team::Away {
            back: spans
                .iter()
                .map(|&(start, _)| start)
                .find(|&start| start > now),
        }
    }
}

/// A question of the pre-chat form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreChatField {
    Name,
    Email,
}

/// How the launcher looks on the host page, before any wasm has loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LauncherTheme {
    pub accent_color: HexColor,
    /// The icon's colour on the accent: white or near-black, whichever contrasts more.
    pub on_accent: HexColor,
    pub position: Position,
    /// Distance from the side of the window, in CSS pixels.
    pub offset_x: u16,
    /// Distance from the bottom of the window, in CSS pixels.
    pub offset_y: u16,
    pub icon: LauncherIcon,
}

impl Default for LauncherTheme {
    fn default() -> Self {
        let accent = HexColor::DEFAULT_ACCENT;
        LauncherTheme {
            on_accent: accent.readable_text(),
            accent_color: accent,
            position: Position::Right,
            offset_x: 20,
            offset_y: 20,
            icon: LauncherIcon::Chat,
        }
    }
}

/// The picture on the launcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LauncherIcon {
    /// A speech bubble.
    #[default]
    Chat,
    /// A question mark in a circle.
    Help,
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
pub struct HexColor(std::borrow::Cow<'static, str>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a colour: write it as #rgb or #rrggbb, e.g. \"#3730a3\"")]
pub struct BadColor(pub String);

impl HexColor {
    /// Indigo: 8.6:1 against white text, well above WCAG AA.
    pub const DEFAULT_ACCENT: HexColor = HexColor::constant("#3730a3");
    pub const WHITE: HexColor = HexColor::constant("#ffffff");
    pub const NEAR_BLACK: HexColor = HexColor::constant("#111827");

    const fn constant(hex: &'static str) -> HexColor {
        HexColor(std::borrow::Cow::Borrowed(hex))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Red, green and blue in 0..=255.
    pub fn rgb(&self) -> [u8; 3] {
        let digits = &self.0[1..];
        let channel = |i: usize| {
            if digits.len() == 3 {
                let v = u8::from_str_radix(&digits[i..i + 1], 16).unwrap_or(0);
                v * 17
            } else {
                u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).unwrap_or(0)
            }
        };
        [channel(0), channel(1), channel(2)]
    }

    /// WCAG 2 relative luminance, 0 (black) to 1 (white).
    pub fn luminance(&self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.rgb();
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// WCAG 2 contrast ratio, 1 to 21. AA asks 4.5 for text, 3 for large text and icons.
    pub fn contrast(&self, other: &HexColor) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// White or near-black, whichever reads better on this colour.
    pub fn readable_text(&self) -> HexColor {
        if self.contrast(&HexColor::WHITE) >= self.contrast(&HexColor::NEAR_BLACK) {
            HexColor::WHITE
        } else {
            HexColor::NEAR_BLACK
        }
    }
}

impl FromStr for HexColor {
    type Err = BadColor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix('#').ok_or_else(|| BadColor(s.to_owned()))?;
        let valid = matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit());
        if valid {
            Ok(HexColor(s.to_ascii_lowercase().into()))
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
        c.0.into_owned()
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
    fn widget_settings_read_by_hand_as_serde_reads_them() {
        let full = WidgetSettings {
            bot_name: Some("Aiko".into()),
            bot_avatar: Some("/a.png".into()),
            strings: [(
                Locale::Ja,
                [("panel.greeting".to_owned(), "こんにちは \"you\"".to_owned())].into(),
            )]
            .into(),
            pre_chat: vec![PreChatField::Email, PreChatField::Name],
            semantic: true,
            open_spans: Some(vec![
                (1_796_000_000, 1_796_030_000),
                (1_796_090_000, 1_796_120_000),
            ]),
            mail: true,
            attach: "image/png,application/pdf".into(),
            attach_max_bytes: 10 << 20,
        };
        for settings in [full, WidgetSettings::default()] {
            let json = serde_json::to_string(&settings).unwrap();
            assert_eq!(WidgetSettings::read(&json), Some(settings), "{json}");
        }
        for json in [
            "{}",
            r#"{"bot_name": null, "extra": 1}"#,
            r#"{"strings": {"fr": {}}}"#,
            r#"{"strings": []}"#,
            r#"{"pre_chat": ["phone"]}"#,
            r#"{"pre_chat": "name"}"#,
            r#"{"semantic": "yes"}"#,
            r#"{"bot_name": 3}"#,
            r#"{"open_spans": []}"#,
            r#"{"open_spans": [[1, 2], [3]]}"#,
            r#"{"open_spans": [[1, -2]]}"#,
            r#"{"open_spans": {"a": 1}}"#,
            r#"{"attach": ["image/png"]}"#,
            r#"{"attach": "image/png"}"#,
            r#"{"attach_max_bytes": -1}"#,
            "[]",
        ] {
            let serde = serde_json::from_str::<WidgetSettings>(json).ok();
            assert_eq!(WidgetSettings::read(json), serde, "{json}");
        }
    }

    #[test]
    fn the_team_is_away_between_spans_and_back_at_the_next() {
        let mut settings = WidgetSettings::default();
        assert_eq!(settings.team(5), Team::In);
        settings.open_spans = Some(vec![(100, 200), (300, 400)]);
        assert_eq!(settings.team(100), Team::In);
        assert_eq!(settings.team(50), Team::Away { back: Some(100) });
        assert_eq!(settings.team(200), Team::Away { back: Some(300) });
        assert_eq!(settings.team(400), Team::Away { back: None });
        settings.open_spans = Some(Vec::new());
        assert_eq!(settings.team(5), Team::Away { back: None });
    }

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
    fn contrast_follows_wcag() {
        let white = HexColor::WHITE;
        let black: HexColor = "#000".parse().unwrap();
        assert!((white.contrast(&black) - 21.0).abs() < 1e-9);
        assert!((white.contrast(&white) - 1.0).abs() < 1e-9);
        // Reference values from the WCAG formula: #777 on white is 4.48, just short of AA.
        let grey: HexColor = "#777777".parse().unwrap();
        assert!(
            (grey.contrast(&white) - 4.48).abs() < 0.01,
            "{}",
            grey.contrast(&white)
        );
        assert_eq!(
            "#abc".parse::<HexColor>().unwrap().rgb(),
            [0xaa, 0xbb, 0xcc]
        );
        assert!(HexColor::DEFAULT_ACCENT.contrast(&white) >= 4.5);
        assert_eq!(HexColor::DEFAULT_ACCENT.readable_text(), HexColor::WHITE);
        let yellow: HexColor = "#ffd400".parse().unwrap();
        assert_eq!(yellow.readable_text(), HexColor::NEAR_BLACK);
    }

    #[test]
    fn settings_round_trip_as_the_loader_reads_them() {
        let settings = PublicSiteSettings {
            site: "demo".parse().unwrap(),
            locale: Locale::Ja,
            theme: LauncherTheme::default(),
            nudge: None,
            text: BTreeMap::new(),
        };
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(
            json,
            r##"{"site":"demo","locale":"ja","theme":{"accent_color":"#3730a3","on_accent":"#ffffff","position":"right","offset_x":20,"offset_y":20,"icon":"chat"},"text":{}}"##
        );
        assert_eq!(
            serde_json::from_str::<PublicSiteSettings>(&json).unwrap(),
            settings
        );
    }
}

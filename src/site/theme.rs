//! A site's look and voice from `[site.theme]` and `[site.strings.<locale>]`: validated when the
//! config is read, then turned into the launcher's settings (for the loader) and into CSS
//! variables, custom CSS and strings for the widget page. Nothing here needs a Rust rebuild
//! to change.

use std::collections::BTreeMap;

use ito_protocol::Locale;
use ito_protocol::site_settings::{
    HexColor, LauncherIcon, LauncherText, LauncherTheme, Nudge, Position,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteTheme {
    pub accent_color: HexColor,
    /// Body text in the light scheme.
    pub text_color: Option<HexColor>,
    /// A CSS font-family list, e.g. `"Inter", system-ui, sans-serif`.
    pub font_family: Option<String>,
    /// Corner radius of bubbles and cards, in CSS pixels (0 to 32).
    pub corner_radius: u8,
    pub position: Position,
    pub offset_x: u16,
    pub offset_y: u16,
    pub launcher_icon: LauncherIcon,
    pub color_scheme: ColorScheme,
    /// What the bot is called in the conversation (default: the locale's "Assistant").
    pub bot_name: Option<String>,
    /// The bot's picture: an https URL, or a path on the Ito server such as `/avatar.png`.
    pub bot_avatar: Option<String>,
    /// CSS applied inside the widget's iframe after Ito's own, so it can override anything.
    pub custom_css: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorScheme {
    #[default]
    Light,
    Dark,
    /// Follows the visitor's system setting (`prefers-color-scheme`).
    Auto,
}

impl Default for SiteTheme {
    fn default() -> Self {
        let launcher = LauncherTheme::default();
        SiteTheme {
            accent_color: launcher.accent_color,
            text_color: None,
            font_family: None,
            corner_radius: 12,
            position: launcher.position,
            offset_x: launcher.offset_x,
            offset_y: launcher.offset_y,
            launcher_icon: launcher.icon,
            color_scheme: ColorScheme::Light,
            bot_name: None,
            bot_avatar: None,
            custom_css: None,
        }
    }
}

/// Light-scheme surface; the default text and link colours are chosen for AA on it.
const SURFACE: &str = "#ffffff";
const DARK: Palette = Palette {
    surface: "#111827",
    surface_muted: "#1f2937",
    text: "#f3f4f6",
    text_muted: "#9ca3af",
    border: "#374151",
    border_strong: "#6b7280",
    link: "#93c5fd",
};

/// The colours a scheme sets besides the accent.
struct Palette {
    surface: &'static str,
    surface_muted: &'static str,
    text: &'static str,
    text_muted: &'static str,
    border: &'static str,
    border_strong: &'static str,
    link: &'static str,
}

/// The longest custom CSS accepted; more is almost certainly a mistake.
const MAX_CUSTOM_CSS: usize = 32 * 1024;

impl SiteTheme {
    /// Checks what serde cannot; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.corner_radius > 32 {
            return Err(format!(
                "theme.corner_radius = {} is out of range: use 0 to 32 (pixels)",
                self.corner_radius
            ));
        }
        for (name, value) in [("offset_x", self.offset_x), ("offset_y", self.offset_y)] {
            if value > 400 {
                return Err(format!(
                    "theme.{name} = {value} is out of range: use 0 to 400 (pixels)"
                ));
            }
        }
        if let Some(font) = &self.font_family {
            let allowed = |c: char| c.is_alphanumeric() || " ,-_'\"".contains(c);
            if font.trim().is_empty() || !font.chars().all(allowed) {
                return Err(format!(
                    "theme.font_family {font:?} is not a font list: use names, quotes and commas, e.g. \"Inter\", sans-serif"
                ));
            }
        }
        if let Some(name) = &self.bot_name
            && (name.trim().is_empty() || name.chars().count() > 40)
        {
            return Err("theme.bot_name must have 1 to 40 characters".into());
        }
        if let Some(url) = &self.bot_avatar {
            let ok = (url.starts_with("https://")
                || (url.starts_with('/') && !url.starts_with("//")))
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || "\"'<>\\".contains(c));
            if !ok {
                return Err(format!(
                    "theme.bot_avatar {url:?} must be an https:// URL or a path on the Ito server starting with /"
                ));
            }
        }
        if let Some(css) = &self.custom_css {
            if css.len() > MAX_CUSTOM_CSS {
                return Err(format!(
                    "theme.custom_css is {} bytes; at most {MAX_CUSTOM_CSS} are accepted",
                    css.len()
                ));
            }
            // It goes inside a <style> element: "</" could close it and start HTML.
            if css.contains("</") || css.contains("<!--") {
                return Err("theme.custom_css must not contain \"</\" or \"<!--\"".into());
            }
        }
        Ok(())
    }

    pub fn launcher(&self) -> LauncherTheme {
        LauncherTheme {
            on_accent: self.accent_color.readable_text(),
            accent_color: self.accent_color.clone(),
            position: self.position,
            offset_x: self.offset_x,
            offset_y: self.offset_y,
            icon: self.launcher_icon,
        }
    }

    /// The widget page's CSS: Ito's variables for this theme, then the site's own CSS.
    pub fn widget_css(&self) -> String {
        let accent = &self.accent_color;
        let surface: HexColor = SURFACE.parse().expect("a valid colour");
        let mut css = format!(
            ":root{{--ito-accent:{accent};--ito-on-accent:{};--ito-accent-text:{};--ito-radius:{}px;",
            accent.readable_text(),
            text_on(accent, &surface, "#111827"),
            self.corner_radius,
        );
        if let Some(text) = &self.text_color {
            css.push_str(&format!("--ito-text:{text};"));
        }
        if let Some(font) = &self.font_family {
            css.push_str(&format!("--ito-font:{font};"));
        }
        css.push('}');
        let dark = || {
            let surface: HexColor = DARK.surface.parse().expect("a valid colour");
            format!(
                ":root{{color-scheme:dark;--ito-surface:{};--ito-surface-muted:{};--ito-text:{};--ito-text-muted:{};--ito-border:{};--ito-border-strong:{};--ito-link:{};--ito-accent-text:{}}}",
                DARK.surface,
                DARK.surface_muted,
                DARK.text,
                DARK.text_muted,
                DARK.border,
                DARK.border_strong,
                DARK.link,
                text_on(accent, &surface, DARK.text),
            )
        };
        match self.color_scheme {
            ColorScheme::Light => {}
            ColorScheme::Dark => css.push_str(&dark()),
            ColorScheme::Auto => {
                css.push_str(&format!("@media (prefers-color-scheme:dark){{{}}}", dark()))
            }
        }
        if let Some(custom) = &self.custom_css {
            css.push('\n');
            css.push_str(custom);
        }
        css
    }
}

/// The accent as text on `surface` when it passes WCAG AA there, else `fallback`.
fn text_on(accent: &HexColor, surface: &HexColor, fallback: &str) -> String {
    if accent.contrast(surface) >= 4.5 {
        accent.to_string()
    } else {
        fallback.to_owned()
    }
}

/// `[site.nudge]`: when the loader offers help by itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NudgeConfig {
    /// Offer help after three or more clicks within a second in one spot.
    pub rage_clicks: bool,
    /// Offer help after this many seconds on one page.
    pub after_seconds: Option<u32>,
    /// Only on pages whose URL contains one of these (e.g. "/checkout"); every page when empty.
    pub url_contains: Vec<String>,
}

impl Default for NudgeConfig {
    fn default() -> Self {
        NudgeConfig {
            rage_clicks: true,
            after_seconds: None,
            url_contains: Vec::new(),
        }
    }
}

impl NudgeConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.after_seconds.is_some_and(|s| s == 0 || s > 3600) {
            return Err("nudge.after_seconds must be 1 to 3600".into());
        }
        if self
            .url_contains
            .iter()
            .any(|u| u.is_empty() || u.len() > 200)
        {
            return Err("nudge.url_contains entries must have 1 to 200 characters".into());
        }
        Ok(())
    }

    /// What the loader gets: nothing when no trigger is on.
    pub fn public(&self) -> Option<Nudge> {
        if !self.rage_clicks && self.after_seconds.is_none() {
            return None;
        }
        Some(Nudge {
            rage_clicks: self.rage_clicks,
            after_seconds: self.after_seconds,
            url_contains: self.url_contains.clone(),
        })
    }
}

/// The loader's words in every locale: the site's own where it has them, else the widget's.
pub fn launcher_text(
    strings: &BTreeMap<Locale, BTreeMap<String, String>>,
) -> BTreeMap<Locale, LauncherText> {
    Locale::ALL
        .into_iter()
        .map(|locale| {
            let word = |name: &str| {
                let key = format!("launcher.{name}");
                strings
                    .get(&locale)
                    .and_then(|s| s.get(&key))
                    .cloned()
                    .or_else(|| default_string(locale, &key))
                    .unwrap_or_default()
            };
            let text = LauncherText {
                open: word("open"),
                close: word("close"),
                unread: word("unread"),
                dismiss: word("dismiss"),
                nudge: word("nudge"),
            };
            (locale, text)
        })
        .collect()
}

/// The widget's string keys per locale, read from the same files the widget compiles in, so
/// a site cannot override a string that does not exist.
pub fn check_strings(strings: &BTreeMap<Locale, BTreeMap<String, String>>) -> Result<(), String> {
    let known = known_string_keys();
    for (locale, overrides) in strings {
        for (key, value) in overrides {
            if !known.contains(key) {
                return Err(format!(
                    "strings.{locale}: unknown key {key:?}; the keys are: {}",
                    known.join(", ")
                ));
            }
            if value.trim().is_empty() || value.chars().count() > 500 {
                return Err(format!(
                    "strings.{locale}.{key} must have 1 to 500 characters"
                ));
            }
        }
    }
    Ok(())
}

/// The widget's own words for `key` (`section.name`) in `locale`.
pub fn default_string(locale: Locale, key: &str) -> Option<String> {
    let (section, name) = key.split_once('.')?;
    widget_strings(locale)
        .get(section)?
        .get(name)?
        .as_str()
        .map(str::to_owned)
}

fn widget_strings(locale: Locale) -> serde_json::Value {
    let source = match locale {
        Locale::En => include_str!("../../widget/locales/en.json"),
        Locale::Ja => include_str!("../../widget/locales/ja.json"),
    };
    serde_json::from_str(source)
        .expect("the widget's strings are valid JSON (tested in the widget)")
}

fn known_string_keys() -> Vec<String> {
    let en = widget_strings(Locale::En);
    let mut keys = Vec::new();
    if let Some(sections) = en.as_object() {
        for (section, strings) in sections {
            for key in strings.as_object().into_iter().flat_map(|s| s.keys()) {
                keys.push(format!("{section}.{key}"));
            }
        }
    }
    // The mail's words (`crate::mail::compose`), read here from their file so the site layer
    // needs nothing above it.
    let mail: serde_json::Value = serde_json::from_str(include_str!("../mail/locales/en.json"))
        .expect("the mail locale file is JSON (tested)");
    for key in mail["mail"].as_object().into_iter().flat_map(|s| s.keys()) {
        keys.push(format!("mail.{key}"));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(toml_text: &str) -> SiteTheme {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn the_default_theme_meets_wcag_aa() {
        let theme = SiteTheme::default();
        let white: HexColor = SURFACE.parse().unwrap();
        let launcher = theme.launcher();
        assert!(launcher.accent_color.contrast(&launcher.on_accent) >= 4.5);
        // The widget's own default tokens (widget/src/theme.css), text on surfaces.
        let css = include_str!("../../widget/src/theme.css");
        let token = |name: &str| -> HexColor {
            let start = css.find(&format!("--ito-{name}:")).unwrap() + name.len() + 7;
            css[start..].trim_start()[..7].parse().unwrap()
        };
        for (fg, bg) in [
            ("text", "surface"),
            ("text", "surface-muted"),
            ("text-muted", "surface"),
            ("text-muted", "surface-muted"),
            ("link", "surface"),
            ("link", "surface-muted"),
            ("accent-text", "surface"),
            ("on-accent", "accent"),
        ] {
            let ratio = token(fg).contrast(&token(bg));
            assert!(ratio >= 4.5, "{fg} on {bg}: {ratio:.2}");
        }
        let dark_surface: HexColor = DARK.surface.parse().unwrap();
        let dark_muted: HexColor = DARK.surface_muted.parse().unwrap();
        for fg in [DARK.text, DARK.text_muted, DARK.link] {
            let fg: HexColor = fg.parse().unwrap();
            assert!(
                fg.contrast(&dark_surface) >= 4.5 && fg.contrast(&dark_muted) >= 4.5,
                "{fg}"
            );
        }
        assert!(white.contrast(&token("surface")) < 1.01);
    }

    #[test]
    fn a_pale_accent_gets_dark_text_and_is_not_used_as_text() {
        let theme = theme("accent_color = \"#ffd400\"");
        assert_eq!(theme.launcher().on_accent, HexColor::NEAR_BLACK);
        let css = theme.widget_css();
        assert!(css.contains("--ito-on-accent:#111827"), "{css}");
        assert!(css.contains("--ito-accent-text:#111827"), "{css}");
    }

    #[test]
    fn schemes_fonts_and_custom_css() {
        let css = theme(
            "color_scheme = \"auto\"\nfont_family = \"'Inter', sans-serif\"\ncorner_radius = 4\ncustom_css = \".ito-panel { letter-spacing: 0.01em }\"",
        )
        .widget_css();
        assert!(css.contains("--ito-font:'Inter', sans-serif;"), "{css}");
        assert!(css.contains("--ito-radius:4px"), "{css}");
        assert!(
            css.contains("@media (prefers-color-scheme:dark){:root{color-scheme:dark;"),
            "{css}"
        );
        assert!(
            css.ends_with(".ito-panel { letter-spacing: 0.01em }"),
            "custom CSS comes last: {css}"
        );
        let dark = theme("color_scheme = \"dark\"").widget_css();
        assert!(
            dark.contains(":root{color-scheme:dark;") && !dark.contains("@media"),
            "{dark}"
        );
    }

    #[test]
    fn bad_values_are_explained() {
        for (text, expected) in [
            (
                "corner_radius = 99",
                "theme.corner_radius = 99 is out of range",
            ),
            ("offset_y = 900", "theme.offset_y = 900 is out of range"),
            (
                "font_family = \"x; } body { display:none\"",
                "is not a font list",
            ),
            (
                "bot_avatar = \"javascript:alert(1)\"",
                "must be an https:// URL",
            ),
            (
                "bot_avatar = \"//evil.example/a.png\"",
                "must be an https:// URL",
            ),
            (
                "custom_css = \"</style><script>alert(1)</script>\"",
                "must not contain",
            ),
            ("bot_name = \"\"", "1 to 40 characters"),
        ] {
            let err = theme(text).validate().unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
        assert!(theme("bot_avatar = \"/avatar.png\"").validate().is_ok());
    }

    #[test]
    fn the_loader_gets_its_words_in_every_locale() {
        let config: NudgeConfig =
            toml::from_str("after_seconds = 30\nurl_contains = [\"/checkout\"]").unwrap();
        let nudge = config.public().unwrap();
        assert!(nudge.rage_clicks, "on by default");
        let off: NudgeConfig = toml::from_str("rage_clicks = false").unwrap();
        assert_eq!(off.public(), None);
        let bad: NudgeConfig = toml::from_str("after_seconds = 0").unwrap();
        assert!(bad.validate().unwrap_err().contains("1 to 3600"));

        let mut strings = BTreeMap::new();
        strings.insert(
            Locale::Ja,
            BTreeMap::from([("launcher.nudge".to_owned(), "何かお探しですか？".to_owned())]),
        );
        let text = launcher_text(&strings);
        assert_eq!(text[&Locale::En].open, "Open chat");
        assert_eq!(text[&Locale::En].unread, "Open chat, {count} unread");
        assert_eq!(text[&Locale::En].nudge, "Having trouble? I can help.");
        assert_eq!(text[&Locale::Ja].nudge, "何かお探しですか？");
        assert_eq!(text[&Locale::Ja].close, "チャットを閉じる");
    }

    #[test]
    fn only_known_strings_can_be_overridden() {
        let mut strings = BTreeMap::new();
        strings.insert(
            Locale::En,
            BTreeMap::from([("panel.greeting".to_owned(), "Howdy!".to_owned())]),
        );
        assert!(check_strings(&strings).is_ok());
        strings
            .get_mut(&Locale::En)
            .unwrap()
            .insert("panel.greting".into(), "typo".into());
        let err = check_strings(&strings).unwrap_err();
        assert!(err.contains("unknown key \"panel.greting\""), "{err}");
        assert!(err.contains("panel.greeting"), "lists the keys: {err}");
    }
}

//! `ito.toml`: reading, validating and explaining what is wrong with it.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ito_protocol::site_settings::{PreChatField, PublicSiteSettings};
use ito_protocol::{Locale, SiteId};
use serde::Deserialize;

use crate::live::limits::Limits;
use crate::site::identity::IdentitySecret;
use crate::site::theme::{NudgeConfig, SiteTheme, check_strings, launcher_text};

/// The demo configuration, compiled in so `ito serve` works with no file at all.
pub const DEMO_CONFIG: &str = include_str!("../../examples/ito.toml");
const DEMO_CONFIG_NAME: &str = "examples/ito.toml (built in)";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    #[serde(rename = "site")]
    pub sites: Vec<SiteConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// A file path or `sqlite:` URL (SQLite), or a `postgres://` URL.
    pub database: crate::store::Location,
    /// Holds `widget/` and `console/` as built by Trunk.
    pub assets: PathBuf,
    /// Served as it is at `/`.
    pub public: PathBuf,
    /// Demo mode: a demo agent exists and its login is printed at start-up.
    #[serde(default)]
    pub demo: bool,
    /// Connections per address and per visitor, message rate, idle timeout.
    #[serde(default)]
    pub limits: Limits,
    /// Networks of the proxies in front of Ito whose `Forwarded` / `X-Forwarded-For` headers
    /// name the client (`["127.0.0.1/32", "10.0.0.0/8"]`); anyone else's are ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<crate::http::proxy::IpNet>,
    /// The address people reach Ito at (`https://chat.example.com`): with https, cookies are
    /// `Secure`; own-origin checks compare against it rather than the `Host` header.
    #[serde(default)]
    pub public_url: Option<PublicUrl>,
    /// Answers by meaning for the questions the browser is unsure of (the sentence encoder
    /// in `models`); on unless set to false, and off by itself when the model is missing.
    #[serde(default = "on")]
    pub semantic: bool,
    /// The folder `cargo xtask setup` fills with the encoder's weights.
    #[serde(default = "default_models")]
    pub models: PathBuf,
    /// The mail server for mail to visitors (replies they were not there for, transcripts);
    /// without it Ito sends no mail and the widget offers none.
    #[serde(default)]
    pub smtp: Option<crate::mail::smtp::SmtpConfig>,
    /// Files sent in conversations: folder, largest size, types.
    #[serde(default)]
    pub attachments: crate::site::file_types::AttachmentsConfig,
}

/// Where `cargo xtask setup` unpacks the models, relative to the repository.
pub const DEFAULT_MODELS: &str = "target/models";

fn on() -> bool {
    true
}

fn default_models() -> PathBuf {
    PathBuf::from(DEFAULT_MODELS)
}

/// `public_url`: an origin, `scheme://host[:port]`, without a path.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PublicUrl {
    origin: String,
}

impl PublicUrl {
    /// What a browser sends as `Origin` from pages at this address.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn is_https(&self) -> bool {
        self.origin.starts_with("https://")
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        let origin = s.trim_end_matches('/').to_ascii_lowercase();
        let explain = || {
            format!(
                "public_url {s:?} must be http(s)://host[:port] with no path, e.g. \"https://chat.example.com\""
            )
        };
        let (scheme, host) = origin.split_once("://").ok_or_else(explain)?;
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
        if !matches!(scheme, "http" | "https") || !host_ok {
            return Err(explain());
        }
        Ok(PublicUrl { origin })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub id: SiteId,
    pub name: String,
    #[serde(default)]
    pub locale: Locale,
    pub allowed_origins: Vec<AllowedOrigin>,
    /// Colours, font, shape, position, bot name and avatar, custom CSS.
    #[serde(default)]
    pub theme: SiteTheme,
    /// The site's own words for any of the widget's strings, per locale, by dotted key
    /// (`panel.greeting`).
    #[serde(default)]
    pub strings: BTreeMap<Locale, BTreeMap<String, String>>,
    /// Proactive help from the loader: rage clicks, time on page, URL rules.
    #[serde(default)]
    pub nudge: NudgeConfig,
    /// The help articles per language (TOML authoring format or JSON interchange format).
    /// The widget answers from the base in the visitor's language, else the site's locale.
    #[serde(default)]
    pub knowledge_base: BTreeMap<Locale, PathBuf>,
    /// The secret the site's server signs visitor ids with (`Ito('identify', ...)`), or
    /// `env:NAME`. Without it every identified visitor is shown to agents as unverified.
    #[serde(default)]
    pub identity_secret: Option<IdentitySecret>,
    /// Asked before a handoff when the host page has not said it: `["name", "email"]`.
    #[serde(default)]
    pub pre_chat: Vec<PreChatField>,
    /// The IANA time zone the site's reports count days in (`Asia/Tokyo`); UTC by default.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Whether the words of the questions the bot replied to are kept, for the content gaps
    /// (true by default). Without them the article figures are still counted; a handoff's
    /// transcript is kept either way, as the agent needs it.
    #[serde(default = "yes")]
    pub keep_bot_questions: bool,
    /// When the team answers (`[site.hours]`), in `time_zone`; always when absent.
    #[serde(default, rename = "hours")]
    hours_config: Option<crate::site::hours::HoursConfig>,
    /// `hours_config` checked, filled in by [`Config::parse`].
    #[serde(skip)]
    pub hours: Option<crate::site::hours::Hours>,
}

fn yes() -> bool {
    true
}

fn utc() -> String {
    "UTC".to_owned()
}

/// An origin allowed to frame the widget, already in the form CSP `frame-ancestors` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AllowedOrigin(String);

impl AllowedOrigin {
    /// The CSP source expression.
    pub fn csp_source(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AllowedOrigin {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s == "self" {
            return Ok(AllowedOrigin("'self'".to_owned()));
        }
        let explain = || {
            format!(
                "{s:?} is not an origin: write \"self\" or scheme://host[:port] with nothing after, e.g. \"https://www.example.com\""
            )
        };
        let (scheme, rest) = s.split_once("://").ok_or_else(explain)?;
        let host_ok = !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]*".contains(c));
        if !matches!(scheme, "http" | "https") || !host_ok {
            return Err(explain());
        }
        Ok(AllowedOrigin(s.to_ascii_lowercase()))
    }
}

impl SiteConfig {
    pub fn public_settings(&self) -> PublicSiteSettings {
        PublicSiteSettings {
            site: self.id.clone(),
            locale: self.locale,
            theme: self.theme.launcher(),
            nudge: self.nudge.public(),
            text: launcher_text(&self.strings),
        }
    }
}

/// What is wrong with a configuration file; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    pub fn demo() -> Config {
        Config::parse(DEMO_CONFIG, Path::new(DEMO_CONFIG_NAME))
            .expect("the built-in demo configuration is valid (tested)")
    }

    /// `path` is only used to name the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let mut config: Config = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if config.sites.is_empty() {
            return Err(invalid(
                "it defines no [[site]]; add one so a page can embed the chat".into(),
            ));
        }
        config.server.limits.validate().map_err(invalid)?;
        if let Some(smtp) = &config.server.smtp {
            smtp.validate().map_err(invalid)?;
        }
        let mut seen = HashSet::new();
        for site in &mut config.sites {
            if let Some(hours) = &site.hours_config {
                site.hours = Some(
                    hours
                        .hours(&site.time_zone)
                        .map_err(|e| invalid(format!("site {:?}: {e}", site.id.as_str())))?,
                );
            }
        }
        for site in &config.sites {
            if !seen.insert(&site.id) {
                return Err(invalid(format!(
                    "site id {:?} is defined twice",
                    site.id.as_str()
                )));
            }
            let site_problem =
                |problem: String| invalid(format!("site {:?}: {problem}", site.id.as_str()));
            site.theme.validate().map_err(site_problem)?;
            check_strings(&site.strings).map_err(site_problem)?;
            site.nudge.validate().map_err(site_problem)?;
            jiff::tz::TimeZone::get(&site.time_zone).map_err(|_| {
                site_problem(format!(
                    "time_zone {:?} is not an IANA time zone such as \"Asia/Tokyo\"",
                    site.time_zone
                ))
            })?;
            if site.allowed_origins.is_empty() {
                return Err(invalid(format!(
                    "site {:?} has no allowed_origins, so no page could embed it",
                    site.id.as_str()
                )));
            }
        }
        Ok(config)
    }

    pub fn is_demo(&self) -> bool {
        self.server.demo
    }

    pub fn site(&self, id: &str) -> Option<&SiteConfig> {
        self.sites.iter().find(|s| s.id.as_str() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("my/ito.toml")).map_err(|e| e.to_string())
    }

    const SERVER: &str = r#"
        [server]
        listen = "127.0.0.1:0"
        database = "x.sqlite3"
        assets = "dist"
        public = "public"
    "#;

    #[test]
    fn the_demo_config_is_valid() {
        let config = Config::demo();
        let demo = config.site("demo").expect("demo site");
        assert_eq!(demo.allowed_origins[0].csp_source(), "'self'");
        assert_eq!(config.server.listen.port(), 8080);
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = Config::load(Path::new("/nonexistent/ito.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot read config file /nonexistent/ito.toml: "),
            "{err}"
        );
    }

    #[test]
    fn toml_syntax_errors_name_the_file_and_the_line() {
        let err = parse("[server\nlisten = 1").unwrap_err();
        assert!(
            err.starts_with("config file my/ito.toml is not valid: "),
            "{err}"
        );
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn wrong_values_are_explained() {
        let site = |extra: &str| {
            format!(
                "{SERVER}\n[[site]]\nid = \"shop\"\nname = \"Shop\"\nallowed_origins = [\"https://shop.example\"]\n{extra}"
            )
        };
        assert!(parse(&site("")).is_ok());
        let err = parse(&site("locale = \"de\"")).unwrap_err();
        assert!(err.contains("unsupported locale \"de\""), "{err}");
        let err = parse(&site(
            "[site.theme]\naccent_color = \"red\"\nposition = \"left\"",
        ))
        .unwrap_err();
        assert!(err.contains("\"red\" is not a colour"), "{err}");
        let err = parse(&site("colour = 1")).unwrap_err();
        assert!(err.contains("unknown field `colour`"), "{err}");
        let err = parse(&format!("{}\n{}", site(""), site("").replace(SERVER, ""))).unwrap_err();
        assert!(err.contains("site id \"shop\" is defined twice"), "{err}");
        let err = parse(SERVER).unwrap_err();
        assert!(
            err.contains("missing field `site`") || err.contains("no [[site]]"),
            "{err}"
        );
        let hours = "time_zone = \"Asia/Tokyo\"\n[site.hours]\nmon = \"09:00-18:00\"";
        let config = Config::parse(&site(hours), Path::new("ito.toml")).unwrap();
        let tokyo_ten: jiff::Timestamp = "2026-12-07T01:00:00Z".parse().unwrap();
        assert!(config.sites[0].hours.as_ref().unwrap().is_open(tokyo_ten));
        let err = parse(&site("[site.hours]\nmon = \"9-18\"")).unwrap_err();
        assert!(err.contains("site \"shop\": hours.mon"), "{err}");
    }

    #[test]
    fn mail_settings_are_checked() {
        let with = |smtp: &str| {
            format!(
                "{SERVER}\n[server.smtp]\n{smtp}\n[[site]]\nid = \"shop\"\nname = \"Shop\"\nallowed_origins = [\"self\"]"
            )
        };
        let config = Config::parse(
            &with("host = \"smtp.example.com\"\nfrom = \"Shop <help@shop.example>\""),
            Path::new("ito.toml"),
        )
        .unwrap();
        assert_eq!(config.server.smtp.unwrap().port(), 587);
        let err = parse(&with("host = \"h\"\nfrom = \"not an address\"")).unwrap_err();
        assert!(err.contains("smtp.from \"not an address\""), "{err}");
        let err = parse(&with("host = \"h\"\nuser = \"u\"\nfrom = \"a@b.c\"")).unwrap_err();
        assert!(err.contains("both user and password"), "{err}");
        let err = parse(&with(
            "host = \"h\"\npassword = \"env:ITO_NO_SUCH_VARIABLE\"\nuser = \"u\"\nfrom = \"a@b.c\"",
        ))
        .unwrap_err();
        assert!(
            err.contains("ITO_NO_SUCH_VARIABLE, which is not set"),
            "{err}"
        );
        let err = parse(&with("host = \"h\"\nsecurity = \"ssl\"\nfrom = \"a@b.c\"")).unwrap_err();
        assert!(err.contains("unknown variant `ssl`"), "{err}");
    }

    #[test]
    fn origins_must_be_bare_origins() {
        let origin = |s: &str| AllowedOrigin::try_from(s.to_owned());
        assert_eq!(
            origin("https://Shop.example").unwrap().csp_source(),
            "https://shop.example"
        );
        assert_eq!(
            origin("http://localhost:3000").unwrap().csp_source(),
            "http://localhost:3000"
        );
        for bad in [
            "shop.example",
            "https://shop.example/path",
            "ftp://x",
            "https://",
            "https://a b",
            "*",
        ] {
            assert!(origin(bad).is_err(), "{bad} should be refused");
        }
        let err = parse(&format!(
            "{SERVER}\n[[site]]\nid = \"s\"\nname = \"S\"\nallowed_origins = []"
        ))
        .unwrap_err();
        assert!(err.contains("no allowed_origins"), "{err}");
    }
}

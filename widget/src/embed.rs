//! Where the widget is embedded, and its `postMessage` link to the loader on the host page.
//!
//! The loader opens `/embed/{site}?origin={host origin}&locale={site locale}`. The `origin`
//! parameter is only ever used as the exact `targetOrigin` of our messages and as the one
//! origin we accept messages from, so a forged value reaches nobody: the browser drops
//! messages whose target origin is not the real parent's.

use ito_protocol::Locale;
use ito_protocol::embed::{self, EmbedError, HostToWidget, WidgetToHost};
use ito_protocol::site_settings::WidgetSettings;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedContext {
    pub site: String,
    /// The host page's origin; `None` when the widget page is opened on its own.
    pub host_origin: Option<String>,
    pub locale: Locale,
    /// The site's bot name, avatar and strings, from the page the server sent.
    pub settings: WidgetSettings,
}

impl EmbedContext {
    pub fn from_window() -> EmbedContext {
        let location = window().location();
        let path = location.pathname().unwrap_or_default();
        let query = web_sys::UrlSearchParams::new_with_str(&location.search().unwrap_or_default())
            .expect("a search string always parses");
        let browser_language = window().navigator().language();
        EmbedContext {
            site: path.rsplit('/').next().unwrap_or_default().to_owned(),
            host_origin: query.get("origin").filter(|o| is_origin(o)),
            locale: choose_locale(browser_language.as_deref(), query.get("locale").as_deref()),
            settings: page_settings(),
        }
    }

    pub fn host_link(&self) -> HostLink {
        HostLink {
            host_origin: self.host_origin.clone(),
        }
    }
}

/// The conversation token a mail's link carries (`#resume=TOKEN`), taken off the address so
/// it is neither bookmarked nor shared by accident.
pub fn resume_token() -> Option<String> {
    let location = window().location();
    let token = location.hash().ok()?.strip_prefix("#resume=")?.to_owned();
    let without = format!(
        "{}{}",
        location.pathname().ok()?,
        location.search().unwrap_or_default()
    );
    let _ = window()
        .history()
        .and_then(|h| h.replace_state_with_url(&JsValue::NULL, "", Some(&without)));
    (!token.is_empty()).then_some(token)
}

/// The settings the server put in the page; defaults when absent or unreadable.
fn page_settings() -> WidgetSettings {
    document()
        .get_element_by_id("ito-site")
        .and_then(|element| element.text_content())
        .and_then(|json| WidgetSettings::read(&json))
        .unwrap_or_default()
}

/// Whether `text` is exactly an origin (`scheme://host[:port]`), as `postMessage` requires.
pub fn is_origin(text: &str) -> bool {
    web_sys::Url::new(text).is_ok_and(|url| url.origin() == text)
}

/// The visitor's browser language when Ito speaks it, else the site's language, else English.
pub fn choose_locale(browser: Option<&str>, site: Option<&str>) -> Locale {
    browser
        .and_then(Locale::from_language_tag)
        .or_else(|| site.and_then(|s| s.parse().ok()))
        .unwrap_or_default()
}

/// Sends frames to the loader and receives its frames, only ever with the host's exact origin.
#[derive(Debug, Clone)]
pub struct HostLink {
    host_origin: Option<String>,
}

impl HostLink {
    pub fn post(&self, frame: WidgetToHost) {
        let Some(origin) = &self.host_origin else {
            return;
        };
        let Ok(Some(parent)) = window().parent() else {
            return;
        };
        let text = JsValue::from_str(&embed::encode(&frame));
        if let Err(e) = parent.post_message(&text, origin) {
            leptos::logging::warn!("Ito: cannot reach the host page: {e:?}");
        }
    }

    /// Calls `on_frame` for each well-formed frame from the host origin; the listener stops
    /// when the returned handle is removed.
    pub fn listen(self, on_frame: impl Fn(HostToWidget) + 'static) -> Option<WindowListenerHandle> {
        let origin = self.host_origin?;
        Some(window_event_listener(leptos::ev::message, move |event| {
            // From the host page itself, not another window of its origin (a popup it opened).
            let from_parent = window()
                .parent()
                .ok()
                .flatten()
                .zip(event.source())
                .is_some_and(|(parent, source)| js_sys::Object::is(&parent, &source));
            if event.origin() != origin || !from_parent {
                return;
            }
            let Some(text) = event.data().as_string() else {
                return;
            };
            match embed::decode_host(&text) {
                Ok(frame) => on_frame(frame),
                Err(EmbedError::Foreign) => {}
                Err(e) => leptos::logging::warn!("Ito: ignored a frame from the host page: {e}"),
            }
        }))
    }
}

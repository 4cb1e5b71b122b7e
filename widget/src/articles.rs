//! The site's knowledge base, fetched from the Ito server and turned into an assistant.
//! The server sends it with an ETag and `no-cache`, so a returning visitor's browser
//! revalidates with a 304 instead of downloading it again; an open widget revalidates while
//! the bot "types" each answer, so a base published meanwhile answers the next question.

use ito_assistant::{Assistant, KnowledgeBase};
use ito_protocol::Locale;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Where the base for `site` in `locale` lives, relative to the widget page.
pub fn url(site: &str, locale: Locale) -> String {
    format!("/sites/{site}/kb/{}.json", locale.code())
}

/// A base as downloaded: its assistant and the ETag it came with.
pub struct Loaded {
    pub assistant: Assistant,
    pub etag: Option<String>,
}

/// Downloads and indexes the base; the error says what went wrong, for the console.
pub async fn load(site: &str, locale: Locale) -> Result<Loaded, String> {
    fetch(site, locale, None)
        .await?
        .ok_or_else(|| "no base".into())
}

/// The base again if it was published since the one tagged `etag` (the browser revalidates
/// with the server, so an unchanged base costs a 304), else `None`.
pub async fn newer(site: &str, locale: Locale, etag: &str) -> Option<Loaded> {
    fetch(site, locale, Some(etag)).await.ok().flatten()
}

async fn fetch(site: &str, locale: Locale, known: Option<&str>) -> Result<Option<Loaded>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let url = url(site, locale);
    let response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(|e| format!("cannot fetch {url}: {e:?}"))?;
    let response: web_sys::Response = response.unchecked_into();
    if !response.ok() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let etag = response.headers().get("etag").ok().flatten();
    if known.is_some() && etag.as_deref() == known {
        return Ok(None);
    }
    let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("cannot read {url}: {e:?}"))?
        .as_string()
        .unwrap_or_default();
    let base = KnowledgeBase::parse(&text).map_err(|e| format!("{url}: {e}"))?;
    Ok(Some(Loaded {
        assistant: Assistant::new(base),
        etag,
    }))
}

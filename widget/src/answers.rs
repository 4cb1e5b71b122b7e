//! Asking the Ito server for its answer by meaning to a question the browser is unsure of
//! (`POST /sites/{site}/answers`). The thread waits at most [`WAIT`] for it.

use std::time::Duration;

use ito_assistant::Reply;
use ito_protocol::Locale;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long the visitor waits for the server (the typing dots cover it) before the
/// browser's own answer is shown.
pub const WAIT: Duration = Duration::from_millis(1500);

/// What came of asking.
pub enum Asked {
    Reply(Reply),
    /// The server has no answers by meaning for this site or language (404), or will not
    /// answer this page (403): do not ask again.
    NoneHere,
    /// Unreachable, starting up or unreadable: the browser's answer, this time.
    Failed,
}

/// Asks about `question`; with `rejected`, about the articles other than that one.
pub async fn ask(site: &str, locale: Locale, question: &str, rejected: Option<&str>) -> Asked {
    match request(site, locale, question, rejected).await {
        Ok((200, body)) => Reply::read(&body).map_or(Asked::Failed, Asked::Reply),
        Ok((403 | 404, _)) => Asked::NoneHere,
        _ => Asked::Failed,
    }
}

async fn request(
    site: &str,
    locale: Locale,
    question: &str,
    rejected: Option<&str>,
) -> Result<(u16, String), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let json = |text: &str| serde_json::to_string(text).map_err(|_| "unwritable question");
    let rejected = match rejected {
        Some(id) => format!(",\"rejected\":{}", json(id)?),
        None => String::new(),
    };
    let body = format!(
        "{{\"locale\":\"{}\",\"question\":{}{rejected}}}",
        locale.code(),
        json(question)?
    );
    // Sent as fetch's plain text (no headers to set); the server reads it as JSON.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.into());
    let url = format!("/sites/{site}/answers");
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await?
        .unchecked_into();
    let text = JsFuture::from(response.text()?).await?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

//! Sending a file to the person: `POST /sites/{site}/attachments?name=` with the file as the
//! body (fetch sets its `Content-Type`) and the conversation's token as `Authorization:
//! Bearer`. The server tells both sides with an attachment event, so the thread shows the file
//! when that comes, like everything else it shows.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why a file did not go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Larger than the server takes (413, or known before sending).
    TooLarge,
    /// Not a type the server takes, or its content is not what it claims (415).
    Unsupported,
    /// Anything else: no connection, the chat is over, the server failed.
    Failed,
}

/// What a response's status says of the file.
pub fn outcome(status: u16) -> Result<(), Refused> {
    match status {
        200..=299 => Ok(()),
        413 => Err(Refused::TooLarge),
        415 => Err(Refused::Unsupported),
        _ => Err(Refused::Failed),
    }
}

pub async fn send(site: &str, token: &str, file: &web_sys::File) -> Result<(), Refused> {
    let status = post(site, token, file).await.map_err(|_| Refused::Failed)?;
    outcome(status)
}

async fn post(site: &str, token: &str, file: &web_sys::File) -> Result<u16, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(file);
    let authorization =
        js_sys::Array::of2(&"Authorization".into(), &format!("Bearer {token}").into());
    init.set_headers(&js_sys::Array::of1(&authorization));
    let name = js_sys::encode_uri_component(&file.name());
    let url = format!("/sites/{site}/attachments?name={name}");
    let fetched = leptos::prelude::window().fetch_with_str_and_init(&url, &init);
    let response: web_sys::Response = JsFuture::from(fetched).await?.unchecked_into();
    Ok(response.status())
}

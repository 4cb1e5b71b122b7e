//! The console's HTTP calls: sign-in, sign-out, who am I, a site's knowledge base and the
//! server's ranking by meaning for inserting answers, and the knowledge-base editor's draft,
//! saves, history and publishing. Same-origin JSON, as the server requires for anything that changes state.

use ito_assistant::{Article, KnowledgeBase, Reply};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// Wrong email or password, or the session ended.
    Unauthorized,
    /// The server could not be reached or answered something else.
    Failed(String),
    /// The server refused the request and said why (a mistake in an article, someone else's
    /// newer version): its words, to show as they are.
    Refused(String),
}

async fn call(method: &str, path: &str, body: Option<String>) -> Result<Response, ApiError> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        let headers = Headers::new().map_err(js_failure)?;
        headers
            .set("content-type", "application/json")
            .map_err(js_failure)?;
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&body));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(js_failure)?;
    let response = JsFuture::from(leptos::prelude::window().fetch_with_request(&request))
        .await
        .map_err(js_failure)?;
    let response: Response = response.unchecked_into();
    match response.status() {
        401 => Err(ApiError::Unauthorized),
        200..=299 => Ok(response),
        400 | 403 | 404 | 409 => Err(ApiError::Refused(text(response).await?.trim().to_owned())),
        other => Err(ApiError::Failed(format!("the server answered {other}"))),
    }
}

/// Sends `file` in a conversation the agent has, as its bytes with its own type (fetch
/// takes it from the file); the server's words when it refuses it (too large, not what it
/// claims, not the agent's conversation).
pub async fn send_file(conversation: &str, file: &web_sys::File) -> Result<(), ApiError> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(file);
    let name = String::from(js_sys::encode_uri_component(&file.name()));
    let path = format!("/api/v1/conversations/{conversation}/attachments?name={name}");
    let request = Request::new_with_str_and_init(&path, &init).map_err(js_failure)?;
    let response: Response = JsFuture::from(leptos::prelude::window().fetch_with_request(&request))
        .await
        .map_err(js_failure)?
        .unchecked_into();
    match response.status() {
        200..=299 => Ok(()),
        401 => Err(ApiError::Unauthorized),
        400 | 403 | 404 | 413 | 415 => {
            Err(ApiError::Refused(text(response).await?.trim().to_owned()))
        }
        other => Err(ApiError::Failed(format!("the server answered {other}"))),
    }
}

fn js_failure(e: JsValue) -> ApiError {
    ApiError::Failed(e.as_string().unwrap_or_else(|| "the request failed".into()))
}

async fn text(response: Response) -> Result<String, ApiError> {
    let text = JsFuture::from(response.text().map_err(js_failure)?)
        .await
        .map_err(js_failure)?;
    Ok(text.as_string().unwrap_or_default())
}

async fn json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    serde_json::from_str(&text(response).await?).map_err(|e| ApiError::Failed(e.to_string()))
}

/// The signed-in agent, or `None` when nobody is.
pub async fn me() -> Result<Option<Me>, ApiError> {
    match call("GET", "/api/v1/me", None).await {
        Ok(response) => json(response).await.map(Some),
        Err(ApiError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn sign_in(email: &str, password: &str) -> Result<Me, ApiError> {
    let body = serde_json::json!({ "email": email, "password": password }).to_string();
    json(call("POST", "/api/v1/login", Some(body)).await?).await
}

pub async fn sign_out() -> Result<(), ApiError> {
    call("POST", "/api/v1/logout", Some("{}".into())).await?;
    Ok(())
}

/// The sites whose measures this (admin) agent may see.
pub async fn sites() -> Result<Vec<ito_protocol::metrics::Site>, ApiError> {
    json(call("GET", "/api/v1/sites", None).await?).await
}

/// The path of a site's measures for days `from` to `to` (YYYY-MM-DD), as JSON or CSV.
/// The measures' address: of every conversation, or (`label`) of those with it.
pub fn metrics_path(site: &str, from: &str, to: &str, label: &str, csv: bool) -> String {
    let format = if csv { "&format=csv" } else { "" };
    let label = if label.is_empty() {
        String::new()
    } else {
        format!("&label={}", encode(label))
    };
    format!("/api/v1/sites/{site}/metrics?from={from}&to={to}{label}{format}")
}

pub async fn metrics(
    site: &str,
    from: &str,
    to: &str,
    label: &str,
) -> Result<ito_protocol::metrics::Report, ApiError> {
    json(call("GET", &metrics_path(site, from, to, label, false), None).await?).await
}

/// A site's knowledge base in one locale, as the widget gets it.
pub async fn knowledge_base(site: &str, locale: &str) -> Result<KnowledgeBase, ApiError> {
    let path = format!("/sites/{site}/kb/{locale}.json");
    let text = text(call("GET", &path, None).await?).await?;
    KnowledgeBase::parse(&text).map_err(|e| ApiError::Failed(e.to_string()))
}

/// The server's ranking of `site`'s articles for `question`, by meaning and words: the same
/// the widget shows a visitor (an error when the server has none, then the picker keeps the
/// browser's own ranking).
pub async fn answers(site: &str, locale: &str, question: &str) -> Result<Reply, ApiError> {
    let body = serde_json::json!({ "locale": locale, "question": question }).to_string();
    let path = format!("/sites/{site}/answers");
    let text = text(call("POST", &path, Some(body)).await?).await?;
    Reply::read(&text).ok_or_else(|| ApiError::Failed("an unreadable ranking".into()))
}

/// One article of a draft, with the version a save names.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Versioned {
    pub version: i64,
    pub article: Article,
}

/// A base as its editors see it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Draft {
    pub revision: i64,
    pub published_revision: Option<i64>,
    pub unpublished: bool,
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
    pub articles: Vec<Versioned>,
}

/// One saved version of an article.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Version {
    pub version: i64,
    pub article: Option<Article>,
    pub saved_by: Option<String>,
    pub saved_at: String,
}

#[derive(Deserialize)]
struct Saved {
    version: i64,
}

#[derive(Deserialize)]
struct History {
    versions: Vec<Version>,
}

fn kb_path(site: &str, locale: &str, rest: &str) -> String {
    format!("/api/v1/sites/{site}/kb/{locale}{rest}")
}

pub async fn draft(site: &str, locale: &str) -> Result<Draft, ApiError> {
    json(call("GET", &kb_path(site, locale, ""), None).await?).await
}

/// Saves `article` after `version` (0 for a new one); returns its new version.
pub async fn save_article(
    site: &str,
    locale: &str,
    article: &Article,
    version: i64,
) -> Result<i64, ApiError> {
    let body = serde_json::json!({ "version": version, "article": article }).to_string();
    let path = kb_path(site, locale, &format!("/articles/{}", article.id));
    json::<Saved>(call("PUT", &path, Some(body)).await?)
        .await
        .map(|s| s.version)
}

pub async fn delete_article(
    site: &str,
    locale: &str,
    id: &str,
    version: i64,
) -> Result<i64, ApiError> {
    let body = serde_json::json!({ "version": version }).to_string();
    let path = kb_path(site, locale, &format!("/articles/{id}"));
    json::<Saved>(call("DELETE", &path, Some(body)).await?)
        .await
        .map(|s| s.version)
}

pub async fn history(site: &str, locale: &str, id: &str) -> Result<Vec<Version>, ApiError> {
    let path = kb_path(site, locale, &format!("/articles/{id}/history"));
    json::<History>(call("GET", &path, None).await?)
        .await
        .map(|h| h.versions)
}

/// Brings back `version`'s content as the version after `expected`.
pub async fn restore(
    site: &str,
    locale: &str,
    id: &str,
    version: i64,
    expected: i64,
) -> Result<i64, ApiError> {
    let body = serde_json::json!({ "version": version, "expected": expected }).to_string();
    let path = kb_path(site, locale, &format!("/articles/{id}/restore"));
    json::<Saved>(call("POST", &path, Some(body)).await?)
        .await
        .map(|s| s.version)
}

pub async fn publish(site: &str, locale: &str) -> Result<(), ApiError> {
    call(
        "POST",
        &kb_path(site, locale, "/publish"),
        Some("{}".into()),
    )
    .await?;
    Ok(())
}

/// A group of questions the bot did not handle, as `GET …/gaps` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Gap {
    pub count: usize,
    pub examples: Vec<String>,
    pub questions: Vec<String>,
    pub unsure: usize,
    pub not_helpful: usize,
    pub handed_off: usize,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Gaps {
    pub questions: usize,
    pub groups: Vec<Gap>,
}

/// One article's figures for a range.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ArticleFigures {
    pub id: String,
    pub title: Option<String>,
    pub shown: i64,
    pub helped: i64,
    pub not_helped: i64,
    pub handoffs: i64,
}

#[derive(Deserialize)]
struct FiguresList {
    articles: Vec<ArticleFigures>,
}

/// "Asked `question`; `agent` answered with `article`."
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Suggestion {
    pub id: String,
    pub question: String,
    pub article: String,
    pub title: Option<String>,
    pub agent: String,
}

#[derive(Deserialize)]
struct SuggestionList {
    suggestions: Vec<Suggestion>,
}

#[derive(Deserialize)]
struct Decided {
    published: bool,
}

pub async fn gaps(site: &str, locale: &str, from: &str, to: &str) -> Result<Gaps, ApiError> {
    let path = kb_path(site, locale, &format!("/gaps?from={from}&to={to}"));
    json(call("GET", &path, None).await?).await
}

pub async fn article_figures(
    site: &str,
    locale: &str,
    from: &str,
    to: &str,
) -> Result<Vec<ArticleFigures>, ApiError> {
    let path = kb_path(site, locale, &format!("/figures?from={from}&to={to}"));
    json::<FiguresList>(call("GET", &path, None).await?)
        .await
        .map(|f| f.articles)
}

pub async fn suggestions(site: &str, locale: &str) -> Result<Vec<Suggestion>, ApiError> {
    json::<SuggestionList>(call("GET", &kb_path(site, locale, "/suggestions"), None).await?)
        .await
        .map(|s| s.suggestions)
}

/// Accepts (`true`) or dismisses suggestion `id`; returns whether visitors now get it.
pub async fn decide(site: &str, locale: &str, id: &str, accept: bool) -> Result<bool, ApiError> {
    let verb = if accept { "accept" } else { "dismiss" };
    let path = kb_path(site, locale, &format!("/suggestions/{id}/{verb}"));
    json::<Decided>(call("POST", &path, Some("{}".into())).await?)
        .await
        .map(|d| d.published)
}

/// Someone a conversation can be handed to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Teammate {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub open: u32,
    pub capacity: u32,
}

/// The team, for *Transfer*.
pub async fn team() -> Result<Vec<Teammate>, ApiError> {
    json(call("GET", "/api/v1/agents", None).await?).await
}

/// `site`'s canned replies, for the reply box's `/` shortcuts.
pub async fn canned(site: &str) -> Result<Vec<crate::canned::Canned>, ApiError> {
    json(call("GET", &format!("/api/v1/sites/{site}/canned"), None).await?).await
}

/// Saves (or replaces) `site`'s canned reply `shortcut`; admins only.
pub async fn save_canned(site: &str, shortcut: &str, text: &str) -> Result<(), ApiError> {
    let body = serde_json::json!({ "text": text }).to_string();
    call(
        "PUT",
        &format!("/api/v1/sites/{site}/canned/{shortcut}"),
        Some(body),
    )
    .await?;
    Ok(())
}

pub async fn delete_canned(site: &str, shortcut: &str) -> Result<(), ApiError> {
    call(
        "DELETE",
        &format!("/api/v1/sites/{site}/canned/{shortcut}"),
        Some("{}".into()),
    )
    .await?;
    Ok(())
}

/// `site`'s labels, for labelling conversations.
pub async fn labels(site: &str) -> Result<Vec<String>, ApiError> {
    json(call("GET", &format!("/api/v1/sites/{site}/labels"), None).await?).await
}

/// Adds `name` to `site`'s labels (`true`) or takes it off the list; admins only.
pub async fn define_label(site: &str, name: &str, define: bool) -> Result<(), ApiError> {
    let method = if define { "PUT" } else { "DELETE" };
    let path = format!("/api/v1/sites/{site}/labels/{}", encode(name));
    call(method, &path, Some("{}".into())).await?;
    Ok(())
}

/// `text` for a URL path segment.
fn encode(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}

/// A conversation a search found.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Found {
    pub conversation: ito_protocol::chat::ConversationId,
    pub site: String,
    pub status: ito_protocol::chat::ConversationStatus,
    pub started_at: String,
    pub visitor: Option<String>,
    pub email: Option<String>,
    pub agent: Option<String>,
}

/// Conversations past and present whose visitor or words match `words`.
pub async fn search(words: &str) -> Result<Vec<Found>, ApiError> {
    let path = format!("/api/v1/conversations?q={}", encode(words));
    json(call("GET", &path, None).await?).await
}

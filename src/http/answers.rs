//! `POST /sites/{site}/answers`: the server's answer by meaning to a question the widget was
//! unsure of (`{"locale": "en", "question": "..."}`, as JSON of any content type), in the
//! browser's reply shape; with `"rejected": "article-id"`, about the other articles. Only the
//! widget's own page (this server's origin) may ask; each address has a bucket of questions.
//! When semantic answers are off or still starting, a 503 tells the widget to keep its own.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use ito_assistant::Reply;
use ito_protocol::Locale;
use ito_protocol::chat::MAX_TEXT_BYTES;
use serde::Deserialize;

use super::HttpError;
use crate::answers::service::AnswerError;
use crate::live::limits::RateLimit;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    locale: Locale,
    question: String,
    /// The article the visitor said did not help: the reply is about the others.
    #[serde(default)]
    rejected: Option<String>,
}

/// Questions one address may ask at once, then one every two seconds: a visitor asks every
/// few seconds at most, and one question is a few milliseconds of a core.
const BURST: f64 = 20.0;
const PER_SECOND: f64 = 0.5;

pub async fn answer(
    State(state): State<AppState>,
    Path(site): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: String,
) -> Result<Json<Reply>, HttpError> {
    let server = &state.config.server;
    let site = state.config.site(&site).ok_or(HttpError::UnknownSite)?;
    if !super::session::from_own_page(server, &headers) {
        return Err(HttpError::Forbidden(
            "only the chat widget may ask for answers",
        ));
    }
    // Read from any content type: the widget sends its JSON as fetch's plain text, which
    // spares it the code that sets headers. Only this server's own pages get this far.
    let question: Question = serde_json::from_str(&body).map_err(|e| {
        HttpError::BadRequest(format!("a question is {{\"locale\", \"question\"}}: {e}"))
    })?;
    if question.question.len() > MAX_TEXT_BYTES {
        return Err(HttpError::BadRequest(format!(
            "a question is at most {MAX_TEXT_BYTES} bytes long"
        )));
    }
    let unavailable = |e: AnswerError| match e {
        AnswerError::Off | AnswerError::NotReady => {
            HttpError::Unavailable("semantic answers are not available: use the widget's own")
        }
        AnswerError::NoBase => HttpError::NotFound("no semantic answers for this language"),
        AnswerError::Failed => HttpError::internal(e),
    };
    let site = site.id.as_str();
    state
        .answers
        .check(site, question.locale)
        .map_err(unavailable)?;
    let address = super::client_address(server, peer, &headers);
    let now = Instant::now();
    state
        .answer_buckets
        .take(address, || RateLimit::new(BURST, PER_SECOND, now), now)
        .map_err(|wait| HttpError::Throttled {
            what: "too many questions from this address",
            retry_after: wait,
        })?;
    let reply = state
        .answers
        .answer(
            site,
            question.locale,
            &question.question,
            question.rejected.as_deref(),
        )
        .await
        .map_err(unavailable)?;
    Ok(Json(reply))
}

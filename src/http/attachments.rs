//! Files in conversations. A visitor sends one with `POST /sites/{site}/attachments?name=`
//! (their conversation token as `Authorization: Bearer`), an agent with `POST
//! /api/v1/conversations/{id}/attachments?name=` (their session, from the console's origin),
//! the bytes as the body with their `Content-Type`. Each is checked
//! (`site::file_types::check`), kept in the attachments folder and told to both sides as an
//! event. `GET /attachments/{id}` serves it to the conversation's visitor (`?token=`) and to
//! agents, with its type, a `Content-Disposition` with its name, `nosniff` and a sandbox;
//! `GET /attachments/{id}/thumbnail` an image's thumbnail, made when it was taken, to the same
//! people.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    ORIGIN,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ito_protocol::chat::{Attachment, Author, ConversationId, ConversationStatus, EventKind};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::HttpError;
use super::session::{current_agent, is_own_origin};
use crate::live::dispatch::{self, now_millis};
use crate::site::file_types::{self, FileRefused, FileType};
use crate::site::thumbnails;
use crate::state::AppState;
use crate::store::attachments::{self, Stored};
use crate::store::events;

#[derive(Deserialize)]
pub struct Named {
    name: String,
}

#[derive(Deserialize)]
pub struct Token {
    token: Option<String>,
}

/// What a sender gets back: the file as the event tells it, and the event's number.
#[derive(Serialize)]
pub struct Sent {
    file: Attachment,
    seq: u64,
}

/// The conversation a visitor's token proves, if it is of `site`.
async fn visitors_conversation(
    state: &AppState,
    site: &str,
    token: &str,
) -> Result<ConversationId, HttpError> {
    let conversation = state
        .tokens
        .verify(token, now_millis() / 1000)
        .map_err(|_| HttpError::Unauthorized)?;
    match events::site_of(&state.db, &conversation)
        .await
        .map_err(HttpError::internal)?
    {
        Some(of) if of == site => Ok(conversation),
        _ => Err(HttpError::Unauthorized),
    }
}

pub async fn visitor_sends(
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(named): Query<Named>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Sent>), HttpError> {
    state.config.site(&site).ok_or(HttpError::UnknownSite)?;
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(HttpError::Unauthorized)?;
    let conversation = visitors_conversation(&state, &site, token).await?;
    let (status, _) = events::status_of(&state.db, &conversation)
        .await
        .map_err(HttpError::internal)?;
    if !matches!(
        status,
        ConversationStatus::Waiting | ConversationStatus::Assigned
    ) {
        return Err(HttpError::Forbidden(
            "files go to a person: ask for one first (or again, once the chat has ended)",
        ));
    }
    keep(
        &state,
        &conversation,
        "visitor",
        Author::Visitor,
        &named.name,
        &headers,
        body,
    )
    .await
}

pub async fn agent_sends(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
    Query(named): Query<Named>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Sent>), HttpError> {
    let own = headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|origin| is_own_origin(&state.config.server, &headers, origin));
    if !own {
        return Err(HttpError::Forbidden(
            "files are sent from this server's console",
        ));
    }
    let agent = current_agent(&state, &headers).await?;
    let conversation: ConversationId = conversation
        .parse()
        .map_err(|_| HttpError::NotFound("no such conversation"))?;
    let holder = events::holder(&state.db, &conversation)
        .await
        .map_err(HttpError::internal)?;
    if holder.as_deref() != Some(agent.id.as_str()) {
        return Err(HttpError::Forbidden(
            "send files in a conversation you have (claim it first)",
        ));
    }
    let author = Author::Agent {
        id: agent.id.clone(),
        name: agent.name.clone(),
    };
    keep(
        &state,
        &conversation,
        &agent.id,
        author,
        &named.name,
        &headers,
        body,
    )
    .await
}

/// Reads at most one byte more than allowed, checks, keeps the file, then its event.
async fn keep(
    state: &AppState,
    conversation: &ConversationId,
    sent_by: &str,
    author: Author,
    name: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Sent>), HttpError> {
    let rules = &state.config.server.attachments;
    let too_large = || {
        HttpError::TooLarge(format!(
            "the file is larger than {} bytes, the most accepted",
            rules.max_bytes
        ))
    };
    let limit = usize::try_from(rules.max_bytes.saturating_add(1)).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let claimed = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let kind = file_types::check(name, claimed, &bytes, rules.max_bytes, &rules.types).map_err(
        |refused| match refused {
            FileRefused::TooLarge { .. } => too_large(),
            other => HttpError::Unsupported(other.to_string()),
        },
    )?;
    // Decoding is work for a blocking thread; an image that does not decode is refused.
    let thumbnail = {
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || thumbnails::make(&bytes, kind))
            .await
            .map_err(HttpError::internal)?
            .map_err(|refused| HttpError::Unsupported(refused.to_string()))?
    };
    let id = crate::store::random_hex(16);
    let written =
        |e: std::io::Error| HttpError::internal(format!("{}: {e}", rules.folder.display()));
    tokio::fs::create_dir_all(&rules.folder)
        .await
        .map_err(written)?;
    if let Some(thumbnail) = &thumbnail {
        write_durably(&rules.folder.join(thumbnail_name(&id)), thumbnail)
            .await
            .map_err(written)?;
    }
    write_durably(&rules.folder.join(&id), &bytes)
        .await
        .map_err(written)?;
    let stored = Stored {
        id: id.clone(),
        conversation_id: conversation.to_string(),
        sent_by: sent_by.to_owned(),
        name: name.to_owned(),
        media_type: kind.media_type().to_owned(),
        size: bytes.len() as i64,
        sha256: hex(&sha2::Sha256::digest(&bytes)),
    };
    attachments::insert(&state.db, &stored)
        .await
        .map_err(HttpError::internal)?;
    let file = Attachment {
        id,
        name: stored.name,
        media_type: stored.media_type,
        size: bytes.len() as u64,
    };
    let event = EventKind::Attachment {
        author,
        file: file.clone(),
    };
    let appended = dispatch::append(state, conversation, event)
        .await
        .map_err(HttpError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(Sent {
            file,
            seq: appended.seq,
        }),
    ))
}

/// Where an image's thumbnail is kept, beside it.
fn thumbnail_name(id: &str) -> String {
    format!("{id}.thumbnail")
}

/// Written under a temporary name, flushed to disk, then renamed: a file is whole or absent.
async fn write_durably(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let mut file = tokio::fs::File::create(&partial).await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    tokio::fs::rename(&partial, path).await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored file `id`, if whoever asks may have it: the conversation's visitor by its token,
/// or an agent. Anyone else is told it does not exist, as for an id that does not: ids are not
/// confirmed to strangers.
async fn permitted(
    state: &AppState,
    id: &str,
    token: &Token,
    headers: &HeaderMap,
) -> Result<Stored, HttpError> {
    let missing = || HttpError::NotFound("no such file");
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(missing());
    }
    let stored = attachments::get(&state.db, id)
        .await
        .map_err(HttpError::internal)?
        .ok_or_else(missing)?;
    let allowed = match &token.token {
        Some(token) => state
            .tokens
            .verify(token, now_millis() / 1000)
            .is_ok_and(|c| c.as_str() == stored.conversation_id),
        None => current_agent(state, headers).await.is_ok(),
    };
    if allowed { Ok(stored) } else { Err(missing()) }
}

pub async fn serve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(token): Query<Token>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let stored = permitted(&state, &id, &token, &headers).await?;
    original(&state, &stored).await
}

/// The file as it was sent, checked against the digest stored with it.
async fn original(state: &AppState, stored: &Stored) -> Result<Response, HttpError> {
    let path = state.config.server.attachments.folder.join(&stored.id);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| HttpError::internal(format!("{}: {e}", path.display())))?;
    if hex(&sha2::Sha256::digest(&bytes)) != stored.sha256 {
        return Err(HttpError::internal(format!(
            "{} does not hold what was stored",
            path.display()
        )));
    }
    file_response(&stored.media_type, &stored.name, bytes)
}

/// An image's thumbnail; the image itself when it was taken before thumbnails were made.
pub async fn serve_thumbnail(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(token): Query<Token>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let stored = permitted(&state, &id, &token, &headers).await?;
    if !FileType::from_media_type(&stored.media_type).is_some_and(FileType::is_image) {
        return Err(HttpError::NotFound("only images have thumbnails"));
    }
    let path = state
        .config
        .server
        .attachments
        .folder
        .join(thumbnail_name(&stored.id));
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let kind = FileType::sniff(&bytes)
                .ok_or_else(|| HttpError::internal(format!("{} is no image", path.display())))?;
            file_response(kind.media_type(), &stored.name, bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => original(&state, &stored).await,
        Err(e) => Err(HttpError::internal(format!("{}: {e}", path.display()))),
    }
}

/// A file as it is sent: its type, its name (images shown, others downloaded), kept privately
/// by browsers, and inert even when opened on its own (`nosniff` is added for every response).
fn file_response(media_type: &str, name: &str, bytes: Vec<u8>) -> Result<Response, HttpError> {
    let inline = media_type.starts_with("image/");
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        ascii_name(name),
        percent_encoded(name)
    );
    let header = |text: &str| HeaderValue::from_str(text).map_err(HttpError::internal);
    Ok((
        [
            (CONTENT_TYPE, header(media_type)?),
            (CONTENT_DISPOSITION, header(&disposition)?),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
            (
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The name for browsers that read only `filename=`: ASCII, without quotes or backslashes.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 5987's encoding of the name for `filename*=`.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_in_the_disposition_header() {
        assert_eq!(ascii_name("bill \"final\".pdf"), "bill _final_.pdf");
        assert_eq!(ascii_name("請求書.pdf"), "___.pdf");
        assert_eq!(percent_encoded("請求 1.pdf"), "%E8%AB%8B%E6%B1%82%201.pdf");
    }
}

//! `GET /api/v1/conversations?q=WORDS&label=L`: conversations past and present found by the
//! visitor's name or email, their words or a label, newest first, for agents (any may read
//! any conversation; a closed one opens read-only and can be reopened).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::HttpError;
use super::session::current_agent;
use crate::state::AppState;
use crate::store::agents::Role;
use crate::store::history;
use crate::store::labels;

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Serialize)]
pub struct FoundView {
    conversation: String,
    site: String,
    status: String,
    started_at: String,
    visitor: Option<String>,
    email: Option<String>,
    agent: Option<String>,
}

/// The longest search, in characters.
const MAX_WORDS: usize = 200;

pub async fn search(
    State(state): State<AppState>,
    Query(search): Query<Search>,
    headers: HeaderMap,
) -> Result<Json<Vec<FoundView>>, HttpError> {
    let agent = current_agent(&state, &headers).await?;
    if agent.role == Role::Editor.as_str() {
        return Err(HttpError::Forbidden("conversations are for agents"));
    }
    let words = search.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if words.is_some_and(|q| q.chars().count() > MAX_WORDS) {
        return Err(HttpError::BadRequest(format!(
            "a search has at most {MAX_WORDS} characters"
        )));
    }
    let label = match search.label.as_deref().filter(|l| !l.is_empty()) {
        Some(label) => {
            Some(labels::checked(label).map_err(|e| HttpError::BadRequest(e.to_string()))?)
        }
        None => None,
    };
    if words.is_none() && label.is_none() {
        return Err(HttpError::BadRequest(
            "say what to look for: q (a name, an email, words) or label".into(),
        ));
    }
    let found = history::search(&state.db, words, label)
        .await
        .map_err(HttpError::internal)?;
    Ok(Json(
        found
            .into_iter()
            .map(|f| FoundView {
                conversation: f.conversation,
                site: f.site,
                status: f.status,
                started_at: f.started_at,
                visitor: f.visitor,
                email: f.email,
                agent: f.agent,
            })
            .collect(),
    ))
}

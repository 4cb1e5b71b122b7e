//! Canned replies under `/api/v1/sites/{site}/canned`: every agent reads a site's (`GET`), for
//! the reply box's `/` shortcuts; admins save one (`PUT canned/{shortcut}` with its text) and
//! delete one (`DELETE`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::HttpError;
use super::session::{current_agent, same_origin_json};
use crate::state::AppState;
use crate::store::agents::{Agent, Role};
use crate::store::canned::{self, CannedError};

#[derive(Serialize)]
pub struct CannedView {
    shortcut: String,
    text: String,
}

#[derive(Deserialize)]
pub struct Save {
    text: String,
}

pub async fn list(
    State(state): State<AppState>,
    Path(site): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<CannedView>>, HttpError> {
    let agent = current_agent(&state, &headers).await?;
    if agent.role == Role::Editor.as_str() {
        return Err(HttpError::Forbidden("canned replies are for agents"));
    }
    state.config.site(&site).ok_or(HttpError::UnknownSite)?;
    let replies = canned::list(&state.db, &site)
        .await
        .map_err(HttpError::internal)?;
    Ok(Json(
        replies
            .into_iter()
            .map(|c| CannedView {
                shortcut: c.shortcut,
                text: c.text,
            })
            .collect(),
    ))
}

pub async fn save(
    State(state): State<AppState>,
    Path((site, shortcut)): Path<(String, String)>,
    headers: HeaderMap,
    Json(save): Json<Save>,
) -> Result<StatusCode, HttpError> {
    let admin = admin(&state, &headers, &site).await?;
    match canned::save(&state.db, &site, &shortcut, &save.text, &admin.id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(CannedError::Db(e)) => Err(HttpError::internal(e)),
        Err(refused) => Err(HttpError::BadRequest(refused.to_string())),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path((site, shortcut)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpError> {
    admin(&state, &headers, &site).await?;
    if canned::delete(&state.db, &site, &shortcut)
        .await
        .map_err(HttpError::internal)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(HttpError::NotFound("no such canned reply"))
    }
}

/// The signed-in admin changing `site`'s settings (canned replies, labels), from this server's own page.
pub(super) async fn admin(
    state: &AppState,
    headers: &HeaderMap,
    site: &str,
) -> Result<Agent, HttpError> {
    same_origin_json(&state.config.server, headers)?;
    let agent = current_agent(state, headers).await?;
    if agent.role != Role::Admin.as_str() {
        return Err(HttpError::Forbidden("canned replies are managed by admins"));
    }
    state.config.site(site).ok_or(HttpError::UnknownSite)?;
    Ok(agent)
}

//! A site's labels under `/api/v1/sites/{site}/labels`: every agent reads them (`GET`), for
//! labelling conversations and filtering the inbox; admins add one (`PUT labels/{name}`) and
//! take one off the list (`DELETE`), which leaves it on the conversations that have it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

use super::HttpError;
use super::canned::admin;
use super::session::current_agent;
use crate::state::AppState;
use crate::store::agents::Role;
use crate::store::labels::{self, LabelError};

pub async fn list(
    State(state): State<AppState>,
    Path(site): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<String>>, HttpError> {
    let agent = current_agent(&state, &headers).await?;
    if agent.role == Role::Editor.as_str() {
        return Err(HttpError::Forbidden("labels are for agents"));
    }
    state.config.site(&site).ok_or(HttpError::UnknownSite)?;
    Ok(Json(
        labels::defined(&state.db, &site)
            .await
            .map_err(HttpError::internal)?,
    ))
}

pub async fn define(
    State(state): State<AppState>,
    Path((site, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpError> {
    admin(&state, &headers, &site).await?;
    match labels::define(&state.db, &site, &name).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(LabelError::Db(e)) => Err(HttpError::internal(e)),
        Err(refused) => Err(HttpError::BadRequest(refused.to_string())),
    }
}

pub async fn undefine(
    State(state): State<AppState>,
    Path((site, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpError> {
    admin(&state, &headers, &site).await?;
    if labels::undefine(&state.db, &site, &name)
        .await
        .map_err(HttpError::internal)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(HttpError::NotFound("no such label"))
    }
}

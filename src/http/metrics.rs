//! `GET /api/v1/sites/{site}/metrics?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv][&label=L]`: a
//! site's measures for those days in its time zone, overall and per agent (of every
//! conversation, or of those with label `L`), for admins; and
//! `GET /api/v1/sites`, the sites with their knowledge bases' languages, for admins and
//! editors.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::HttpError;
use super::session::current_agent;
use crate::reports::report::{self, Days, ReportError, Site};
use crate::state::AppState;
use crate::store::agents::Role;

#[derive(Deserialize)]
pub struct Range {
    from: String,
    to: String,
    #[serde(default)]
    format: Option<String>,
    /// Only conversations with this label.
    #[serde(default)]
    label: Option<String>,
}

/// `GET /api/v1/sites`: the sites whose measures an admin may see and whose knowledge bases
/// admins and editors edit.
pub async fn sites(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Site>>, HttpError> {
    let agent = current_agent(&state, &headers).await?;
    if agent.role != Role::Admin.as_str() && agent.role != Role::Editor.as_str() {
        return Err(HttpError::Forbidden("the sites are for admins and editors"));
    }
    Ok(Json(
        state
            .config
            .sites
            .iter()
            .map(|s| Site {
                id: s.id.as_str().to_owned(),
                name: s.name.clone(),
                time_zone: s.time_zone.clone(),
                locales: s
                    .knowledge_base
                    .keys()
                    .map(|l| l.code().to_owned())
                    .collect(),
            })
            .collect(),
    ))
}

async fn admin(state: &AppState, headers: &HeaderMap) -> Result<(), HttpError> {
    let agent = current_agent(state, headers).await?;
    if agent.role == "admin" {
        Ok(())
    } else {
        Err(HttpError::Forbidden("the measures are for admins"))
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(range): Query<Range>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    admin(&state, &headers).await?;
    let site = state.config.site(&site).ok_or(HttpError::UnknownSite)?;
    let days =
        Days::parse(&range.from, &range.to).map_err(|e| HttpError::BadRequest(e.to_string()))?;
    let label = range.label.as_deref().filter(|l| !l.is_empty());
    let report = report::report(&state.db, site, days, label)
        .await
        .map_err(|e| match e {
            ReportError::Db(e) => HttpError::internal(e),
            other => HttpError::BadRequest(other.to_string()),
        })?;
    Ok(match range.format.as_deref() {
        Some("csv") => (
            [(CONTENT_TYPE, "text/csv; charset=utf-8")],
            report::csv(&report),
        )
            .into_response(),
        _ => Json(report).into_response(),
    })
}

//! Agents signing in and out: `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`.
//!
//! The session lives in an `HttpOnly; SameSite=Strict` cookie that scripts cannot read and
//! other sites cannot send. Requests that change state must also come from this server's own
//! origin (`Origin` header) and carry JSON, which no plain cross-site form can send: together
//! these make the login CSRF-safe without a separate token.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{AppState, HttpError};
use crate::agents::{self, Agent, SESSION_SECS};

const COOKIE_NAME: &str = "ito_session";

#[derive(Deserialize)]
pub struct Login {
    email: String,
    password: String,
}

#[derive(Serialize)]
pub struct Me {
    id: String,
    email: String,
    name: String,
    role: String,
}

impl From<Agent> for Me {
    fn from(a: Agent) -> Me {
        Me {
            id: a.id,
            email: a.email,
            name: a.name,
            role: a.role,
        }
    }
}

fn now() -> i64 {
    crate::dispatch::now_millis() / 1000
}

/// Whether the request comes from a page on this server (its `Origin` is this `Host`).
pub fn from_own_page(headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
            .unwrap_or("")
    };
    let (host, origin) = (header(HOST), header(ORIGIN));
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

/// Refuses state changes that do not come from this server's own pages as JSON.
fn same_origin_json(headers: &HeaderMap) -> Result<(), HttpError> {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if from_own_page(headers) && json {
        Ok(())
    } else {
        Err(HttpError::Forbidden(
            "sign in from the console on this server",
        ))
    }
}

fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok())
        .flat_map(|c| c.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(&format!("{COOKIE_NAME}=")))
}

/// The signed-in agent, or 401.
pub async fn current_agent(state: &AppState, headers: &HeaderMap) -> Result<Agent, HttpError> {
    let token = session_token(headers).ok_or(HttpError::Unauthorized)?;
    agents::session_agent(&state.db, token, now())
        .await
        .map_err(HttpError::internal)?
        .ok_or(HttpError::Unauthorized)
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(login): Json<Login>,
) -> Result<Response, HttpError> {
    same_origin_json(&headers)?;
    let agent = agents::check_login(&state.db, &login.email, &login.password)
        .await
        .map_err(HttpError::internal)?
        .ok_or(HttpError::Unauthorized)?;
    let token = agents::start_session(&state.db, &agent, now())
        .await
        .map_err(HttpError::internal)?;
    let cookie =
        format!("{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECS}");
    Ok(([(SET_COOKIE, cookie)], Json(Me::from(agent))).into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    same_origin_json(&headers)?;
    if let Some(token) = session_token(&headers) {
        agents::end_session(&state.db, token)
            .await
            .map_err(HttpError::internal)?;
    }
    let expired = format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok(([(SET_COOKIE, expired)], StatusCode::NO_CONTENT).into_response())
}

pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Me>, HttpError> {
    Ok(Json(current_agent(&state, &headers).await?.into()))
}

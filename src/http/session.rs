//! Agents signing in and out: `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`.
//!
//! The session lives in an `HttpOnly; SameSite=Strict` cookie that scripts cannot read and
//! other sites cannot send. Requests that change state must also come from this server's own
//! origin (`Origin` header) and carry JSON, which no plain cross-site form can send: together
//! these make the login CSRF-safe without a separate token.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::HttpError;
use crate::site::config::ServerConfig;
use crate::state::AppState;
use crate::store::agents::{self, Agent, SESSION_SECS};

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

fn now_secs() -> i64 {
    crate::live::dispatch::now_millis() / 1000
}

/// Whether the request comes from a page on this server: its `Origin` is `public_url`, or,
/// without one, the `Host` it was sent to, when that is an address or `localhost` (a name
/// could be an attacker's, rebound to this server's address).
pub fn from_own_page(server: &ServerConfig, headers: &HeaderMap) -> bool {
    let origin = headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    is_own_origin(server, headers, origin)
}

/// Whether `origin` is this server's own (see [`from_own_page`]).
pub fn is_own_origin(server: &ServerConfig, headers: &HeaderMap, origin: &str) -> bool {
    if let Some(public) = &server.public_url {
        return origin.eq_ignore_ascii_case(public.origin());
    }
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name);
    let literal = name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok()
        || (name.starts_with('[') && name.ends_with(']'));
    literal
        && !host.is_empty()
        && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

/// Refuses state changes that do not come from this server's own pages as JSON.
pub(super) fn same_origin_json(
    server: &ServerConfig,
    headers: &HeaderMap,
) -> Result<(), HttpError> {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if from_own_page(server, headers) && json {
        Ok(())
    } else {
        Err(HttpError::Forbidden(
            "sign in from the console on this server",
        ))
    }
}

pub(super) fn session_token(headers: &HeaderMap) -> Option<&str> {
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
    agents::session_agent(&state.db, token, now_secs())
        .await
        .map_err(HttpError::internal)?
        .ok_or(HttpError::Unauthorized)
}

/// The cookie's attributes: `Secure` when people reach Ito over https.
fn cookie_attributes(server: &ServerConfig) -> &'static str {
    if server.public_url.as_ref().is_some_and(|u| u.is_https()) {
        "HttpOnly; Secure; SameSite=Strict; Path=/"
    } else {
        "HttpOnly; SameSite=Strict; Path=/"
    }
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(login): Json<Login>,
) -> Result<Response, HttpError> {
    let server = &state.config.server;
    same_origin_json(server, &headers)?;
    // PostgreSQL cannot even look one up: refused in words on both backends.
    if login.email.contains('\0') {
        return Err(HttpError::BadRequest(
            "an email address has no NUL character (U+0000)".into(),
        ));
    }
    let address = super::client_address(server, peer, &headers);
    let email = login.email.trim().to_ascii_lowercase();
    let throttle = &state.sign_ins;
    let now = Instant::now();
    // Checked before the password, so a throttled guess learns nothing.
    if let Err(wait) = throttle
        .by_email
        .check(&email, now)
        .and(throttle.by_address.check(&address, now))
    {
        return Err(HttpError::Throttled {
            what: "too many failed sign-ins",
            retry_after: wait,
        });
    }
    let Some(agent) = agents::check_login(&state.db, &email, &login.password)
        .await
        .map_err(HttpError::internal)?
    else {
        throttle.by_email.failed(email, now);
        throttle.by_address.failed(address, now);
        return Err(HttpError::Unauthorized);
    };
    throttle.by_email.forget(&email);
    let token = agents::start_session(&state.db, &agent, now_secs())
        .await
        .map_err(HttpError::internal)?;
    let attributes = cookie_attributes(server);
    let cookie = format!("{COOKIE_NAME}={token}; {attributes}; Max-Age={SESSION_SECS}");
    Ok(([(SET_COOKIE, cookie)], Json(Me::from(agent))).into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    same_origin_json(&state.config.server, &headers)?;
    if let Some(token) = session_token(&headers) {
        agents::end_session(&state.db, token)
            .await
            .map_err(HttpError::internal)?;
    }
    let attributes = cookie_attributes(&state.config.server);
    let expired = format!("{COOKIE_NAME}=; {attributes}; Max-Age=0");
    Ok(([(SET_COOKIE, expired)], StatusCode::NO_CONTENT).into_response())
}

pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Me>, HttpError> {
    Ok(Json(current_agent(&state, &headers).await?.into()))
}

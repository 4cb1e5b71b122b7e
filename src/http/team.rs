//! `GET /api/v1/agents`: the team an agent can hand a conversation to, with who is online and
//! how much room each has, for the console's *Transfer*. Agents and admins only.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;

use super::HttpError;
use super::session::current_agent;
use crate::state::AppState;
use crate::store::agents::Role;
use crate::store::events;

#[derive(Serialize)]
pub struct Teammate {
    id: String,
    name: String,
    online: bool,
    open: u32,
    capacity: u32,
}

pub async fn agents(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Teammate>>, HttpError> {
    let me = current_agent(&state, &headers).await?;
    if me.role == Role::Editor.as_str() {
        return Err(HttpError::Forbidden("editors do not take conversations"));
    }
    let loads = events::agent_loads(&state.db)
        .await
        .map_err(HttpError::internal)?;
    Ok(Json(
        loads
            .into_iter()
            .map(|(load, name)| Teammate {
                online: state.presence.is_online(&load.id),
                id: load.id,
                name,
                open: load.open,
                capacity: load.capacity,
            })
            .collect(),
    ))
}

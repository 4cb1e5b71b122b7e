//! What the visitor's and the agent's WebSockets share: size-bounded upgrades, the heartbeat
//! that finds dead connections, sending a frame, closing politely, and what a client is told
//! when the store fails.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use futures_util::StreamExt;

use crate::live::limits::Limits;
use crate::store::events::StoreError;

/// A socket's read and write buffers to start with (they grow when a frame needs it).
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

/// Events sent per store read when catching up.
pub(super) const REPLAY_BATCH: u32 = 500;

/// Why a frame with the NUL character is refused.
const NUL_REFUSED: &str = "text may not contain the NUL character (U+0000)";

/// A client's frame, or why it was refused. PostgreSQL cannot store the NUL character, so a
/// frame with one in any string is refused, on both backends alike (it has no use in a chat).
pub(super) fn parse_frame<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let frame = serde_json::from_str(text).map_err(|e| e.to_string())?;
    // JSON can only carry it escaped; most frames are spared the closer look.
    if text.contains("\\u0000") {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if has_nul(&value) {
            return Err(NUL_REFUSED.to_owned());
        }
    }
    Ok(frame)
}

fn has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(fields) => fields
            .iter()
            .any(|(name, value)| name.contains('\0') || has_nul(value)),
        _ => false,
    }
}

/// A socket that refuses any frame or message over `max_bytes` from its header, before
/// buffering it, with small buffers to start with (they grow when a frame needs it): thousands
/// of mostly idle connections must not cost the default 128 KiB each.
pub(super) fn bounded(upgrade: WebSocketUpgrade, max_bytes: usize) -> WebSocketUpgrade {
    upgrade
        .max_frame_size(max_bytes)
        .max_message_size(max_bytes)
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
}

pub(super) const IDLE_MESSAGE: &str = "nothing was heard for too long: reconnect to go on";

/// Closes with a close frame and waits (briefly) for the client's, so what was sent just
/// before (an error saying why) is read rather than lost to a reset connection.
pub(super) async fn goodbye(socket: &mut WebSocket) {
    let _ = socket.send(Message::Close(None)).await;
    let drained = async { while let Some(Ok(_)) = socket.next().await {} };
    let _ = tokio::time::timeout(Duration::from_secs(2), drained).await;
}

/// The server's side of keeping a connection alive: a WebSocket ping every
/// `limits.heartbeat()` (browsers answer pings by themselves), and the verdict that a
/// connection silent for `limits.idle_timeout()` is gone.
pub(super) struct Heartbeat {
    interval: tokio::time::Interval,
    last_heard: tokio::time::Instant,
    idle_timeout: Duration,
}

impl Heartbeat {
    pub(super) fn new(limits: &Limits) -> Heartbeat {
        let beat = limits.heartbeat();
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Heartbeat {
            interval,
            last_heard: tokio::time::Instant::now(),
            idle_timeout: limits.idle_timeout(),
        }
    }

    pub(super) async fn tick(&mut self) {
        self.interval.tick().await;
    }

    /// Notes that the client said something (anything, a pong included); passes it on.
    pub(super) fn heard<T>(&mut self, frame: Option<T>) -> Option<T> {
        if frame.is_some() {
            self.last_heard = tokio::time::Instant::now();
        }
        frame
    }

    /// Pings, unless the client has been silent too long: then `false`.
    pub(super) async fn beat(&mut self, socket: &mut WebSocket) -> Result<bool, SessionError> {
        if self.last_heard.elapsed() >= self.idle_timeout {
            return Ok(false);
        }
        socket.send(Message::Ping(Default::default())).await?;
        Ok(true)
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum SessionError {
    #[error("socket: {0}")]
    Socket(#[from] axum::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the client left")]
    Gone,
}

impl From<sqlx::Error> for SessionError {
    fn from(e: sqlx::Error) -> SessionError {
        SessionError::Store(StoreError::Db(e))
    }
}

pub(super) async fn send(
    socket: &mut WebSocket,
    frame: &impl serde::Serialize,
) -> Result<(), SessionError> {
    let text = serde_json::to_string(frame).expect("frames always serialize");
    socket.send(Message::Text(text.into())).await?;
    Ok(())
}

/// What a client is told when the store fails under it; the cause is only in the log.
pub(super) const STORE_FAILED: &str =
    "the server could not store or read this conversation: reconnect to try again";

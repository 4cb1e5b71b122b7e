//! `GET /sites/{site}/chat`: the visitor's WebSocket. The upgrade is refused unless `Origin`
//! is one of the site's allowed origins (axum does not check it). The first frame must be a
//! hello of our protocol version; a valid token continues that conversation, none starts a
//! new one. Every message is acknowledged only after its commit; the connection then sends
//! each committed event it has not sent yet, read from the store, so nothing is skipped.

use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::http::header::ORIGIN;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use ito_protocol::chat::{
    Author, CHAT_VERSION, ConversationId, ConversationStatus, ErrorCode, EventKind, MAX_TEXT_BYTES,
    Seq, ServerToVisitor, VisitorIdentity, VisitorToServer,
};
use ito_protocol::embed::Visitor;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::session::from_own_page;
use super::{AppState, HttpError};
use crate::config::SiteConfig;
use crate::dispatch::{self, now_millis};
use crate::events::{self, StoreError};
use crate::hub::Notice;
use crate::limits::{Limits, RateLimit};
use crate::surveys::{self, SurveyError};

/// Frames larger than this are cut off by the socket itself; text over [`MAX_TEXT_BYTES`] but
/// under this gets a `too_large` error and the connection stays open.
const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// A visitor socket's read and write buffers to start with.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;
/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Events sent per store read when catching up.
const REPLAY_BATCH: u32 = 500;

pub async fn visitor_socket(
    State(state): State<AppState>,
    Path(site): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, HttpError> {
    let site = state.config.site(&site).ok_or(HttpError::UnknownSite)?;
    if !origin_allowed(site, &headers) {
        return Err(HttpError::Forbidden("this origin may not open the chat"));
    }
    let slot = state
        .connections
        .take(
            peer.ip(),
            state.config.server.limits.connections_per_address,
        )
        .ok_or(HttpError::TooMany(
            "too many chat connections from this address",
        ))?;
    let site = site.id.as_str().to_owned();
    Ok(upgrade
        .max_message_size(MAX_FRAME_BYTES)
        // Small buffers (they grow when a frame needs it): thousands of mostly idle visitors
        // must not cost the default 128 KiB each.
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            if let Err(e) = Session::run(state, site, socket).await {
                tracing::debug!(error = %e, "visitor connection ended");
            }
            drop(slot);
        }))
}

/// Whether the request's `Origin` is one the site allows; `'self'` is this server's own.
fn origin_allowed(site: &SiteConfig, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    site.allowed_origins.iter().any(|allowed| {
        let allowed = allowed.csp_source();
        if allowed == "'self'" {
            return from_own_page(headers);
        }
        match allowed.split_once("://*.") {
            Some((scheme, domain)) => origin
                .strip_prefix(&format!("{scheme}://"))
                .is_some_and(|rest| rest.ends_with(&format!(".{domain}"))),
            None => origin.eq_ignore_ascii_case(allowed),
        }
    })
}

/// The next notice of a queue being listened to; pending forever when there is none.
async fn next_move(queue: &mut Option<broadcast::Receiver<()>>) -> Option<Result<(), RecvError>> {
    match queue {
        Some(queue) => Some(queue.recv().await),
        None => std::future::pending().await,
    }
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

/// Longest visitor id, name or email kept: enough for any real one, too little to flood.
const MAX_IDENTITY_CHARS: usize = 256;

/// The store failing under a survey is the store failing; anything else cannot happen for the
/// session's own conversation.
fn survey_store_error(e: SurveyError) -> SessionError {
    match e {
        SurveyError::Db(e) => StoreError::Db(e).into(),
        other => StoreError::NotStored(other.to_string()).into(),
    }
}

/// A name or email as kept: trimmed, at most [`MAX_IDENTITY_CHARS`], `None` when blank.
fn clip(value: Option<String>) -> Option<String> {
    value
        .map(|v| {
            v.trim()
                .chars()
                .take(MAX_IDENTITY_CHARS)
                .collect::<String>()
        })
        .filter(|v| !v.is_empty())
}

/// Who the host page says the visitor is, verified against the site's secret. An empty or
/// oversized id says nothing.
fn identity(state: &AppState, site: &str, visitor: Visitor) -> Option<VisitorIdentity> {
    let id = visitor.id.trim();
    if id.is_empty() || id.chars().count() > MAX_IDENTITY_CHARS {
        return None;
    }
    let verified = state
        .config
        .site(site)
        .and_then(|s| s.identity_secret.as_ref())
        .zip(visitor.signature.as_deref())
        .is_some_and(|(secret, signature)| secret.verify(id, signature));
    Some(VisitorIdentity {
        id: Some(id.to_owned()),
        name: clip(visitor.name),
        email: clip(visitor.email),
        verified,
    })
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

struct Session {
    state: AppState,
    site: String,
    /// The queue place, expected wait and whether nobody is online, as last told.
    place: Option<(u32, Option<u32>, bool)>,
    /// Whether the conversation is in the queue, as its events say: only then does a moving
    /// queue concern this connection (most visitors never wait, and a queue moves often).
    in_queue: bool,
    socket: WebSocket,
    limit: RateLimit,
    conversation: ConversationId,
    /// The newest event this connection has sent.
    sent: Seq,
}

pub(super) async fn send(
    socket: &mut WebSocket,
    frame: &impl serde::Serialize,
) -> Result<(), SessionError> {
    let text = serde_json::to_string(frame).expect("frames always serialize");
    socket.send(Message::Text(text.into())).await?;
    Ok(())
}

async fn refuse(mut socket: WebSocket, code: ErrorCode, message: &str) -> Result<(), SessionError> {
    let frame = ServerToVisitor::Error {
        code,
        message: message.to_owned(),
    };
    send(&mut socket, &frame).await?;
    let _ = socket.close().await;
    Ok(())
}

impl Session {
    async fn run(state: AppState, site: String, mut socket: WebSocket) -> Result<(), SessionError> {
        let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                serde_json::from_str::<VisitorToServer>(&text).ok()
            }
            Ok(Some(Ok(_))) => None,
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) | Err(_) => return Err(SessionError::Gone),
        };
        let Some(VisitorToServer::Hello {
            version: CHAT_VERSION,
            token,
            last_seq,
            visitor,
        }) = hello
        else {
            let message = format!("say hello first, with version {CHAT_VERSION}");
            return refuse(socket, ErrorCode::Version, &message).await;
        };
        let identity = visitor.and_then(|v| identity(&state, &site, v));
        // A verified visitor on a new device continues their newest conversation.
        let verified_id = identity
            .as_ref()
            .filter(|i| i.verified)
            .and_then(|i| i.id.clone());
        let conversation = match token {
            Some(token) => match state.tokens.verify(&token, now_millis() / 1000) {
                Ok(conversation)
                    if events::site_of(&state.db, &conversation).await?.as_deref()
                        == Some(site.as_str()) =>
                {
                    conversation
                }
                Ok(_) => {
                    return refuse(
                        socket,
                        ErrorCode::Unauthorized,
                        "this token is for another site",
                    )
                    .await;
                }
                Err(e) => return refuse(socket, ErrorCode::Unauthorized, &e.to_string()).await,
            },
            None => match verified_id {
                Some(id) => match events::latest_of_verified(&state.db, &site, &id).await? {
                    Some(conversation) => conversation,
                    None => events::start_conversation(&state.db, &site).await?.1,
                },
                None => events::start_conversation(&state.db, &site).await?.1,
            },
        };
        if let Some(identity) = &identity {
            events::identify(&state.db, &conversation, identity).await?;
        }
        let limits = state.config.server.limits.clone();
        let Some(slot) = state
            .visitor_connections
            .take(conversation.clone(), limits.connections_per_visitor)
        else {
            let message = format!(
                "this conversation already has {} connections open: close a tab",
                limits.connections_per_visitor
            );
            return refuse(socket, ErrorCode::TooManyConnections, &message).await;
        };
        let token = state.tokens.sign(&conversation, now_millis() / 1000);
        let welcome = ServerToVisitor::Welcome {
            version: CHAT_VERSION,
            conversation: conversation.clone(),
            token,
        };
        send(&mut socket, &welcome).await?;
        let mut session = Session {
            state,
            site,
            place: None,
            in_queue: false,
            socket,
            limit: limits.visitor_rate(Instant::now()),
            conversation,
            sent: last_seq,
        };
        let served = session.serve(&limits).await;
        drop(slot);
        served
    }

    async fn serve(&mut self, limits: &Limits) -> Result<(), SessionError> {
        let mut committed = self.state.hub.subscribe(&self.conversation);
        // Only a waiting conversation listens to its queue: thousands of visitors who never
        // wait must not all wake each time someone is handed off.
        let mut queue: Option<broadcast::Receiver<()>> = None;
        let mut heartbeat = Heartbeat::new(limits);
        let (status, _) = events::status_of(&self.state.db, &self.conversation).await?;
        self.in_queue = status == ConversationStatus::Waiting;
        self.catch_up().await?;
        self.tell_place().await?;
        loop {
            match (self.in_queue, queue.is_some()) {
                (true, false) => queue = Some(self.state.hub.watch_queue(&self.site)),
                (false, true) => queue = None,
                _ => {}
            }
            tokio::select! {
                _ = heartbeat.tick() => {
                    if !heartbeat.beat(&mut self.socket).await? {
                        self.error(ErrorCode::Idle, IDLE_MESSAGE).await?;
                        goodbye(&mut self.socket).await;
                        return Ok(());
                    }
                }
                Some(moved) = next_move(&mut queue) => match moved {
                    Ok(()) | Err(RecvError::Lagged(_)) => self.tell_place().await?,
                    Err(RecvError::Closed) => queue = None,
                },
                frame = self.socket.next() => match heartbeat.heard(frame) {
                    Some(Ok(Message::Text(text))) => self.on_frame(&text).await?,
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                },
                notice = committed.recv() => match notice {
                    Ok(Notice::Typing { by_agent: true, typing }) => {
                        send(&mut self.socket, &ServerToVisitor::Typing { typing }).await?;
                    }
                    Ok(Notice::Typing { .. }) => {}
                    Ok(Notice::Committed(_)) | Err(RecvError::Lagged(_)) => self.catch_up().await?,
                    Err(RecvError::Closed) => return Ok(()),
                },
            }
        }
    }

    /// Tells a waiting visitor their place in the queue and expected wait, when they changed.
    async fn tell_place(&mut self) -> Result<(), SessionError> {
        if !self.in_queue {
            self.place = None;
            return Ok(());
        }
        let place = match events::queue_position(&self.state.db, &self.conversation).await? {
            Some(position) => Some((
                position,
                dispatch::expected_wait(&self.state, &self.site, position).await?,
                self.state.presence.online_agents() == 0,
            )),
            None => None,
        };
        if place == self.place {
            return Ok(());
        }
        self.place = place;
        match place {
            Some((position, expected_wait_secs, nobody_online)) => {
                let frame = ServerToVisitor::Queue {
                    position,
                    expected_wait_secs,
                    nobody_online,
                };
                send(&mut self.socket, &frame).await
            }
            None => Ok(()),
        }
    }

    /// Sends every committed event after the last one sent; a conversation that just joined
    /// the queue is told its place.
    async fn catch_up(&mut self) -> Result<(), SessionError> {
        let was_in_queue = self.in_queue;
        self.send_missed().await?;
        if self.in_queue && !was_in_queue {
            self.tell_place().await?;
        }
        Ok(())
    }

    async fn send_missed(&mut self) -> Result<(), SessionError> {
        loop {
            let batch =
                events::events_after(&self.state.db, &self.conversation, self.sent, REPLAY_BATCH)
                    .await?;
            let full = batch.len() == REPLAY_BATCH as usize;
            for event in batch {
                self.sent = event.seq;
                match event.kind {
                    EventKind::HandoffRequested { .. } => self.in_queue = true,
                    EventKind::AgentJoined { .. } | EventKind::Resolved | EventKind::Ended => {
                        self.in_queue = false
                    }
                    _ => {}
                }
                send(&mut self.socket, &ServerToVisitor::Event(event)).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn error(&mut self, code: ErrorCode, message: &str) -> Result<(), SessionError> {
        let frame = ServerToVisitor::Error {
            code,
            message: message.to_owned(),
        };
        send(&mut self.socket, &frame).await
    }

    async fn append(&mut self, kind: EventKind) -> Result<events::Appended, SessionError> {
        Ok(dispatch::append(&self.state, &self.conversation, kind).await?)
    }

    async fn on_frame(&mut self, text: &str) -> Result<(), SessionError> {
        let frame = match serde_json::from_str::<VisitorToServer>(text) {
            Ok(frame) => frame,
            Err(e) => return self.error(ErrorCode::Malformed, &e.to_string()).await,
        };
        match frame {
            VisitorToServer::Send { id, text } => {
                if let Err(wait) = self.limit.take(Instant::now()) {
                    let message = format!(
                        "too many messages: wait {} ms, then send {id} again",
                        wait.as_millis()
                    );
                    return self.error(ErrorCode::RateLimited, &message).await;
                }
                if text.len() > MAX_TEXT_BYTES {
                    let message = format!("a message may have at most {MAX_TEXT_BYTES} bytes");
                    return self.error(ErrorCode::TooLarge, &message).await;
                }
                if text.trim().is_empty() {
                    return self
                        .error(ErrorCode::Malformed, "the message is empty")
                        .await;
                }
                let kind = EventKind::Message {
                    id: id.clone(),
                    author: Author::Visitor,
                    text,
                };
                let appended = self.append(kind).await?;
                // Only now, with the message durable, is it acknowledged.
                send(
                    &mut self.socket,
                    &ServerToVisitor::Ack {
                        id,
                        seq: appended.seq,
                    },
                )
                .await
            }
            VisitorToServer::Handoff {
                reason,
                mut context,
            } => {
                context.name = clip(context.name.take());
                context.email = clip(context.email.take());
                events::remember_contact(
                    &self.state.db,
                    &self.conversation,
                    context.name.as_deref(),
                    context.email.as_deref(),
                )
                .await?;
                events::request_handoff(&self.state.db, &self.conversation, reason, &context)
                    .await?;
                self.state.hub.queue_changed(&self.site);
                self.append(EventKind::HandoffRequested { reason }).await?;
                dispatch::assign_waiting(&self.state).await?;
                Ok(())
            }
            VisitorToServer::End => {
                dispatch::close(&self.state, &self.conversation, ConversationStatus::Ended).await?;
                Ok(())
            }
            VisitorToServer::Read { up_to } => {
                self.append(EventKind::Read {
                    by_agent: false,
                    up_to,
                })
                .await?;
                Ok(())
            }
            VisitorToServer::Solved => {
                surveys::bot_resolved(&self.state.db, &self.conversation)
                    .await
                    .map_err(survey_store_error)?;
                Ok(())
            }
            VisitorToServer::Survey { csat, ces, comment } => {
                let answer = surveys::Answer { csat, ces, comment };
                match surveys::record(&self.state.db, &self.conversation, answer).await {
                    Ok(()) => send(&mut self.socket, &ServerToVisitor::SurveyStored).await,
                    Err(SurveyError::Db(e)) => Err(StoreError::Db(e).into()),
                    Err(refused) => {
                        self.error(ErrorCode::SurveyRefused, &refused.to_string())
                            .await
                    }
                }
            }
            VisitorToServer::Ping => send(&mut self.socket, &ServerToVisitor::Pong).await,
            VisitorToServer::Typing { typing } => {
                self.state.hub.typing(&self.conversation, false, typing);
                Ok(())
            }
            VisitorToServer::Hello { .. } => {
                self.error(ErrorCode::Malformed, "hello was already said")
                    .await
            }
        }
    }
}

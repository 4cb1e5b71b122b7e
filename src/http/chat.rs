//! `GET /sites/{site}/chat`: the visitor's WebSocket. The upgrade is refused unless `Origin`
//! is one of the site's allowed origins (axum does not check it). The first frame must be a
//! hello of our protocol version; a valid token continues that conversation; without one, a
//! new conversation starts with the visitor's first words (`start`, a message, a handoff),
//! never with the hello alone. Every message is acknowledged only after its commit; the connection then sends
//! each committed event it has not sent yet, read from the store, so nothing is skipped.

use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::http::header::ORIGIN;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use ito_protocol::Locale;
use ito_protocol::chat::{
    Author, CHAT_VERSION, ConversationId, ConversationStatus, ErrorCode, EventKind, HandoffContext,
    HandoffReason, MAX_TEXT_BYTES, Seq, ServerToVisitor, VisitorIdentity, VisitorToServer,
};
use ito_protocol::embed::Visitor;
use tokio::sync::broadcast::error::RecvError;

use super::HttpError;
use super::session::is_own_origin;
use super::socket::{
    Heartbeat, IDLE_MESSAGE, REPLAY_BATCH, STORE_FAILED, SessionError, bounded, goodbye,
    parse_frame, send,
};
use crate::live::dispatch::{self, now_millis};
use crate::live::handoff;
use crate::live::hub::{Listener, Notice};
use crate::live::limits::{Action, Limits};
use crate::mail::follow_up::{self, FollowUpError};
use crate::site::config::{ServerConfig, SiteConfig};
use crate::state::AppState;
use crate::store::events::{self, StatusChange, StoreError};
use crate::store::learning;
use crate::store::surveys::{self, SurveyError};

type QueueListener = Listener<String, ()>;

/// Frames larger than this are cut off by the socket itself; text over [`MAX_TEXT_BYTES`] but
/// under this gets a `too_large` error and the connection stays open.
pub(super) const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn visitor_socket(
    State(state): State<AppState>,
    Path(site): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, HttpError> {
    let site = state.config.site(&site).ok_or(HttpError::UnknownSite)?;
    if !origin_allowed(&state.config.server, site, &headers) {
        return Err(HttpError::Forbidden("this origin may not open the chat"));
    }
    let address = super::client_address(&state.config.server, peer, &headers);
    let slot = state
        .connections
        .take(address, state.config.server.limits.connections_per_address)
        .ok_or(HttpError::TooMany(
            "too many chat connections from this address",
        ))?;
    let site = site.id.as_str().to_owned();
    Ok(
        bounded(upgrade, MAX_FRAME_BYTES).on_upgrade(move |socket| async move {
            if let Err(e) = Session::run(state, site, address, socket).await {
                tracing::debug!(error = %e, "visitor connection ended");
            }
            drop(slot);
        }),
    )
}

/// Whether the request's `Origin` is one the site allows; `'self'` is this server's own.
fn origin_allowed(server: &ServerConfig, site: &SiteConfig, headers: &HeaderMap) -> bool {
    headers
        .get(ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|origin| site_allows(server, site, headers, origin))
}

/// Whether `origin` is one the site allows: listed, under a listed `*.` domain, or this
/// server's own for `'self'`.
pub(super) fn site_allows(
    server: &ServerConfig,
    site: &SiteConfig,
    headers: &HeaderMap,
    origin: &str,
) -> bool {
    site.allowed_origins.iter().any(|allowed| {
        let allowed = allowed.csp_source();
        if allowed == "'self'" {
            return is_own_origin(server, headers, origin);
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
async fn next_move(queue: &mut Option<QueueListener>) -> Option<Result<(), RecvError>> {
    match queue {
        Some(queue) => Some(queue.recv().await),
        None => std::future::pending().await,
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

/// A name or email as kept: without deceptive characters, trimmed, at most
/// [`MAX_IDENTITY_CHARS`], `None` when blank.
fn clip(value: Option<String>) -> Option<String> {
    value
        .map(|v| {
            crate::live::names::cleaned(v.trim())
                .trim()
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
        .is_some_and(|(secret, signature)| {
            secret.verify_at(id, visitor.expires, signature, now_millis() / 1000)
        });
    Some(VisitorIdentity {
        id: Some(id.to_owned()),
        name: clip(visitor.name),
        email: clip(visitor.email),
        verified,
    })
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
    conversation: ConversationId,
    /// The newest event this connection has sent.
    sent: Seq,
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

/// The conversation a hello continues (`None`: none yet, the visitor is new), or the refusal
/// to send.
async fn opening(
    state: &AppState,
    site: &str,
    token: Option<String>,
    identity: Option<&VisitorIdentity>,
) -> Result<Result<Option<ConversationId>, (ErrorCode, String)>, StoreError> {
    // A verified visitor on a new device continues their newest conversation.
    let verified_id = identity.filter(|i| i.verified).and_then(|i| i.id.clone());
    // A token that cannot continue anything gets its own code, so the widget knows to start
    // afresh rather than retry the same token forever.
    let stale = |why: String| {
        Ok(Err((
            ErrorCode::StaleToken,
            format!("{why}: start a new conversation"),
        )))
    };
    let continued = match token {
        Some(token) => match state.tokens.verify(&token, now_millis() / 1000) {
            Ok(conversation) => match events::site_of(&state.db, &conversation).await? {
                Some(of) if of == site => Some(conversation),
                Some(_) => return stale("this token is for another site".to_owned()),
                None => return stale("this token's conversation is not on this server".to_owned()),
            },
            // Forged is what a token from before the database was recreated looks like.
            Err(e) => return stale(e.to_string()),
        },
        None => None,
    };
    // On a shared device, someone else signed in: the stored conversation is not theirs.
    let continued = match (continued, &verified_id) {
        (Some(conversation), Some(id)) => {
            let owner = events::visitor_of(&state.db, &conversation)
                .await?
                .filter(|v| v.verified)
                .and_then(|v| v.id);
            owner
                .is_none_or(|owner| &owner == id)
                .then_some(conversation)
        }
        (continued, _) => continued,
    };
    Ok(Ok(match (continued, verified_id) {
        (Some(conversation), _) => Some(conversation),
        (None, Some(id)) => events::latest_of_verified(&state.db, site, &id).await?,
        (None, None) => None,
    }))
}

/// A new conversation for a visitor who said their first words, within the address's limit.
async fn new_conversation(
    state: &AppState,
    site: &str,
    address: IpAddr,
) -> Result<Result<ConversationId, (ErrorCode, String)>, StoreError> {
    let limits = &state.config.server.limits;
    let now = Instant::now();
    if let Err(wait) = state
        .new_conversations
        .take(address, || limits.new_conversations(now), now)
    {
        let refusal = format!(
            "too many new conversations from this address: try again in {}",
            crate::live::limits::in_words(wait)
        );
        return Ok(Err((ErrorCode::RateLimited, refusal)));
    }
    Ok(Ok(events::start_conversation(&state.db, site).await?.1))
}

/// Waits for a new visitor's first words: `start` (they asked the bot something), or a frame
/// that needs a conversation, returned to be handled once there is one. `None` when they
/// leave, or say nothing within [`HELLO_TIMEOUT`] of their last frame: a hello alone, as a
/// script floods with, creates nothing.
async fn first_words(socket: &mut WebSocket) -> Result<Option<Option<String>>, SessionError> {
    loop {
        let text = match tokio::time::timeout(HELLO_TIMEOUT, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Err(_) => return Ok(None),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(e.into()),
        };
        match parse_frame::<VisitorToServer>(&text) {
            Ok(VisitorToServer::Start) => return Ok(Some(None)),
            Ok(
                VisitorToServer::Send { .. }
                | VisitorToServer::Handoff { .. }
                | VisitorToServer::Solved
                | VisitorToServer::Survey { .. },
            ) => return Ok(Some(Some(text.to_string()))),
            Ok(VisitorToServer::Ping) => send(socket, &ServerToVisitor::Pong).await?,
            Ok(VisitorToServer::End) => return Ok(None),
            // Typing, read receipts, a second hello: nothing to keep before a conversation.
            Ok(_) => {}
            Err(e) => {
                let frame = ServerToVisitor::Error {
                    code: ErrorCode::Malformed,
                    message: e.to_string(),
                };
                send(socket, &frame).await?;
            }
        }
    }
}

/// The store failed under a visitor: the cause goes to the log, the visitor gets an
/// `internal` error frame (nothing unacknowledged is lost: their widget resends it after
/// reconnecting) and the connection is closed.
async fn store_failed(mut socket: WebSocket, e: StoreError) -> Result<(), SessionError> {
    tracing::error!(cause = %e, "a visitor connection failed: the store did not answer");
    let frame = ServerToVisitor::Error {
        code: ErrorCode::Internal,
        message: STORE_FAILED.to_owned(),
    };
    send(&mut socket, &frame).await?;
    goodbye(&mut socket).await;
    Ok(())
}

impl Session {
    async fn run(
        state: AppState,
        site: String,
        address: IpAddr,
        mut socket: WebSocket,
    ) -> Result<(), SessionError> {
        let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => parse_frame::<VisitorToServer>(&text).ok(),
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
        let known = match opening(&state, &site, token, identity.as_ref()).await {
            Ok(Ok(known)) => known,
            Ok(Err((code, message))) => return refuse(socket, code, &message).await,
            Err(e) => return store_failed(socket, e).await,
        };
        // A visitor the site vouches for may start one at once (the widget connects to show
        // their history on any device); anyone else's starts with their first words.
        let vouched = identity.as_ref().is_some_and(|i| i.verified);
        let (conversation, first_frame) = match known {
            Some(conversation) => (conversation, None),
            None => {
                let first_frame = if vouched {
                    None
                } else {
                    match first_words(&mut socket).await? {
                        Some(first_frame) => first_frame,
                        None => return Ok(()),
                    }
                };
                match new_conversation(&state, &site, address).await {
                    Ok(Ok(conversation)) => (conversation, first_frame),
                    Ok(Err((code, message))) => return refuse(socket, code, &message).await,
                    Err(e) => return store_failed(socket, e).await,
                }
            }
        };
        if let Some(identity) = &identity
            && let Err(e) = events::identify(&state.db, &conversation, identity).await
        {
            return store_failed(socket, e).await;
        }
        let limits = state.config.server.limits.clone();
        let Some(slot) = crate::live::visitors::open(&state, &conversation).await? else {
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
            conversation,
            sent: last_seq,
        };
        let served = match first_frame {
            Some(text) => match session.on_frame(&text).await {
                Ok(()) => session.serve(&limits).await,
                failed => failed,
            },
            None => session.serve(&limits).await,
        };
        drop(slot);
        match served {
            Err(SessionError::Store(e)) => store_failed(session.socket, e).await,
            other => other,
        }
    }

    async fn serve(&mut self, limits: &Limits) -> Result<(), SessionError> {
        let mut committed = self.state.hub.subscribe(&self.conversation);
        // Only a waiting conversation listens to its queue: thousands of visitors who never
        // wait must not all wake each time someone is handed off.
        let mut queue: Option<QueueListener> = None;
        let mut heartbeat = Heartbeat::new(limits);
        let (status, _) = events::status_of(&self.state.db, &self.conversation).await?;
        self.in_queue = status == ConversationStatus::Waiting;
        self.catch_up(0).await?;
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
                    Ok(Notice::Committed(seq)) => self.catch_up(seq).await?,
                    Err(RecvError::Lagged(_)) => self.catch_up(0).await?,
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
        let place = dispatch::place_in_queue(&self.state, &self.site, &self.conversation)
            .await?
            .map(|(position, wait)| (position, wait, self.state.presence.online_agents() == 0));
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
    /// Sends what this connection has not sent yet, woken by the commit of `heard` (0: read
    /// everything again from the store).
    async fn catch_up(&mut self, heard: Seq) -> Result<(), SessionError> {
        let was_in_queue = self.in_queue;
        self.send_missed(heard).await?;
        if self.in_queue && !was_in_queue {
            self.tell_place().await?;
        }
        Ok(())
    }

    async fn send_missed(&mut self, mut heard: Seq) -> Result<(), SessionError> {
        loop {
            let batch = dispatch::missed(
                &self.state,
                &self.conversation,
                self.sent,
                std::mem::take(&mut heard),
                REPLAY_BATCH,
            )
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
                // Agents' private notes never leave the server towards a visitor.
                if event.kind.for_visitor() {
                    send(&mut self.socket, &ServerToVisitor::Event(event)).await?;
                }
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

    /// Takes one `action` from this visitor's budget (shared by all their connections).
    fn allowed(&self, action: Action) -> Result<(), Duration> {
        let limits = &self.state.config.server.limits;
        let now = Instant::now();
        self.state.visitor_buckets.take(
            (self.conversation.clone(), action),
            || limits.bucket(action, now),
            now,
        )
    }

    /// Puts the conversation in the queue with the context checked, and the event telling of
    /// it, in one transaction; a request while it already waits or has an agent stores nothing
    /// (the widget resends its request after every reconnect until it sees that event).
    async fn hand_off(
        &mut self,
        reason: HandoffReason,
        context: HandoffContext,
    ) -> Result<(), SessionError> {
        let bases = self.state.bases.current();
        let locale = context.locale;
        let (mut context, changed) =
            handoff::checked(context, |id| bases.article_title(&self.site, locale, id));
        if !changed.is_empty() {
            tracing::warn!(conversation = %self.conversation, ?changed, "a handoff context was not as the widget writes it");
        }
        context.name = clip(context.name.take());
        context.email = clip(context.email.take());
        events::remember_contact(
            &self.state.db,
            &self.conversation,
            context.name.as_deref(),
            context.email.as_deref(),
        )
        .await?;
        let change = StatusChange::handoff(reason, &context);
        let requested = EventKind::HandoffRequested { reason };
        if dispatch::change(&self.state, &self.conversation, change, requested)
            .await?
            .is_some()
        {
            dispatch::site_queue_moved(&self.state, &self.site);
            dispatch::assign_waiting(&self.state).await?;
            // Only a measure: a failure here is logged, the handoff stands.
            if let Err(e) = learning::mark_handed_off(&self.state.db, &self.conversation).await {
                tracing::warn!(cause = %e, conversation = %self.conversation, "the reply before a handoff could not be marked");
            }
        }
        Ok(())
    }

    /// Keeps what the bot did with a question, if the report is one the widget could write:
    /// a language the site has, a question within the message limit, an article of the base.
    async fn record_turn(
        &mut self,
        line: u32,
        locale: Locale,
        question: &str,
        article: Option<&str>,
        unsure: bool,
    ) -> Result<(), SessionError> {
        let question = question.trim();
        let bases = self.state.bases.current();
        let site = self.state.config.site(&self.site);
        let served = site.and_then(|site| bases.served_locale(site, locale));
        let refusal = match served {
            _ if question.is_empty() => Some((
                ErrorCode::Malformed,
                "a bot reply report needs its question".to_owned(),
            )),
            _ if question
                .chars()
                .any(|c| c.is_control() && !c.is_whitespace()) =>
            {
                Some((
                    ErrorCode::Malformed,
                    "a question has no control characters".to_owned(),
                ))
            }
            _ if question.len() > MAX_TEXT_BYTES => Some((
                ErrorCode::TooLarge,
                format!("a question may have at most {MAX_TEXT_BYTES} bytes"),
            )),
            None => Some((
                ErrorCode::Malformed,
                "this site has no knowledge base".to_owned(),
            )),
            Some(served) => article
                .filter(|id| !bases.has_article(&self.site, served, id))
                .map(|id| {
                    (
                        ErrorCode::Malformed,
                        format!("the base has no article {id:?}"),
                    )
                }),
        };
        if let Some((code, message)) = refusal {
            return self.error(code, &message).await;
        }
        let outcome = match (article, unsure) {
            (Some(_), _) => learning::Outcome::Answered,
            (None, true) => learning::Outcome::Unsure,
            (None, false) => learning::Outcome::Suggested,
        };
        // A site that keeps no questions still counts how its articles did.
        let keep = site.is_some_and(|site| site.keep_bot_questions);
        let turn = learning::Turn {
            line,
            locale: served.unwrap_or(locale),
            question: if keep { question } else { "" },
            article,
            outcome,
        };
        // A measure, not a message: a store failure is logged and the chat goes on.
        if let Err(e) =
            learning::record_turn(&self.state.db, &self.conversation, &self.site, &turn).await
        {
            tracing::warn!(cause = %e, conversation = %self.conversation, "a bot reply report could not be kept");
        }
        Ok(())
    }

    /// Keeps the visitor's address for mail (replies they miss go to it) and, if asked, mails
    /// them the conversation.
    async fn keep_email(&mut self, address: &str, transcript: bool) -> Result<(), SessionError> {
        if self.state.config.server.smtp.is_none() {
            return self
                .error(ErrorCode::EmailRefused, "this site sends no mail")
                .await;
        }
        if !follow_up::valid_address(address) {
            let message = format!("{address:?} is not an email address such as name@example.com");
            return self.error(ErrorCode::EmailRefused, &message).await;
        }
        events::set_email(&self.state.db, &self.conversation, address).await?;
        if transcript {
            match follow_up::send_transcript(&self.state, &self.conversation, address).await {
                Ok(()) => {}
                Err(FollowUpError::Store(e)) => return Err(e.into()),
                Err(refused) => {
                    return self
                        .error(ErrorCode::EmailRefused, &refused.to_string())
                        .await;
                }
            }
        }
        send(&mut self.socket, &ServerToVisitor::EmailKept { transcript }).await
    }

    async fn on_frame(&mut self, text: &str) -> Result<(), SessionError> {
        let frame = match parse_frame::<VisitorToServer>(text) {
            Ok(frame) => frame,
            Err(e) => return self.error(ErrorCode::Malformed, &e).await,
        };
        let action = match &frame {
            VisitorToServer::Send { .. } => Some(Action::Message),
            VisitorToServer::Typing { .. } => Some(Action::Typing),
            VisitorToServer::Read { .. } => Some(Action::Read),
            VisitorToServer::Handoff { .. } => Some(Action::Handoff),
            VisitorToServer::Survey { .. }
            | VisitorToServer::Solved
            | VisitorToServer::Email { .. } => Some(Action::Survey),
            VisitorToServer::BotReplied { .. } | VisitorToServer::Rated { .. } => {
                Some(Action::Report)
            }
            VisitorToServer::End
            | VisitorToServer::Ping
            | VisitorToServer::Start
            | VisitorToServer::Hello { .. } => None,
        };
        if let Some(action) = action
            && let Err(wait) = self.allowed(action)
        {
            // Typing is only a hint: an excess is dropped without an error per keystroke.
            if action == Action::Typing {
                return Ok(());
            }
            let message = match &frame {
                VisitorToServer::Send { id, .. } => format!(
                    "too many messages: wait {} ms, then send {id} again",
                    wait.as_millis()
                ),
                _ => format!(
                    "too many of these too fast: try again in {}",
                    crate::live::limits::in_words(wait)
                ),
            };
            return self.error(ErrorCode::RateLimited, &message).await;
        }
        match frame {
            VisitorToServer::Send { id, text } => {
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
            VisitorToServer::Handoff { reason, context } => self.hand_off(reason, *context).await,
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
            VisitorToServer::BotReplied {
                line,
                locale,
                question,
                article,
                unsure,
            } => {
                self.record_turn(line, locale, &question, article.as_deref(), unsure)
                    .await
            }
            VisitorToServer::Rated { line, helpful } => {
                if let Err(e) =
                    learning::rate_turn(&self.state.db, &self.conversation, line, helpful).await
                {
                    tracing::warn!(cause = %e, conversation = %self.conversation, "a verdict could not be kept");
                }
                Ok(())
            }
            VisitorToServer::Email {
                address,
                transcript,
            } => self.keep_email(address.trim(), transcript).await,
            VisitorToServer::Ping => send(&mut self.socket, &ServerToVisitor::Pong).await,
            // The conversation exists already: nothing more to start.
            VisitorToServer::Start => Ok(()),
            VisitorToServer::Typing { typing } => {
                dispatch::typing(&self.state, &self.conversation, false, typing);
                Ok(())
            }
            VisitorToServer::Hello { .. } => {
                self.error(ErrorCode::Malformed, "hello was already said")
                    .await
            }
        }
    }
}

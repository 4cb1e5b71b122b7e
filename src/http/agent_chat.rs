//! `GET /api/v1/agent/socket`: an agent's WebSocket, for a signed-in agent on this server's own
//! pages. Every frame names a conversation and is checked against it: an agent may open and
//! read any conversation, claims waiting ones (one statement decides, so one of two
//! simultaneous claims wins), and may write in and resolve only those assigned to them.
//! The connection is the agent's presence: online or away as the console says, gone with it.

use std::collections::HashMap;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;
use ito_protocol::chat::{
    AgentRef, AgentToServer, Author, CHAT_VERSION, ClientId, ConversationId, ConversationStatus,
    ErrorCode, EventKind, MAX_TEXT_BYTES, Seq, ServerToAgent,
};
use tokio::sync::mpsc;

use super::HttpError;
use super::session::{current_agent, from_own_page, session_token};
use super::socket::{
    Heartbeat, IDLE_MESSAGE, REPLAY_BATCH, STORE_FAILED, SessionError, bounded, goodbye,
    parse_frame, send,
};
use crate::live::dispatch::{self, now_millis};
use crate::live::handoff;
use crate::live::hub::Notice;
use crate::live::learning;
use crate::live::presence::Seat;
use crate::mail::follow_up;
use crate::state::AppState;
use crate::store::agents::Agent;
use crate::store::agents::Role;
use crate::store::events::{self, Claim, StatusChange};
use crate::store::labels::{self, LabelError};

/// An agent's largest frame: a reply of [`MAX_TEXT_BYTES`] with its JSON around it (escapes
/// can double its length). Anything larger is refused before it is buffered.
const MAX_AGENT_FRAME_BYTES: usize = 2 * MAX_TEXT_BYTES + 1024;

/// How often an open socket checks that its session still holds: a revoked or removed agent's
/// console is closed within this.
const SESSION_CHECK: std::time::Duration = std::time::Duration::from_secs(1);
const SESSION_ENDED: &str = "your session has ended: sign in again";

/// How long an inbox waits for more queue moves before it is read and sent.
const INBOX_SETTLE: std::time::Duration = std::time::Duration::from_millis(100);

pub async fn agent_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, HttpError> {
    if !from_own_page(&state.config.server, &headers) {
        return Err(HttpError::Forbidden("the console must run on this server"));
    }
    let agent = current_agent(&state, &headers).await?;
    if agent.role == Role::Editor.as_str() {
        return Err(HttpError::Forbidden(
            "editors write articles: conversations are for agents",
        ));
    }
    let session = session_token(&headers)
        .expect("a current agent has a session")
        .to_owned();
    let upgrade = bounded(upgrade, MAX_AGENT_FRAME_BYTES);
    Ok(upgrade.on_upgrade(move |socket| async move {
        if let Err(e) = AgentSession::run(state, agent, session, socket).await {
            tracing::debug!(error = %e, "agent connection ended");
        }
    }))
}

struct AgentSession {
    state: AppState,
    agent: Agent,
    /// The session the socket was opened with, checked again every [`SESSION_CHECK`].
    session: String,
    socket: WebSocket,
    /// Per followed conversation, the newest event sent.
    sent: HashMap<ConversationId, Seq>,
    /// Notices of followed conversations, forwarded by one small task each.
    notices: mpsc::Sender<(ConversationId, Notice)>,
    followers: Vec<tokio::task::AbortHandle>,
    seat: Seat,
    /// Whether the welcome was sent: the first frame an agent gets.
    greeted: bool,
}

impl Drop for AgentSession {
    fn drop(&mut self) {
        self.followers
            .iter()
            .for_each(tokio::task::AbortHandle::abort);
    }
}

impl AgentSession {
    async fn run(
        state: AppState,
        agent: Agent,
        session: String,
        socket: WebSocket,
    ) -> Result<(), SessionError> {
        let (notices, mut incoming) = mpsc::channel(256);
        // Any site's queue moving means a new inbox for every agent.
        let (queue_moved, mut queues) = mpsc::channel::<()>(16);
        let mut followers = Vec::new();
        for site in &state.config.sites {
            let mut moved = state.hub.watch_queue(site.id.as_str());
            let queue_moved = queue_moved.clone();
            let task = tokio::spawn(async move {
                while let Ok(()) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) =
                    moved.recv().await
                {
                    // A full channel already holds a notice: the inbox will be fresh.
                    if let Err(mpsc::error::TrySendError::Closed(_)) = queue_moved.try_send(()) {
                        return;
                    }
                }
            });
            followers.push(task.abort_handle());
        }
        let seat = state.presence.sit(&agent.id);
        let mut session = AgentSession {
            state,
            agent,
            session,
            socket,
            sent: HashMap::new(),
            notices,
            followers,
            seat,
            greeted: false,
        };
        let mut ended = session.serve(&mut incoming, &mut queues).await;
        if let Err(SessionError::Store(e)) = &ended {
            tracing::error!(cause = %e, agent = %session.agent.id, "an agent connection failed: the store did not answer");
            ended = session.error(ErrorCode::Internal, STORE_FAILED).await;
            goodbye(&mut session.socket).await;
        }
        // Leaving takes the agent's presence with it: waiting visitors' expected waits change.
        let state = session.state.clone();
        drop(session);
        dispatch::all_queues_moved(&state);
        ended
    }

    async fn serve(
        &mut self,
        incoming: &mut mpsc::Receiver<(ConversationId, Notice)>,
        queues: &mut mpsc::Receiver<()>,
    ) -> Result<(), SessionError> {
        let mut heartbeat = Heartbeat::new(&self.state.config.server.limits);
        let mut session_check = tokio::time::interval(SESSION_CHECK);
        loop {
            tokio::select! {
                _ = session_check.tick() => {
                    if !self.session_still_valid().await? {
                        self.error(ErrorCode::Unauthorized, SESSION_ENDED).await?;
                        goodbye(&mut self.socket).await;
                        return Ok(());
                    }
                }
                _ = heartbeat.tick() => {
                    if !heartbeat.beat(&mut self.socket).await? {
                        self.error(ErrorCode::Idle, IDLE_MESSAGE).await?;
                        goodbye(&mut self.socket).await;
                        return Ok(());
                    }
                }
                frame = self.socket.next() => match heartbeat.heard(frame) {
                    Some(Ok(Message::Text(text))) => self.on_frame(&text).await?,
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                },
                Some((conversation, notice)) = incoming.recv() => match notice {
                    Notice::Committed(seq) => self.catch_up(&conversation, seq).await?,
                    Notice::Typing { by_agent: false, typing } => {
                        let frame = ServerToAgent::Typing { conversation, typing };
                        send(&mut self.socket, &frame).await?;
                    }
                    Notice::Typing { .. } => {}
                },
                Some(()) = queues.recv() => {
                    // Handoffs come in bursts: one inbox for all that moved meanwhile.
                    tokio::time::sleep(INBOX_SETTLE).await;
                    while queues.try_recv().is_ok() {}
                    // Nothing before the welcome: the hello's answer sends the inbox anyway.
                    if self.greeted {
                        self.send_inbox().await?
                    }
                }
            }
        }
    }

    /// Whether the socket's session still signs this agent in (not signed out, expired,
    /// revoked, or the agent removed).
    async fn session_still_valid(&mut self) -> Result<bool, SessionError> {
        let now = dispatch::now_millis() / 1000;
        let agent = crate::store::agents::session_agent(&self.state.db, &self.session, now)
            .await
            .map_err(events::StoreError::from)?;
        Ok(agent.is_some_and(|a| a.id == self.agent.id))
    }

    async fn send_inbox(&mut self) -> Result<(), SessionError> {
        let conversations = events::inbox(&self.state.db).await?;
        send(&mut self.socket, &ServerToAgent::Inbox { conversations }).await
    }

    async fn error(&mut self, code: ErrorCode, message: &str) -> Result<(), SessionError> {
        let frame = ServerToAgent::Error {
            code,
            message: message.to_owned(),
        };
        send(&mut self.socket, &frame).await
    }

    /// Starts forwarding a conversation's commits to this connection, from `after`.
    async fn follow(
        &mut self,
        conversation: &ConversationId,
        after: Seq,
    ) -> Result<(), SessionError> {
        if self.sent.insert(conversation.clone(), after).is_none() {
            // First time: one task forwards this conversation's commits from now on.
            let mut committed = self.state.hub.subscribe(conversation);
            let (notices, id) = (self.notices.clone(), conversation.clone());
            let task = tokio::spawn(async move {
                loop {
                    let notice = match committed.recv().await {
                        Ok(notice) => notice,
                        // Whatever was missed is in the store: catching up reads it.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            Notice::Committed(0)
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    };
                    if notices.send((id.clone(), notice)).await.is_err() {
                        return;
                    }
                }
            });
            self.followers.push(task.abort_handle());
        }
        self.catch_up(conversation, 0).await
    }

    /// Sends every stored event of `conversation` after the last one sent, however many;
    /// woken by the commit of `heard` (0: read everything again from the store).
    async fn catch_up(
        &mut self,
        conversation: &ConversationId,
        mut heard: Seq,
    ) -> Result<(), SessionError> {
        loop {
            let after = self.sent.get(conversation).copied().unwrap_or(0);
            let missed = dispatch::missed(
                &self.state,
                conversation,
                after,
                std::mem::take(&mut heard),
                REPLAY_BATCH,
            )
            .await?;
            let caught_up = missed.len() < REPLAY_BATCH as usize;
            for event in missed {
                self.sent.insert(conversation.clone(), event.seq);
                let frame = ServerToAgent::Event {
                    conversation: conversation.clone(),
                    event,
                };
                send(&mut self.socket, &frame).await?;
            }
            if caught_up {
                return Ok(());
            }
        }
    }

    /// Whether this agent may write in `conversation`; says why not otherwise.
    async fn owns(&mut self, conversation: &ConversationId) -> Result<bool, SessionError> {
        if events::assignee(&self.state.db, conversation)
            .await?
            .as_deref()
            == Some(&self.agent.id)
        {
            return Ok(true);
        }
        self.error(
            ErrorCode::Forbidden,
            "this conversation is not assigned to you",
        )
        .await?;
        Ok(false)
    }

    async fn append(
        &mut self,
        conversation: &ConversationId,
        kind: EventKind,
    ) -> Result<Seq, SessionError> {
        Ok(dispatch::append(&self.state, conversation, kind).await?.seq)
    }

    /// The site of `conversation`, or `None` after telling the agent there is no such one.
    async fn site_of(
        &mut self,
        conversation: &ConversationId,
    ) -> Result<Option<String>, SessionError> {
        let site = events::site_of(&self.state.db, conversation).await?;
        if site.is_none() {
            self.error(ErrorCode::Forbidden, "no such conversation")
                .await?;
        }
        Ok(site)
    }

    /// Tells the agent their message or note is stored as event `seq`.
    async fn ack(
        &mut self,
        conversation: ConversationId,
        id: ClientId,
        seq: Seq,
    ) -> Result<(), SessionError> {
        let frame = ServerToAgent::Ack {
            conversation,
            id,
            seq,
        };
        send(&mut self.socket, &frame).await
    }

    fn me(&self) -> AgentRef {
        AgentRef {
            id: self.agent.id.clone(),
            name: self.agent.name.clone(),
        }
    }

    /// Sends a conversation's context (summary, handoff context, earlier conversations), then
    /// its events from the start and as they come.
    async fn open(&mut self, conversation: &ConversationId) -> Result<(), SessionError> {
        let (status, agent) = match events::status_of(&self.state.db, conversation).await {
            Ok(found) => found,
            Err(events::StoreError::UnknownConversation(_)) => {
                return self
                    .error(ErrorCode::Forbidden, "no such conversation")
                    .await;
            }
            Err(e) => return Err(e.into()),
        };
        let handoff = events::handoff_of(&self.state.db, conversation).await?;
        let summary = handoff
            .as_ref()
            .map(|(reason, context)| handoff::summary(*reason, context))
            .unwrap_or_default();
        let (reason, context) = match handoff {
            Some((reason, context)) => (Some(reason), context),
            None => (None, Default::default()),
        };
        let frame = ServerToAgent::Context {
            conversation: conversation.clone(),
            status,
            agent,
            reason,
            summary,
            context: Box::new(context),
            earlier: events::earlier(&self.state.db, conversation).await?,
            visitor: events::visitor_of(&self.state.db, conversation).await?,
        };
        send(&mut self.socket, &frame).await?;
        self.follow(conversation, 0).await
    }

    async fn on_frame(&mut self, text: &str) -> Result<(), SessionError> {
        let frame = match parse_frame::<AgentToServer>(text) {
            Ok(frame) => frame,
            Err(e) => return self.error(ErrorCode::Malformed, &e).await,
        };
        match frame {
            AgentToServer::Hello {
                version: CHAT_VERSION,
            } => {
                let frame = ServerToAgent::Welcome {
                    version: CHAT_VERSION,
                    agent_id: self.agent.id.clone(),
                };
                send(&mut self.socket, &frame).await?;
                self.greeted = true;
                self.send_inbox().await
            }
            AgentToServer::Hello { .. } => {
                let message = format!("this server speaks version {CHAT_VERSION}");
                self.error(ErrorCode::Version, &message).await
            }
            AgentToServer::Claim { conversation } => {
                match dispatch::take(&self.state, &conversation, &self.me()).await {
                    Ok(Claim::Won) => {
                        let by = self.agent.id.clone();
                        let claimed = ServerToAgent::Claimed {
                            conversation: conversation.clone(),
                            by,
                        };
                        send(&mut self.socket, &claimed).await?;
                        self.open(&conversation).await
                    }
                    Ok(Claim::Taken(_)) => {
                        self.error(
                            ErrorCode::AlreadyClaimed,
                            "someone else has this conversation",
                        )
                        .await
                    }
                    Err(events::StoreError::UnknownConversation(_)) => {
                        self.error(ErrorCode::Forbidden, "no such conversation")
                            .await
                    }
                    Err(e) => Err(e.into()),
                }
            }
            AgentToServer::Open { conversation } => self.open(&conversation).await,
            AgentToServer::Send {
                conversation,
                id,
                text,
                article,
            } => {
                if text.len() > MAX_TEXT_BYTES || text.trim().is_empty() {
                    let message = format!("a message has 1 to {MAX_TEXT_BYTES} bytes");
                    return self.error(ErrorCode::TooLarge, &message).await;
                }
                if !self.owns(&conversation).await? {
                    return Ok(());
                }
                let author = Author::Agent {
                    id: self.agent.id.clone(),
                    name: self.agent.name.clone(),
                };
                let kind = EventKind::Message {
                    id: id.clone(),
                    author,
                    text: text.clone(),
                };
                let seq = self.append(&conversation, kind).await?;
                // Before the acknowledgement, so whoever waits for it finds the suggestion.
                if let Some(article) = article
                    && let Err(e) = learning::suggest_from_answer(
                        &self.state.db,
                        &self.state.config,
                        &self.state.bases.current(),
                        &conversation,
                        &article,
                        &self.agent.id,
                    )
                    .await
                {
                    // The reply is stored; only the suggestion is lost.
                    tracing::warn!(cause = %e, %conversation, "a suggestion could not be kept");
                }
                self.ack(conversation.clone(), id, seq).await?;
                // After the acknowledgement: mail is a courtesy the reply does not wait for.
                let name = self.agent.name.clone();
                if let Err(e) =
                    follow_up::agent_replied(&self.state, &conversation, seq, &name, &text).await
                {
                    tracing::warn!(cause = %e, %conversation, "a reply could not be queued for mail");
                }
                Ok(())
            }
            AgentToServer::Transfer {
                conversation,
                to,
                note,
            } => {
                if note.as_ref().is_some_and(|n| n.len() > MAX_TEXT_BYTES) {
                    let message = format!("a note has at most {MAX_TEXT_BYTES} bytes");
                    return self.error(ErrorCode::TooLarge, &message).await;
                }
                // A note of its own: a transfer sent again finds the conversation no longer
                // this agent's and keeps nothing more.
                let note = note
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty())
                    .and_then(|n| {
                        let id = format!("transfer-{}-{}", conversation.as_str(), now_millis());
                        id.parse().ok().map(|id| (id, n))
                    });
                match dispatch::transfer(&self.state, &conversation, &self.me(), &to, note).await? {
                    dispatch::Transferred::Done => Ok(()),
                    dispatch::Transferred::Refused(why) => {
                        self.error(ErrorCode::Forbidden, &why).await
                    }
                }
            }
            AgentToServer::Reopen { conversation } => {
                let Some(site) = self.site_of(&conversation).await? else {
                    return Ok(());
                };
                let joined = EventKind::AgentJoined {
                    agent_id: self.agent.id.clone(),
                    name: self.agent.name.clone(),
                };
                let reopen = StatusChange::Reopen {
                    agent: self.agent.id.clone(),
                };
                if dispatch::change(&self.state, &conversation, reopen, joined)
                    .await?
                    .is_none()
                {
                    return self
                        .error(
                            ErrorCode::Forbidden,
                            "only a resolved or ended conversation reopens",
                        )
                        .await;
                }
                dispatch::site_queue_moved(&self.state, &site);
                Ok(())
            }
            AgentToServer::Label {
                conversation,
                label,
                on,
            } => {
                let Some(site) = self.site_of(&conversation).await? else {
                    return Ok(());
                };
                match labels::set(&self.state.db, &conversation, &label, on, &self.agent.id).await {
                    // Every console's inbox shows the labels.
                    Ok(true) => {
                        dispatch::site_queue_moved(&self.state, &site);
                        Ok(())
                    }
                    Ok(false) => Ok(()),
                    Err(LabelError::Db(e)) => Err(e.into()),
                    Err(refused) => self.error(ErrorCode::Malformed, &refused.to_string()).await,
                }
            }
            AgentToServer::Note {
                conversation,
                id,
                text,
            } => {
                if text.len() > MAX_TEXT_BYTES || text.trim().is_empty() {
                    let message = format!("a note has 1 to {MAX_TEXT_BYTES} bytes");
                    return self.error(ErrorCode::TooLarge, &message).await;
                }
                // Every agent may read every conversation, and so may leave a note in it.
                if self.site_of(&conversation).await?.is_none() {
                    return Ok(());
                }
                let kind = EventKind::Note {
                    id: id.clone(),
                    author: Author::Agent {
                        id: self.agent.id.clone(),
                        name: self.agent.name.clone(),
                    },
                    text,
                };
                let seq = self.append(&conversation, kind).await?;
                self.ack(conversation, id, seq).await
            }
            AgentToServer::Resolve { conversation } => {
                if self.owns(&conversation).await? {
                    dispatch::close(&self.state, &conversation, ConversationStatus::Resolved)
                        .await?;
                }
                Ok(())
            }
            AgentToServer::Replay {
                conversation,
                after,
            } => {
                // Reading is open to every agent; only writing needs the conversation.
                if self.site_of(&conversation).await?.is_none() {
                    return Ok(());
                }
                self.follow(&conversation, after).await
            }
            AgentToServer::Read {
                conversation,
                up_to,
            } => {
                if self.owns(&conversation).await? {
                    self.append(
                        &conversation,
                        EventKind::Read {
                            by_agent: true,
                            up_to,
                        },
                    )
                    .await?;
                }
                Ok(())
            }
            AgentToServer::Ping => send(&mut self.socket, &ServerToAgent::Pong).await,
            AgentToServer::Typing {
                conversation,
                typing,
            } => {
                // Unstored and unanswered: a typing frame for someone else's conversation is
                // dropped without a word rather than answered with an error per keystroke.
                if events::assignee(&self.state.db, &conversation)
                    .await?
                    .as_deref()
                    == Some(&self.agent.id)
                {
                    dispatch::typing(&self.state, &conversation, true, typing);
                }
                Ok(())
            }
            AgentToServer::Status { online } => {
                self.seat.set_online(online);
                if online {
                    dispatch::assign_waiting(&self.state).await?;
                }
                dispatch::all_queues_moved(&self.state);
                Ok(())
            }
        }
    }
}

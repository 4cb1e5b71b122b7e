//! `GET /api/v1/agent/socket`: an agent's WebSocket, for a signed-in agent on this server's own
//! pages. Every frame names a conversation and is checked against it: an agent claims waiting
//! conversations (one statement decides, so one of two simultaneous claims wins), and may
//! write in and resolve only the conversations assigned to them.

use std::collections::HashMap;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;
use ito_protocol::chat::{
    AgentToServer, Author, CHAT_VERSION, ConversationId, ErrorCode, EventKind, MAX_TEXT_BYTES, Seq,
    ServerToAgent,
};
use tokio::sync::mpsc;

use super::chat::{SessionError, now_millis, send};
use super::session::{current_agent, from_own_page};
use super::{AppState, HttpError};
use crate::agents::Agent;
use crate::events::{self, Claim};
use crate::handoff;

pub async fn agent_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, HttpError> {
    if !from_own_page(&headers) {
        return Err(HttpError::Forbidden("the console must run on this server"));
    }
    let agent = current_agent(&state, &headers).await?;
    Ok(upgrade.on_upgrade(move |socket| async move {
        if let Err(e) = AgentSession::run(state, agent, socket).await {
            tracing::debug!(error = %e, "agent connection ended");
        }
    }))
}

struct AgentSession {
    state: AppState,
    agent: Agent,
    socket: WebSocket,
    /// Per followed conversation, the newest event sent.
    sent: HashMap<ConversationId, Seq>,
    /// Commit notices of followed conversations, forwarded by one small task each.
    notices: mpsc::Sender<ConversationId>,
    followers: Vec<tokio::task::AbortHandle>,
}

impl Drop for AgentSession {
    fn drop(&mut self) {
        self.followers
            .iter()
            .for_each(tokio::task::AbortHandle::abort);
    }
}

impl AgentSession {
    async fn run(state: AppState, agent: Agent, socket: WebSocket) -> Result<(), SessionError> {
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
        let mut session = AgentSession {
            state,
            agent,
            socket,
            sent: HashMap::new(),
            notices,
            followers,
        };
        loop {
            tokio::select! {
                frame = session.socket.next() => match frame {
                    Some(Ok(Message::Text(text))) => session.on_frame(&text).await?,
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                },
                Some(conversation) = incoming.recv() => session.catch_up(&conversation).await?,
                Some(()) = queues.recv() => session.send_inbox().await?,
            }
        }
    }

    async fn send_inbox(&mut self) -> Result<(), SessionError> {
        let conversations = events::waiting(&self.state.db).await?;
        send(&mut self.socket, &ServerToAgent::Waiting { conversations }).await
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
                while let Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) =
                    committed.recv().await
                {
                    if notices.send(id.clone()).await.is_err() {
                        return;
                    }
                }
            });
            self.followers.push(task.abort_handle());
        }
        self.catch_up(conversation).await
    }

    async fn catch_up(&mut self, conversation: &ConversationId) -> Result<(), SessionError> {
        let after = self.sent.get(conversation).copied().unwrap_or(0);
        let missed = events::events_after(&self.state.db, conversation, after, 500).await?;
        for event in missed {
            self.sent.insert(conversation.clone(), event.seq);
            let frame = ServerToAgent::Event {
                conversation: conversation.clone(),
                event,
            };
            send(&mut self.socket, &frame).await?;
        }
        Ok(())
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
        let appended = events::append(&self.state.db, conversation, &kind, now_millis()).await?;
        if !appended.duplicate {
            self.state.hub.committed(conversation, appended.seq);
        }
        Ok(appended.seq)
    }

    async fn on_frame(&mut self, text: &str) -> Result<(), SessionError> {
        let frame = match serde_json::from_str::<AgentToServer>(text) {
            Ok(frame) => frame,
            Err(e) => return self.error(ErrorCode::Malformed, &e.to_string()).await,
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
                self.send_inbox().await
            }
            AgentToServer::Hello { .. } => {
                let message = format!("this server speaks version {CHAT_VERSION}");
                self.error(ErrorCode::Version, &message).await
            }
            AgentToServer::Claim { conversation } => {
                match events::claim(&self.state.db, &conversation, &self.agent.id).await {
                    Ok(Claim::Won) => {
                        if let Some(site) = events::site_of(&self.state.db, &conversation).await? {
                            self.state.hub.queue_changed(&site);
                        }
                        let joined = EventKind::AgentJoined {
                            agent_id: self.agent.id.clone(),
                            name: self.agent.name.clone(),
                        };
                        self.append(&conversation, joined).await?;
                        let by = self.agent.id.clone();
                        send(
                            &mut self.socket,
                            &ServerToAgent::Claimed {
                                conversation: conversation.clone(),
                                by,
                            },
                        )
                        .await?;
                        if let Some((reason, context)) =
                            events::handoff_of(&self.state.db, &conversation).await?
                        {
                            let frame = ServerToAgent::Context {
                                conversation: conversation.clone(),
                                reason,
                                summary: handoff::summary(reason, &context),
                                context: Box::new(context),
                            };
                            send(&mut self.socket, &frame).await?;
                        }
                        self.follow(&conversation, 0).await
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
            AgentToServer::Send {
                conversation,
                id,
                text,
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
                    text,
                };
                let seq = self.append(&conversation, kind).await?;
                send(
                    &mut self.socket,
                    &ServerToAgent::Ack {
                        conversation,
                        id,
                        seq,
                    },
                )
                .await
            }
            AgentToServer::Resolve { conversation } => {
                if self.owns(&conversation).await? {
                    events::resolve(&self.state.db, &conversation).await?;
                    self.append(&conversation, EventKind::Resolved).await?;
                }
                Ok(())
            }
            AgentToServer::Replay {
                conversation,
                after,
            } => {
                if self.owns(&conversation).await? {
                    self.follow(&conversation, after).await?;
                }
                Ok(())
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
            AgentToServer::Typing { .. } | AgentToServer::Status { .. } => Ok(()),
        }
    }
}

//! Agents and visitors on the live chat, as the agent and routing tests drive them.

use ito::store::agents::Role;
use ito_protocol::chat::{
    AgentToServer, Author, ConversationId, ConversationStatus, ErrorCode, EventKind,
    HandoffContext, HandoffReason, ServerToAgent, ServerToVisitor, TranscriptLine, VisitorToServer,
};
use serde_json::json;

use super::{Build, Server, Socket, connect, hear, say, serve_configured};

/// A server on a fresh database, and that database for the test to add agents to.
pub async fn server_and_store() -> (tempfile::TempDir, Server, ito::store::Store) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        // Every visitor of a test comes from 127.0.0.1.
        config.server.limits.conversations_per_address_per_hour = 10_000;
    })
    .await;
    let pool = server.state.db.clone();
    (dir, server, pool)
}

/// `POST /api/v1/login` from the console's page, as a browser sends it.
pub async fn sign_in(server: &Server, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/login", server.url))
        .header("origin", &server.url)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// A server on a fresh database with these `[server.limits]`.
pub async fn server_with(limits: ito::live::limits::Limits) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        config.server.limits = limits;
    })
    .await;
    (dir, server)
}

/// Adds an agent (named as their email) and signs them in; returns their session cookie.
pub async fn signed_in(server: &Server, pool: &ito::store::Store, email: &str) -> String {
    signed_in_as(server, pool, email, email, Role::Agent).await
}

/// Adds someone in `role` and signs them in; returns their session cookie.
pub async fn signed_in_as(
    server: &Server,
    pool: &ito::store::Store,
    email: &str,
    name: &str,
    role: Role,
) -> String {
    ito::store::agents::add(pool, email, name, "correct horse", role)
        .await
        .unwrap();
    let response = sign_in(server, email, "correct horse").await;
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// A request from the console's page: this server's origin, the session, JSON. Returns the
/// status and the body.
pub async fn console(
    server: &Server,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.url))
        .header("origin", &server.url)
        .header("cookie", cookie);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

pub async fn agent(server: &Server, cookie: &str) -> Socket {
    let mut socket = connect(
        server,
        "/api/v1/agent/socket",
        &server.url,
        &[("cookie", cookie)],
    )
    .await
    .unwrap();
    say(&mut socket, &AgentToServer::Hello { version: 1 }).await;
    assert!(matches!(
        hear(&mut socket).await,
        ServerToAgent::Welcome { .. }
    ));
    assert!(matches!(
        hear(&mut socket).await,
        ServerToAgent::Inbox { .. }
    ));
    socket
}

/// The agent's next frame that is not an inbox update.
pub async fn skip_inbox(agent: &mut Socket) -> ServerToAgent {
    loop {
        match hear(agent).await {
            ServerToAgent::Inbox { .. } => {}
            other => return other,
        }
    }
}

/// A visitor's socket on the demo site after its hello (with a token to continue a
/// conversation, from event `last_seq`, as whom the host page says) and first words, and the
/// first answer.
pub async fn greeted(
    server: &Server,
    token: Option<String>,
    last_seq: u64,
    visitor: Option<ito_protocol::embed::Visitor>,
) -> (Socket, ServerToVisitor) {
    let mut socket = connect(server, "/sites/demo/chat", &server.url, &[])
        .await
        .unwrap();
    let hello = VisitorToServer::Hello {
        version: 1,
        token,
        last_seq,
        visitor,
    };
    say(&mut socket, &hello).await;
    // The visitor's first words to the bot: without them a new visitor's hello starts nothing.
    say(&mut socket, &VisitorToServer::Start).await;
    let first = hear(&mut socket).await;
    (socket, first)
}

/// A visitor who said something and then asked for a person (the frames sent, nothing heard
/// after the welcome).
pub async fn visitor_asking(server: &Server) -> (Socket, ConversationId) {
    let (mut socket, welcome) = greeted(server, None, 0, None).await;
    let ServerToVisitor::Welcome { conversation, .. } = welcome else {
        panic!("a welcome")
    };
    say(
        &mut socket,
        &VisitorToServer::Send {
            id: "v1".parse().unwrap(),
            text: "My parcel is lost".into(),
        },
    )
    .await;
    let context = HandoffContext {
        transcript: vec![
            TranscriptLine {
                author: Author::Visitor,
                text: "where is my parcel?".into(),
                helpful: None,
            },
            TranscriptLine {
                author: Author::Bot {
                    article: Some("order-status".into()),
                    confidence: Some(0.4),
                },
                text: "Checking your order status and tracking".into(),
                helpful: Some(false),
            },
        ],
        ..HandoffContext::default()
    };
    let handoff = VisitorToServer::Handoff {
        reason: HandoffReason::NotHelpful,
        context: Box::new(context),
    };
    say(&mut socket, &handoff).await;
    (socket, conversation)
}

/// A visitor who asked for a person, once the handoff is stored.
pub async fn visitor_handed_off(server: &Server) -> (Socket, ConversationId) {
    let (mut socket, conversation) = visitor_asking(server).await;
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut socket).await
            && matches!(event.kind, EventKind::HandoffRequested { .. })
        {
            return (socket, conversation);
        }
    }
}

/// A visitor who said something and then asked for a person, and their place in the queue.
pub async fn visitor_waiting(server: &Server) -> (Socket, ConversationId, u32) {
    let (mut socket, conversation) = visitor_asking(server).await;
    // The handoff is committed once the visitor hears it back, with a place in the queue.
    let (mut committed, mut place) = (false, None);
    while !committed || place.is_none() {
        match hear(&mut socket).await {
            ServerToVisitor::Event(event) => {
                committed |= matches!(event.kind, EventKind::HandoffRequested { .. })
            }
            ServerToVisitor::Queue { position, .. } => place = Some(position),
            _ => {}
        }
    }
    (socket, conversation, place.unwrap())
}

/// Reads the visitor's frames until the next queue place.
pub async fn place(visitor: &mut Socket) -> u32 {
    loop {
        if let ServerToVisitor::Queue { position, .. } = hear(visitor).await {
            return position;
        }
    }
}

/// The agent signed in with `cookie`, on a socket, once their claim of `conversation` is won.
pub async fn claimed(server: &Server, cookie: &str, conversation: &ConversationId) -> Socket {
    let mut socket = agent(server, cookie).await;
    let claim = AgentToServer::Claim {
        conversation: conversation.clone(),
    };
    say(&mut socket, &claim).await;
    while !matches!(skip_inbox(&mut socket).await, ServerToAgent::Claimed { .. }) {}
    socket
}

/// Reads an agent's frames until the next inbox: each open conversation with its status and
/// the name of whoever has it.
pub async fn inbox(
    agent: &mut Socket,
) -> Vec<(ConversationId, ConversationStatus, Option<String>)> {
    loop {
        if let ServerToAgent::Inbox { conversations } = hear(agent).await {
            return conversations
                .into_iter()
                .map(|w| (w.conversation, w.status, w.agent.map(|a| a.name)))
                .collect();
        }
    }
}

/// Sends `frame` and returns the code of the error the agent gets for it (inbox updates aside).
pub async fn refusal(agent: &mut Socket, frame: &AgentToServer) -> ErrorCode {
    say(agent, frame).await;
    match skip_inbox(agent).await {
        ServerToAgent::Error { code, .. } => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

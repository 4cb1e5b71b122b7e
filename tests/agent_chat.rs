//! Agents over their WebSocket against a real server: claiming a handed-off conversation
//! (two at once, one wins), replying to the visitor, and being kept out of others' chats.

mod common;

use common::{Build, Server, Socket, connect, hear, say, serve_in};
use ito_protocol::chat::{
    AgentToServer, Author, ConversationId, ErrorCode, EventKind, HandoffContext, HandoffReason,
    ServerToAgent, ServerToVisitor, TranscriptLine, VisitorToServer,
};
use serde_json::json;

/// A server on a fresh database, and that database for the test to add agents to.
async fn server_and_store() -> (tempfile::TempDir, Server, sqlx::SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let pool = ito::db::open(&dir.path().join("ito.sqlite3"))
        .await
        .unwrap();
    (dir, server, pool)
}

/// Adds an agent and signs them in; returns their session cookie.
async fn signed_in(server: &Server, pool: &sqlx::SqlitePool, email: &str) -> String {
    ito::agents::add(pool, email, email, "correct horse", false)
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/login", server.url))
        .header("origin", &server.url)
        .json(&json!({"email": email, "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn agent(server: &Server, cookie: &str) -> Socket {
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
        ServerToAgent::Waiting { .. }
    ));
    socket
}

/// The agent's next frame that is not an inbox update.
async fn skip_inbox(agent: &mut Socket) -> ServerToAgent {
    loop {
        match hear(agent).await {
            ServerToAgent::Waiting { .. } => {}
            other => return other,
        }
    }
}

/// A visitor who asked something and then asked for a person, and their place in the queue.
async fn visitor_waiting(server: &Server) -> (Socket, ConversationId, u32) {
    let mut socket = connect(server, "/sites/demo/chat", &server.url, &[])
        .await
        .unwrap();
    let hello = VisitorToServer::Hello {
        version: 1,
        token: None,
        last_seq: 0,
    };
    say(&mut socket, &hello).await;
    let ServerToVisitor::Welcome { conversation, .. } = hear(&mut socket).await else {
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
                text: "Checking your order status".into(),
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

#[tokio::test]
async fn one_of_two_claims_wins_and_the_winner_talks_to_the_visitor() {
    let (_dir, server, pool) = server_and_store().await;
    let ann = signed_in(&server, &pool, "ann@shop.example").await;
    let bob = signed_in(&server, &pool, "bob@shop.example").await;
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    let (mut ann, mut bob) = (agent(&server, &ann).await, agent(&server, &bob).await);

    let claim = AgentToServer::Claim {
        conversation: conversation.clone(),
    };
    tokio::join!(say(&mut ann, &claim), say(&mut bob, &claim));
    let (a, b) = tokio::join!(skip_inbox(&mut ann), skip_inbox(&mut bob));
    let (mut winner, mut loser) = match (&a, &b) {
        (
            ServerToAgent::Claimed { .. },
            ServerToAgent::Error {
                code: ErrorCode::AlreadyClaimed,
                ..
            },
        ) => (ann, bob),
        (
            ServerToAgent::Error {
                code: ErrorCode::AlreadyClaimed,
                ..
            },
            ServerToAgent::Claimed { .. },
        ) => (bob, ann),
        other => panic!("exactly one winner expected, got {other:?}"),
    };

    // First the five-second summary with the bot's transcript, then every event so far.
    match skip_inbox(&mut winner).await {
        ServerToAgent::Context {
            summary, context, ..
        } => {
            assert_eq!(summary[0], "Asked: where is my parcel?");
            assert_eq!(
                summary[1],
                "Bot tried: Checking your order status (did not help)"
            );
            assert_eq!(context.transcript.len(), 2);
        }
        other => panic!("expected the handoff context, got {other:?}"),
    }
    let mut seen = Vec::new();
    while seen.len() < 3 {
        if let ServerToAgent::Event { event, .. } = skip_inbox(&mut winner).await {
            seen.push(event.kind);
        }
    }
    assert!(matches!(&seen[0], EventKind::Message { text, .. } if text == "My parcel is lost"));
    assert!(matches!(seen[2], EventKind::AgentJoined { .. }));

    let reply = AgentToServer::Send {
        conversation: conversation.clone(),
        id: "a1".parse().unwrap(),
        text: "I'm on it.".into(),
    };
    say(&mut winner, &reply).await;
    loop {
        match skip_inbox(&mut winner).await {
            ServerToAgent::Ack { seq, .. } => break assert_eq!(seq, 4),
            ServerToAgent::Event { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && let EventKind::Message {
                author: Author::Agent { .. },
                text,
                ..
            } = event.kind
        {
            assert_eq!(text, "I'm on it.");
            break;
        }
    }

    // The other agent cannot write in it.
    let intrusion = AgentToServer::Send {
        conversation,
        id: "b1".parse().unwrap(),
        text: "hi".into(),
    };
    say(&mut loser, &intrusion).await;
    assert!(matches!(
        skip_inbox(&mut loser).await,
        ServerToAgent::Error {
            code: ErrorCode::Forbidden,
            ..
        }
    ));
}

#[tokio::test]
async fn the_agent_socket_wants_a_session_and_this_origin() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let status = |e: tokio_tungstenite::tungstenite::Error| match e {
        tokio_tungstenite::tungstenite::Error::Http(response) => response.status().as_u16(),
        other => panic!("{other:?}"),
    };
    let anonymous = connect(&server, "/api/v1/agent/socket", &server.url, &[]).await;
    assert_eq!(status(anonymous.unwrap_err()), 401);
    let foreign = connect(
        &server,
        "/api/v1/agent/socket",
        "https://evil.example",
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(status(foreign.unwrap_err()), 403);
}

/// Reads the visitor's frames until the next queue place.
async fn place(visitor: &mut Socket) -> u32 {
    loop {
        if let ServerToVisitor::Queue { position, .. } = hear(visitor).await {
            return position;
        }
    }
}

#[tokio::test]
async fn waiting_visitors_see_their_place_move_up_as_agents_claim() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let (_first, first_conversation, first_place) = visitor_waiting(&server).await;
    let (mut second, _, second_place) = visitor_waiting(&server).await;
    assert_eq!((first_place, second_place), (1, 2));

    let mut ann = agent(&server, &cookie).await;
    say(
        &mut ann,
        &AgentToServer::Claim {
            conversation: first_conversation,
        },
    )
    .await;
    assert_eq!(place(&mut second).await, 1, "moved up, told live");
}

/// Reads an agent's frames until the next inbox.
async fn inbox(agent: &mut Socket) -> Vec<ConversationId> {
    loop {
        if let ServerToAgent::Waiting { conversations } = hear(agent).await {
            return conversations.into_iter().map(|w| w.conversation).collect();
        }
    }
}

#[tokio::test]
async fn the_inbox_follows_the_queue_live() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    let (_visitor, conversation, _) = visitor_waiting(&server).await;
    assert_eq!(
        inbox(&mut ann).await,
        std::slice::from_ref(&conversation),
        "a handoff shows up"
    );
    say(&mut ann, &AgentToServer::Claim { conversation }).await;
    assert!(
        inbox(&mut ann).await.is_empty(),
        "a claim takes it off the queue"
    );
}

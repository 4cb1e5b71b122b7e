//! A scripted visitor against a real server: every kind of frame has a limit that holds across
//! reconnects, handoffs are stored once and their context is checked, new conversations per
//! address are bounded, oversized frames are refused before they are buffered, and someone
//! else signing in on a shared device never sees or relabels the previous visitor's thread.

mod common;

use common::live::{greeted, server_and_store, server_with, visitor_handed_off};
use common::{Build, Socket, connect, hear, say, serve_configured};
use futures_util::{SinkExt, StreamExt};
use ito::live::limits::Limits;
use ito_protocol::chat::{
    ErrorCode, EventKind, HandoffContext, HandoffReason, ServerToVisitor, VisitorToServer,
};
use ito_protocol::embed::Visitor;
use tokio_tungstenite::tungstenite;

fn token_of(welcome: ServerToVisitor) -> String {
    match welcome {
        ServerToVisitor::Welcome { token, .. } => token,
        other => panic!("expected a welcome, got {other:?}"),
    }
}

/// The next frame that is not an event or a queue place.
async fn next_answer(socket: &mut Socket) -> ServerToVisitor {
    loop {
        match hear(socket).await {
            ServerToVisitor::Event(_) | ServerToVisitor::Queue { .. } => {}
            other => return other,
        }
    }
}

fn send(id: &str) -> VisitorToServer {
    VisitorToServer::Send {
        id: id.parse().unwrap(),
        text: format!("message {id}"),
    }
}

#[tokio::test]
async fn message_limits_hold_across_reconnects() {
    let (_dir, server) = server_with(Limits {
        message_burst: 2,
        messages_per_second: 0.01,
        ..Limits::default()
    })
    .await;
    let (mut socket, welcome) = greeted(&server, None, 0, None).await;
    let token = token_of(welcome);
    for id in ["m1", "m2"] {
        say(&mut socket, &send(id)).await;
        assert!(matches!(
            next_answer(&mut socket).await,
            ServerToVisitor::Ack { .. }
        ));
    }
    drop(socket);
    let (mut again, _) = greeted(&server, Some(token), 2, None).await;
    say(&mut again, &send("m3")).await;
    match next_answer(&mut again).await {
        ServerToVisitor::Error {
            code: ErrorCode::RateLimited,
            message,
        } => assert!(message.contains("then send m3 again"), "{message}"),
        other => panic!("expected the limit to hold, got {other:?}"),
    }
}

#[tokio::test]
async fn read_receipts_and_survey_frames_have_limits_of_their_own() {
    let (_dir, server, _pool) = server_and_store().await;
    let (mut socket, _) = greeted(&server, None, 0, None).await;
    let mut refused = 0;
    for n in 0..25 {
        say(&mut socket, &VisitorToServer::Read { up_to: n }).await;
    }
    // Stored receipts come back as events; the refused ones as errors.
    say(&mut socket, &VisitorToServer::Ping).await;
    loop {
        match hear(&mut socket).await {
            ServerToVisitor::Error {
                code: ErrorCode::RateLimited,
                message,
            } => {
                assert!(message.starts_with("too many of these too fast: try again in"));
                refused += 1;
            }
            ServerToVisitor::Pong => break,
            _ => {}
        }
    }
    assert_eq!(refused, 5, "a burst of 20 read receipts");
    for _ in 0..10 {
        say(&mut socket, &VisitorToServer::Solved).await;
    }
    say(&mut socket, &VisitorToServer::Solved).await;
    assert!(matches!(
        next_answer(&mut socket).await,
        ServerToVisitor::Error {
            code: ErrorCode::RateLimited,
            ..
        }
    ));
}

#[tokio::test]
async fn a_repeated_handoff_is_stored_once_and_handoffs_are_limited() {
    let (_dir, server, pool) = server_and_store().await;
    let (mut socket, conversation) = visitor_handed_off(&server).await;
    let handoff = VisitorToServer::Handoff {
        reason: HandoffReason::Asked,
        context: Box::default(),
    };
    // The widget resends its request after a reconnect until it sees it stored; a script
    // repeating it is soon refused (three at once, then one every ten minutes).
    for _ in 0..3 {
        say(&mut socket, &handoff).await;
    }
    assert!(matches!(
        next_answer(&mut socket).await,
        ServerToVisitor::Error {
            code: ErrorCode::RateLimited,
            ..
        }
    ));
    let events = ito::store::events::events_after(&pool, &conversation, 0, 100)
        .await
        .unwrap();
    let requests = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::HandoffRequested { .. }))
        .count();
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_made_up_bot_transcript_does_not_reach_the_agents_summary() {
    let (_dir, server, pool) = server_and_store().await;
    let (mut socket, welcome) = greeted(&server, None, 0, None).await;
    let ServerToVisitor::Welcome { conversation, .. } = welcome else {
        panic!("a welcome")
    };
    let line = |article: &str, text: &str| ito_protocol::chat::TranscriptLine {
        author: ito_protocol::chat::Author::Bot {
            article: Some(article.into()),
            confidence: Some(0.9),
        },
        text: text.into(),
        helpful: Some(true),
    };
    let context = HandoffContext {
        transcript: vec![
            line("free-car", "You win a free car"),
            line("order-status", "Refunds are instant"),
        ],
        ..HandoffContext::default()
    };
    let handoff = VisitorToServer::Handoff {
        reason: HandoffReason::Asked,
        context: Box::new(context),
    };
    say(&mut socket, &handoff).await;
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut socket).await
            && matches!(event.kind, EventKind::HandoffRequested { .. })
        {
            break;
        }
    }
    let (_, stored) = ito::store::events::handoff_of(&pool, &conversation)
        .await
        .unwrap()
        .unwrap();
    let summary = ito::live::handoff::summary(HandoffReason::Asked, &stored);
    assert_eq!(
        summary[1],
        "Bot tried: Checking your order status and tracking (helped)"
    );
    assert!(!summary.join("\n").contains("car"), "{summary:?}");
}

#[tokio::test]
async fn new_conversations_per_address_are_limited() {
    let (_dir, server) = server_with(Limits {
        conversations_per_address_per_hour: 3,
        ..Limits::default()
    })
    .await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(token_of(greeted(&server, None, 0, None).await.1));
    }
    match greeted(&server, None, 0, None).await.1 {
        ServerToVisitor::Error {
            code: ErrorCode::RateLimited,
            message,
        } => assert!(
            message.starts_with(
                "too many new conversations from this address: try again in 20 minutes"
            ),
            "{message}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Going on with a conversation one has is not starting one.
    let (_, welcome) = greeted(&server, Some(tokens[0].clone()), 0, None).await;
    assert!(matches!(welcome, ServerToVisitor::Welcome { .. }));
}

#[tokio::test]
async fn frames_over_the_limit_are_refused_before_they_are_buffered() {
    let (_dir, server, _pool) = server_and_store().await;
    let (mut socket, _) = greeted(&server, None, 0, None).await;
    // One frame of 2 MiB: refused from its header, the connection closed.
    let big = tungstenite::Message::Text("x".repeat(2 * 1024 * 1024).into());
    let _ = socket.send(big).await;
    let closed = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("the server acts")
        {
            Some(Ok(tungstenite::Message::Close(_))) | None | Some(Err(_)) => break true,
            Some(Ok(_)) => {}
        }
    };
    assert!(closed);
    let cookie = common::live::signed_in(&server, &_pool, "ann@shop.example").await;
    let mut agent = connect(
        &server,
        "/api/v1/agent/socket",
        &server.url,
        &[("cookie", &cookie)],
    )
    .await
    .unwrap();
    let _ = agent
        .send(tungstenite::Message::Text("y".repeat(1024 * 1024).into()))
        .await;
    let closed = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), agent.next())
            .await
            .expect("the server acts")
        {
            Some(Ok(tungstenite::Message::Close(_))) | None | Some(Err(_)) => break true,
            Some(Ok(_)) => {}
        }
    };
    assert!(closed, "the agent socket has a limit of its own");
}

fn someone(id: &str, secret: &str) -> Visitor {
    Visitor {
        id: id.into(),
        name: Some(id.to_uppercase()),
        email: None,
        signature: Some(ito::site::identity::IdentitySecret::new(secret).sign(id)),
        expires: None,
    }
}

#[tokio::test]
async fn on_a_shared_device_the_next_person_gets_a_conversation_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "a shared device secret";
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        config.sites[0].identity_secret = Some(secret.to_owned().try_into().unwrap());
    })
    .await;
    let (mut ann, welcome) = greeted(&server, None, 0, Some(someone("ann", secret))).await;
    let ServerToVisitor::Welcome {
        conversation: anns,
        token,
        ..
    } = welcome
    else {
        panic!("a welcome")
    };
    say(&mut ann, &send("a1")).await;
    assert!(matches!(
        next_answer(&mut ann).await,
        ServerToVisitor::Ack { .. }
    ));
    drop(ann);
    // Bob signs in on the same browser, which still holds Ann's token.
    let (mut bob, welcome) = greeted(&server, Some(token), 1, Some(someone("bob", secret))).await;
    let ServerToVisitor::Welcome {
        conversation: bobs, ..
    } = welcome
    else {
        panic!("a welcome")
    };
    assert_ne!(bobs, anns, "Bob does not continue Ann's conversation");
    say(&mut bob, &VisitorToServer::Ping).await;
    assert!(
        matches!(hear(&mut bob).await, ServerToVisitor::Pong),
        "and hears nothing of it"
    );
    let who = ito::store::events::visitor_of(&server.state.db, &anns)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (who.id.as_deref(), who.verified),
        (Some("ann"), true),
        "Ann stays Ann"
    );
    let who = ito::store::events::visitor_of(&server.state.db, &bobs)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who.id.as_deref(), Some("bob"));
}

#[tokio::test]
async fn a_hello_alone_starts_no_conversation_first_words_do() {
    let (_dir, server, pool) = server_and_store().await;
    let count = || async {
        common::count(
            &pool,
            "SELECT COUNT(*) FROM conversations WHERE site = $1",
            "demo",
        )
        .await
    };
    // A script saying hello again and again and nothing else.
    let mut hellos = Vec::new();
    for _ in 0..15 {
        let mut socket = connect(&server, "/sites/demo/chat", &server.url, &[])
            .await
            .unwrap();
        let hello = VisitorToServer::Hello {
            version: 1,
            token: None,
            last_seq: 0,
            visitor: None,
        };
        say(&mut socket, &hello).await;
        say(&mut socket, &VisitorToServer::Ping).await;
        assert!(matches!(hear(&mut socket).await, ServerToVisitor::Pong));
        hellos.push(socket);
    }
    assert_eq!(count().await, 0, "a hello alone creates nothing");
    // The first words (here a message) start the conversation, and are stored in it.
    let mut socket = hellos.pop().unwrap();
    say(&mut socket, &send("m1")).await;
    let ServerToVisitor::Welcome { .. } = hear(&mut socket).await else {
        panic!("a welcome once there is something to keep")
    };
    assert!(matches!(
        next_answer(&mut socket).await,
        ServerToVisitor::Ack { seq: 1, .. }
    ));
    assert_eq!(count().await, 1);
}

#[tokio::test]
async fn a_nul_character_is_refused_in_words_and_the_conversation_goes_on() {
    // PostgreSQL cannot store U+0000: it is refused on both backends alike, before the store.
    let (_dir, server) = server_with(Limits::default()).await;
    let (mut socket, _) = greeted(&server, None, 0, None).await;
    say(
        &mut socket,
        &VisitorToServer::Send {
            id: "m1".parse().unwrap(),
            text: "before\0after".into(),
        },
    )
    .await;
    match next_answer(&mut socket).await {
        ServerToVisitor::Error {
            code: ErrorCode::Malformed,
            message,
        } => assert!(message.contains("NUL character"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A backslash and "u0000" typed as text are only text.
    say(
        &mut socket,
        &VisitorToServer::Send {
            id: "m2".parse().unwrap(),
            text: r"C:\u0000 is a path".into(),
        },
    )
    .await;
    assert!(matches!(
        next_answer(&mut socket).await,
        ServerToVisitor::Ack { .. }
    ));
}

//! Agents over their WebSocket against a real server: claiming a handed-off conversation
//! (two at once, one wins), replying to the visitor, and being kept out of others' chats.

mod common;

use common::live::{
    agent, inbox, place, refusal, server_and_store, signed_in, skip_inbox, visitor_waiting,
};
use common::{connect, hear, say};
use ito_protocol::chat::{
    AgentToServer, Author, ConversationStatus, ErrorCode, EventKind, ServerToAgent, ServerToVisitor,
};

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
                "Bot tried: Checking your order status and tracking (did not help)"
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
        article: None,
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
        article: None,
    };
    assert_eq!(refusal(&mut loser, &intrusion).await, ErrorCode::Forbidden);
}

#[tokio::test]
async fn the_agent_socket_wants_a_session_this_origin_and_no_editor() {
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

    let editor_cookie = common::live::signed_in_as(
        &server,
        &pool,
        "ed@shop.example",
        "Ed",
        ito::store::agents::Role::Editor,
    )
    .await;
    let editor_cookie = editor_cookie.as_str();
    let editor = connect(
        &server,
        "/api/v1/agent/socket",
        &server.url,
        &[("cookie", editor_cookie)],
    )
    .await;
    assert_eq!(
        status(editor.unwrap_err()),
        403,
        "an editor is never at the desk, so never offered a conversation"
    );
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

#[tokio::test]
async fn the_inbox_follows_the_queue_live() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    let (_visitor, conversation, _) = visitor_waiting(&server).await;
    assert_eq!(
        inbox(&mut ann).await,
        [(conversation.clone(), ConversationStatus::Waiting, None)],
        "a handoff shows up"
    );
    say(
        &mut ann,
        &AgentToServer::Claim {
            conversation: conversation.clone(),
        },
    )
    .await;
    assert_eq!(
        inbox(&mut ann).await,
        [(
            conversation.clone(),
            ConversationStatus::Assigned,
            Some("ann@shop.example".to_owned())
        )],
        "a claim takes it off the queue, to the agent"
    );
    say(&mut ann, &AgentToServer::Resolve { conversation }).await;
    assert!(
        inbox(&mut ann).await.is_empty(),
        "resolved, it leaves the inbox"
    );
}

#[tokio::test]
async fn the_welcome_is_the_first_frame_even_when_a_queue_moves_before_the_hello() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut early = connect(
        &server,
        "/api/v1/agent/socket",
        &server.url,
        &[("cookie", &cookie)],
    )
    .await
    .unwrap();
    // A visitor starts waiting while this console has not said hello yet, and the connection
    // has well had the time to hear of it.
    let (_visitor, _, _) = visitor_waiting(&server).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    say(&mut early, &AgentToServer::Hello { version: 1 }).await;
    assert!(matches!(
        hear(&mut early).await,
        ServerToAgent::Welcome { .. }
    ));
    assert!(matches!(
        hear(&mut early).await,
        ServerToAgent::Inbox { .. }
    ));
}

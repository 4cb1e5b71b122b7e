//! Several nodes on one PostgreSQL database: each node here is a whole server (its own hub,
//! presence, appender and bus) on its own port, as `ito serve` would be, sharing only the
//! database. Skipped without the test PostgreSQL (`cargo xtask test` starts one).

mod common;

use std::collections::HashMap;

use common::live::{agent, greeted, inbox, signed_in, visitor_handed_off};
use common::{Build, Process, Server, Socket, hear, say, serve_configured, serve_process};
use ito_protocol::chat::{
    AgentToServer, ConversationId, ConversationStatus, EventKind, ServerToAgent, ServerToVisitor,
    VisitorToServer,
};

/// Two nodes on one fresh database, or `None` when the tests run on SQLite.
async fn two_nodes() -> Option<(tempfile::TempDir, Server, Server)> {
    ito::store::testing::postgres_server()?;
    let dir = tempfile::tempdir().unwrap();
    let node = || {
        serve_configured(dir.path(), Build { front_ends: false }, |config| {
            config.server.limits.conversations_per_address_per_hour = 10_000;
        })
    };
    let a = node().await;
    let b = node().await;
    Some((dir, a, b))
}

async fn online(server: &Server, email: &str, capacity: u32) -> Socket {
    let cookie = signed_in(server, &server.state.db, email).await;
    let id = ito::store::agents::id_by_email(&server.state.db, email)
        .await
        .unwrap()
        .unwrap();
    ito::store::agents::set_capacity(&server.state.db, &id, capacity)
        .await
        .unwrap();
    let mut socket = agent(server, &cookie).await;
    say(&mut socket, &AgentToServer::Status { online: true }).await;
    socket
}

/// The visitor's frames until an agent joins; their name.
async fn joined(visitor: &mut Socket) -> String {
    loop {
        if let ServerToVisitor::Event(event) = hear(visitor).await
            && let EventKind::AgentJoined { name, .. } = event.kind
        {
            return name;
        }
    }
}

/// The agent's frames until the event of `conversation` that `pick` takes.
async fn event_for<T>(
    agent: &mut Socket,
    conversation: &ConversationId,
    mut pick: impl FnMut(&EventKind) -> Option<T>,
) -> T {
    loop {
        if let ServerToAgent::Event {
            conversation: c,
            event,
        } = hear(agent).await
            && &c == conversation
            && let Some(found) = pick(&event.kind)
        {
            return found;
        }
    }
}

/// The visitor's frames until the acknowledgement of `id`; its number.
async fn ack_of(socket: &mut Socket, id: &ito_protocol::chat::ClientId) -> u64 {
    loop {
        if let ServerToVisitor::Ack { id: acked, seq } = hear(socket).await
            && &acked == id
        {
            return seq;
        }
    }
}

fn text_of(kind: &EventKind) -> Option<String> {
    match kind {
        EventKind::Message { text, .. } => Some(text.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn a_visitor_on_one_node_and_an_agent_on_another_talk_type_and_see_receipts() {
    let Some((_dir, a, b)) = two_nodes().await else {
        return;
    };
    let mut ann = online(&b, "ann@shop.example", 3).await;
    let (mut visitor, conversation) = visitor_handed_off(&a).await;
    assert_eq!(joined(&mut visitor).await, "ann@shop.example");

    say(
        &mut ann,
        &AgentToServer::Open {
            conversation: conversation.clone(),
        },
    )
    .await;
    say(
        &mut visitor,
        &VisitorToServer::Send {
            id: "v2".parse().unwrap(),
            text: "It was due on Monday".into(),
        },
    )
    .await;
    let heard = event_for(&mut ann, &conversation, |kind| {
        text_of(kind).filter(|t| t == "It was due on Monday")
    })
    .await;
    assert_eq!(heard, "It was due on Monday");

    say(
        &mut ann,
        &AgentToServer::Typing {
            conversation: conversation.clone(),
            typing: true,
        },
    )
    .await;
    say(
        &mut ann,
        &AgentToServer::Send {
            conversation: conversation.clone(),
            id: "a1".parse().unwrap(),
            text: "Let me look".into(),
            article: None,
        },
    )
    .await;
    let (mut typing_seen, mut reply_seen) = (false, false);
    while !(typing_seen && reply_seen) {
        match hear(&mut visitor).await {
            ServerToVisitor::Typing { typing: true } => typing_seen = true,
            ServerToVisitor::Event(event) => {
                reply_seen |= text_of(&event.kind).as_deref() == Some("Let me look")
            }
            _ => {}
        }
    }

    say(&mut visitor, &VisitorToServer::Read { up_to: 100 }).await;
    event_for(&mut ann, &conversation, |kind| {
        matches!(kind, EventKind::Read { .. }).then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_nodes_assigning_at_once_give_each_conversation_to_one_agent_within_capacity() {
    let Some((_dir, a, b)) = two_nodes().await else {
        return;
    };
    let _ann = online(&a, "ann@shop.example", 2).await;
    let _bob = online(&b, "bob@shop.example", 2).await;
    // Six visitors at once, alternating nodes: four seats in all.
    let visitors = (0..6).map(|n| {
        let node = if n % 2 == 0 { &a } else { &b };
        visitor_handed_off(node)
    });
    let mut sockets = Vec::new();
    for (socket, conversation) in futures_util::future::join_all(visitors).await {
        sockets.push((socket, conversation));
    }
    // Every waiting list and assignment settles in the database; read it from either node.
    let mut held: HashMap<String, usize> = HashMap::new();
    let mut assigned = 0;
    for _ in 0..100 {
        held.clear();
        let open = ito::store::events::inbox(&a.state.db).await.unwrap();
        assigned = 0;
        for entry in &open {
            if entry.status == ConversationStatus::Assigned {
                assigned += 1;
                *held.entry(entry.agent.clone().unwrap().name).or_default() += 1;
            }
        }
        if assigned == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(assigned, 4, "{held:?}");
    assert_eq!(held["ann@shop.example"], 2, "{held:?}");
    assert_eq!(held["bob@shop.example"], 2, "{held:?}");
    for (_, conversation) in &sockets {
        let (status, _) = ito::store::events::status_of(&b.state.db, conversation)
            .await
            .unwrap();
        assert!(
            matches!(
                status,
                ConversationStatus::Assigned | ConversationStatus::Waiting
            ),
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn when_the_listening_connections_are_killed_nothing_is_missed() {
    let Some((_dir, a, b)) = two_nodes().await else {
        return;
    };
    let mut ann = online(&b, "ann@shop.example", 3).await;
    let (mut visitor, conversation) = visitor_handed_off(&a).await;
    joined(&mut visitor).await;
    say(
        &mut ann,
        &AgentToServer::Open {
            conversation: conversation.clone(),
        },
    )
    .await;
    let killed: Vec<bool> = match &a.state.db {
        ito::store::Store::Postgres(pool) => sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        ito::store::Store::Sqlite(_) => unreachable!("two nodes are on PostgreSQL"),
    };
    assert_eq!(killed.len(), 2, "both nodes listen: {killed:?}");
    // Said while node B may not be listening: it reads it from the store once it is again.
    for n in 0..5 {
        say(
            &mut visitor,
            &VisitorToServer::Send {
                id: format!("after{n}").parse().unwrap(),
                text: format!("said after the kill {n}"),
            },
        )
        .await;
    }
    let mut heard = Vec::new();
    while heard.len() < 5 {
        heard.push(
            event_for(&mut ann, &conversation, |kind| {
                text_of(kind).filter(|t| t.starts_with("said after the kill"))
            })
            .await,
        );
    }
    let expected: Vec<String> = (0..5).map(|n| format!("said after the kill {n}")).collect();
    assert_eq!(heard, expected, "each once, in order");
}

#[tokio::test]
async fn a_queue_moved_on_one_node_moves_the_inbox_on_the_other() {
    let Some((_dir, a, b)) = two_nodes().await else {
        return;
    };
    // Bob is at his console on node B but away: nothing is given to him.
    let cookie = signed_in(&b, &b.state.db, "bob@shop.example").await;
    let mut bob = agent(&b, &cookie).await;
    let (_visitor, conversation) = visitor_handed_off(&a).await;
    loop {
        let open = inbox(&mut bob).await;
        if open
            .iter()
            .any(|(c, status, _)| c == &conversation && *status == ConversationStatus::Waiting)
        {
            break;
        }
    }
    // And a visitor greeted on B is answered by B with A's knowledge of the queue.
    let (_other, welcome) = greeted(&b, None, 0, None).await;
    assert!(matches!(welcome, ServerToVisitor::Welcome { .. }));
}

/// A real `ito serve` on the test's database (`config`), killable; its address.
/// A real node on the database `beside` uses (its config written in `dir`).
fn node_process(dir: &std::path::Path, beside: &Server) -> Process {
    let config = dir.join("ito.toml");
    let database = beside.state.config.server.database.as_given();
    std::fs::write(
        &config,
        include_str!("../examples/ito.toml").replace(
            "database = \"target/demo/ito.sqlite3\"",
            &format!("database = {database:?}"),
        ),
    )
    .unwrap();
    serve_process(&config)
}

#[tokio::test]
async fn a_dead_nodes_agents_leave_presence_and_their_visitors_can_be_claimed() {
    let Some((dir, b, _)) = two_nodes().await else {
        return;
    };
    // Node A is a real process on the same database, so it can die as processes do.
    let mut a = node_process(dir.path(), &b);

    // Ann works at node A, online; Bob at node B, away.
    signed_in(&b, &b.state.db, "ann@shop.example").await;
    let login = reqwest::Client::new()
        .post(format!("{}/api/v1/login", a.url))
        .header("origin", &a.url)
        .json(&serde_json::json!({"email": "ann@shop.example", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "{}/api/v1/agent/socket",
            a.url.replace("http://", "ws://")
        ))
        .unwrap();
    request
        .headers_mut()
        .insert("origin", a.url.parse().unwrap());
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    let (mut ann, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    say(&mut ann, &AgentToServer::Hello { version: 1 }).await;
    say(&mut ann, &AgentToServer::Status { online: true }).await;
    let bob_cookie = signed_in(&b, &b.state.db, "bob@shop.example").await;
    let mut bob = agent(&b, &bob_cookie).await;

    let (mut visitor, conversation) = visitor_handed_off(&b).await;
    assert_eq!(joined(&mut visitor).await, "ann@shop.example");

    a.child.kill().unwrap();
    a.child.wait().unwrap();
    drop(ann);
    // Within the node timeout (30 s) and a refresh, Ann's visitor is waiting again.
    let mut status = ConversationStatus::Assigned;
    for _ in 0..120 {
        status = ito::store::events::status_of(&b.state.db, &conversation)
            .await
            .unwrap()
            .0;
        if status == ConversationStatus::Waiting {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(status, ConversationStatus::Waiting);
    assert!(
        !b.state.presence.is_online(
            &ito::store::agents::id_by_email(&b.state.db, "ann@shop.example")
                .await
                .unwrap()
                .unwrap()
        ),
        "the dead node's agent is not offered conversations"
    );
    say(
        &mut bob,
        &AgentToServer::Claim {
            conversation: conversation.clone(),
        },
    )
    .await;
    assert_eq!(joined(&mut visitor).await, "bob@shop.example");
}

#[tokio::test]
async fn a_node_stopped_cleanly_takes_its_seats_with_it_at_once() {
    let Some((dir, b, _c)) = two_nodes().await else {
        return;
    };
    let mut a = node_process(dir.path(), &b);
    let ito::store::Store::Postgres(pool) = &b.state.db else {
        unreachable!("two nodes are on PostgreSQL")
    };
    let nodes = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM nodes")
            .fetch_one(pool)
            .await
            .unwrap()
    };
    // It says where it listens a moment before it has registered.
    for _ in 0..100 {
        if nodes().await == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(nodes().await, 3);
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &a.child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(a.child.wait().unwrap().success());
    assert_eq!(
        nodes().await,
        2,
        "the stopped node is gone without waiting for the timeout"
    );
}

#[tokio::test]
async fn a_message_resent_to_two_nodes_at_once_is_stored_once_with_one_number() {
    let Some((_dir, a, b)) = two_nodes().await else {
        return;
    };
    let (mut first, welcome) = greeted(&a, None, 0, None).await;
    let ServerToVisitor::Welcome {
        token,
        conversation,
        ..
    } = welcome
    else {
        panic!("a welcome")
    };
    // The same widget, reconnected to the other node while its first connection lingers.
    let mut second = common::connect(&b, "/sites/demo/chat", &b.url, &[])
        .await
        .unwrap();
    say(
        &mut second,
        &VisitorToServer::Hello {
            version: 1,
            token: Some(token),
            last_seq: 0,
            visitor: None,
        },
    )
    .await;
    assert!(matches!(
        hear::<ServerToVisitor>(&mut second).await,
        ServerToVisitor::Welcome { .. }
    ));
    // Within the message burst each node allows a visitor.
    for round in 0..8 {
        let id: ito_protocol::chat::ClientId = format!("twice{round}").parse().unwrap();
        let send = VisitorToServer::Send {
            id: id.clone(),
            text: format!("sent to both nodes {round}"),
        };
        say(&mut first, &send).await;
        say(&mut second, &send).await;
        let (on_a, on_b) = tokio::join!(ack_of(&mut first, &id), ack_of(&mut second, &id));
        assert_eq!(on_a, on_b, "one number for one message");
    }
    let events = ito::store::events::events_after(&a.state.db, &conversation, 0, 1000)
        .await
        .unwrap();
    let messages = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Message { .. }))
        .count();
    assert_eq!(messages, 8, "each stored once");
}

//! Private notes between agents, at the wire: stored and numbered in the conversation, shown
//! to every agent who opens it, never sent to the visitor (live or replayed).

mod common;

use common::live::{agent, server_and_store, signed_in, skip_inbox, visitor_waiting};
use common::{Socket, hear, say};
use ito_protocol::chat::{
    AgentToServer, Author, ErrorCode, EventKind, ServerToAgent, ServerToVisitor, VisitorToServer,
};

const NOTE: &str = "Refund approved by finance, ticket FIN-4411; do not promise a date";

/// Every frame the visitor hears until their `Pong`, as JSON text.
async fn heard_until_pong(visitor: &mut Socket) -> Vec<String> {
    say(visitor, &VisitorToServer::Ping).await;
    let mut heard = Vec::new();
    loop {
        let frame: serde_json::Value = hear(visitor).await;
        if frame == serde_json::json!("pong") {
            return heard;
        }
        heard.push(frame.to_string());
    }
}

/// The agent's acknowledgement of `id`, skipping events and inbox updates.
async fn acked(agent: &mut Socket, id: &str) -> u64 {
    loop {
        if let ServerToAgent::Ack { id: acked, seq, .. } = skip_inbox(agent).await
            && acked.as_str() == id
        {
            return seq;
        }
    }
}

#[tokio::test]
async fn a_note_reaches_every_agent_and_never_the_visitor() {
    let (_dir, server, pool) = server_and_store().await;
    let ann = signed_in(&server, &pool, "ann@shop.example").await;
    let bob = signed_in(&server, &pool, "bob@shop.example").await;
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    let mut ann = agent(&server, &ann).await;
    say(
        &mut ann,
        &AgentToServer::Claim {
            conversation: conversation.clone(),
        },
    )
    .await;

    // Bob does not have the conversation and still leaves a note in it.
    let mut bob = agent(&server, &bob).await;
    let note = AgentToServer::Note {
        conversation: conversation.clone(),
        id: "n1".parse().unwrap(),
        text: NOTE.into(),
    };
    say(&mut bob, &note).await;
    let note_seq = acked(&mut bob, "n1").await;
    // Sent twice (a reconnect), it is stored once.
    say(&mut bob, &note).await;
    assert_eq!(acked(&mut bob, "n1").await, note_seq);
    // Ann, who has the conversation open, gets the note as an event of it.
    loop {
        if let ServerToAgent::Event { event, .. } = skip_inbox(&mut ann).await
            && let EventKind::Note { text, author, .. } = event.kind
        {
            assert_eq!(text, NOTE);
            assert!(matches!(author, Author::Agent { name, .. } if name == "bob@shop.example"));
            break;
        }
    }

    let reply = AgentToServer::Send {
        conversation: conversation.clone(),
        id: "a1".parse().unwrap(),
        text: "Your refund is on its way.".into(),
        article: None,
    };
    say(&mut ann, &reply).await;
    let reply_seq = acked(&mut ann, "a1").await;
    assert!(reply_seq > note_seq);

    // The visitor gets the reply, live, and never the note: not live, not on a full replay.
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && matches!(
                event.kind,
                EventKind::Message {
                    author: Author::Agent { .. },
                    ..
                }
            )
        {
            break;
        }
    }
    let live = heard_until_pong(&mut visitor).await;
    // The same visitor on another device: their token, from the start of the conversation.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let token = server.state.tokens.sign(&conversation, now);
    let mut replayed = common::connect(&server, "/sites/demo/chat", &server.url, &[])
        .await
        .unwrap();
    say(
        &mut replayed,
        &VisitorToServer::Hello {
            version: 1,
            token: Some(token),
            last_seq: 0,
            visitor: None,
        },
    )
    .await;
    let again = heard_until_pong(&mut replayed).await;
    assert!(
        again
            .iter()
            .any(|f| f.contains("Your refund is on its way.")),
        "the replay has the reply: {again:?}"
    );
    for frame in live.iter().chain(&again) {
        assert!(
            !frame.contains("FIN-4411"),
            "a visitor heard a note: {frame}"
        );
        assert!(
            !frame.contains("\"note\""),
            "a visitor heard a note: {frame}"
        );
    }

    // A note in a conversation that is not there is refused.
    let nowhere = AgentToServer::Note {
        conversation: "c-nowhere".parse().unwrap(),
        id: "n2".parse().unwrap(),
        text: "hello?".into(),
    };
    assert_eq!(
        common::live::refusal(&mut bob, &nowhere).await,
        ErrorCode::Forbidden
    );
}

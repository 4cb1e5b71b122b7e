//! Handing a conversation to another agent over real sockets: the visitor is told who takes
//! over, the note reaches the new agent only, the old one can no longer write, and capacity
//! still holds.

mod common;

use common::live::{agent, console, server_and_store, signed_in, skip_inbox, visitor_waiting};
use common::{Socket, hear, say};
use ito_protocol::chat::{
    AgentToServer, ConversationId, ErrorCode, EventKind, ServerToAgent, ServerToVisitor,
};

/// The next error the agent gets, with its words.
async fn refused(agent: &mut Socket, frame: &AgentToServer) -> (ErrorCode, String) {
    say(agent, frame).await;
    loop {
        if let ServerToAgent::Error { code, message } = skip_inbox(agent).await {
            return (code, message);
        }
    }
}

fn transfer(conversation: &ConversationId, to: &str, note: Option<&str>) -> AgentToServer {
    AgentToServer::Transfer {
        conversation: conversation.clone(),
        to: to.to_owned(),
        note: note.map(str::to_owned),
    }
}

async fn claimed(agent: &mut Socket, conversation: &ConversationId) {
    let claim = AgentToServer::Claim {
        conversation: conversation.clone(),
    };
    say(agent, &claim).await;
    while !matches!(skip_inbox(agent).await, ServerToAgent::Claimed { .. }) {}
}

#[tokio::test]
async fn a_transfer_tells_the_visitor_hands_over_the_note_and_respects_capacity() {
    let (_dir, server, pool) = server_and_store().await;
    let ann_cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let bob_cookie = signed_in(&server, &pool, "bob@shop.example").await;
    let bob_id = ito::store::agents::id_by_email(&pool, "bob@shop.example")
        .await
        .unwrap()
        .unwrap();
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    let mut ann = agent(&server, &ann_cookie).await;
    claimed(&mut ann, &conversation).await;

    // Bob is away (his console is not even open): a transfer still reaches him.
    say(
        &mut ann,
        &transfer(
            &conversation,
            &bob_id,
            Some("VIP: order 42, refund promised"),
        ),
    )
    .await;
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && let EventKind::AgentJoined { name, .. } = event.kind
            && name == "bob@shop.example"
        {
            break;
        }
    }
    let (code, why) = refused(
        &mut ann,
        &AgentToServer::Send {
            conversation: conversation.clone(),
            id: "a1".parse().unwrap(),
            text: "still me".into(),
            article: None,
        },
    )
    .await;
    assert_eq!(code, ErrorCode::Forbidden, "{why}");
    let (_, why) = refused(&mut ann, &transfer(&conversation, &bob_id, None)).await;
    assert_eq!(why, "this conversation is not assigned to you");

    let mut bob = agent(&server, &bob_cookie).await;
    say(
        &mut bob,
        &AgentToServer::Open {
            conversation: conversation.clone(),
        },
    )
    .await;
    loop {
        if let ServerToAgent::Event { event, .. } = skip_inbox(&mut bob).await
            && let EventKind::Note { text, .. } = event.kind
        {
            assert_eq!(text, "VIP: order 42, refund promised");
            break;
        }
    }
    let reply = AgentToServer::Send {
        conversation: conversation.clone(),
        id: "b1".parse().unwrap(),
        text: "Hi, Bob here.".into(),
        article: None,
    };
    say(&mut bob, &reply).await;
    while !matches!(skip_inbox(&mut bob).await, ServerToAgent::Ack { .. }) {}

    // Bob has room for one: a second conversation cannot be handed to him.
    ito::store::agents::set_capacity(&pool, &bob_id, 1)
        .await
        .unwrap();
    let (_second, other, _) = visitor_waiting(&server).await;
    claimed(&mut ann, &other).await;
    let (code, why) = refused(&mut ann, &transfer(&other, &bob_id, None)).await;
    assert_eq!(code, ErrorCode::Forbidden);
    assert_eq!(
        why,
        "bob@shop.example has no room for another conversation (1 of 1 open)"
    );
    let (_, why) = refused(&mut ann, &transfer(&other, "nobody", None)).await;
    assert_eq!(why, "there is no such agent");

    // The team as the console's Transfer shows it.
    let (status, body) = console(
        &server,
        &ann_cookie,
        reqwest::Method::GET,
        "/api/v1/agents",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let team: serde_json::Value = serde_json::from_str(&body).unwrap();
    let bob_row = team
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == bob_id.as_str())
        .unwrap();
    assert_eq!(bob_row["open"], 1);
    assert_eq!(bob_row["capacity"], 1);
    assert_eq!(bob_row["online"], false, "at his console, but away");
}

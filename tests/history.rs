//! Finding past conversations and reopening one: by the visitor's words (any case), by a
//! label, refusing an empty search; a resolved conversation reopens once, and the visitor is
//! told who is back.

mod common;

use common::live::{agent, console, server_and_store, signed_in, skip_inbox, visitor_waiting};
use common::{hear, say};
use ito_protocol::chat::{AgentToServer, ErrorCode, EventKind, ServerToAgent, ServerToVisitor};
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn a_resolved_conversation_is_found_by_its_words_or_label_and_reopens_once() {
    let (_dir, server, pool) = server_and_store().await;
    let ann = signed_in(&server, &pool, "ann@shop.example").await;
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    let (_other, _, _) = visitor_waiting(&server).await;
    let mut socket = agent(&server, &ann).await;
    say(
        &mut socket,
        &AgentToServer::Claim {
            conversation: conversation.clone(),
        },
    )
    .await;
    while !matches!(skip_inbox(&mut socket).await, ServerToAgent::Claimed { .. }) {}
    say(
        &mut socket,
        &AgentToServer::Send {
            conversation: conversation.clone(),
            id: "a1".parse().unwrap(),
            text: "Your parcel waits at the Shibuya depot (100% sure).".into(),
            article: None,
        },
    )
    .await;
    while !matches!(skip_inbox(&mut socket).await, ServerToAgent::Ack { .. }) {}
    ito::store::labels::define(&pool, "demo", "lost-parcel")
        .await
        .unwrap();
    say(
        &mut socket,
        &AgentToServer::Label {
            conversation: conversation.clone(),
            label: "lost-parcel".into(),
            on: true,
        },
    )
    .await;
    say(
        &mut socket,
        &AgentToServer::Resolve {
            conversation: conversation.clone(),
        },
    )
    .await;
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && event.kind == EventKind::Resolved
        {
            break;
        }
    }

    let found = |query: &str| {
        let (server, ann) = (&server, &ann);
        let path = format!("/api/v1/conversations?{query}");
        async move {
            let (status, body) = console(server, ann, Method::GET, &path, None).await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };
    let by_words = found("q=shibuya%20DEPOT").await;
    assert_eq!(by_words.as_array().unwrap().len(), 1, "{by_words}");
    assert_eq!(by_words[0]["conversation"], conversation.as_str());
    assert_eq!(by_words[0]["status"], "resolved");
    assert_eq!(by_words[0]["agent"], "ann@shop.example");
    assert_eq!(
        found("q=parcel%20is%20lost")
            .await
            .as_array()
            .unwrap()
            .len(),
        2,
        "both visitors said it"
    );
    assert_eq!(
        found("q=100%25").await.as_array().unwrap().len(),
        1,
        "% is a character"
    );
    assert_eq!(found("q=50%25").await.as_array().unwrap().len(), 0);
    // The words said, never the JSON they are kept in.
    assert_eq!(found("q=author").await.as_array().unwrap().len(), 0);
    assert_eq!(
        found("q=where%20is%20my").await.as_array().unwrap().len(),
        2,
        "the bot transcript"
    );
    assert_eq!(
        found("label=lost-parcel").await.as_array().unwrap().len(),
        1
    );
    let (status, _) = console(
        &server,
        &ann,
        Method::GET,
        "/api/v1/conversations?q=%20",
        None,
    )
    .await;
    assert_eq!(status, 400, "an empty search");

    say(
        &mut socket,
        &AgentToServer::Reopen {
            conversation: conversation.clone(),
        },
    )
    .await;
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && let EventKind::AgentJoined { name, .. } = event.kind
        {
            assert_eq!(name, "ann@shop.example");
            break;
        }
    }
    assert_eq!(found("q=shibuya").await[0]["status"], "assigned");
    let again = AgentToServer::Reopen {
        conversation: conversation.clone(),
    };
    say(&mut socket, &again).await;
    loop {
        if let ServerToAgent::Error { code, message } = skip_inbox(&mut socket).await {
            assert_eq!(code, ErrorCode::Forbidden);
            assert_eq!(message, "only a resolved or ended conversation reopens");
            break;
        }
    }
}

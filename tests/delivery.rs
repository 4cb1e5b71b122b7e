//! Ito's promise under the race the end-to-end test once lost: an agent who opened a waiting
//! conversation claims it and replies at once, again and again; each time the visitor hears
//! the agent join and then the reply, exactly once, and the agent's reply is acknowledged.

mod common;

use common::live::{agent, server_and_store, signed_in, visitor_waiting};
use common::{Socket, hear, say};
use ito_protocol::chat::{AgentToServer, Author, EventKind, ServerToAgent, ServerToVisitor};

/// The visitor's next events until the agent's `text`, as short names.
async fn visitor_hears_until(visitor: &mut Socket, text: &str) -> Vec<String> {
    let mut heard = Vec::new();
    loop {
        if let ServerToVisitor::Event(event) = hear(visitor).await {
            match event.kind {
                EventKind::AgentJoined { .. } => heard.push("joined".to_owned()),
                EventKind::Message {
                    author: Author::Agent { .. },
                    text: said,
                    ..
                } => {
                    let done = said == text;
                    heard.push(said);
                    if done {
                        return heard;
                    }
                }
                _ => {}
            }
        }
    }
}

async fn acknowledged(agent: &mut Socket, id: &str) {
    loop {
        match hear(agent).await {
            ServerToAgent::Ack { id: acked, .. } if acked.as_str() == id => return,
            ServerToAgent::Error { message, .. } => panic!("the reply was refused: {message}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_claim_then_an_immediate_reply_reaches_the_visitor_once_every_time() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    // Away: nothing is assigned automatically, Ann claims by hand.
    say(&mut ann, &AgentToServer::Status { online: false }).await;
    for round in 0..60 {
        let (mut visitor, conversation, _) = visitor_waiting(&server).await;
        if round % 2 == 0 {
            // As in the console: the conversation is opened from the inbox first.
            say(
                &mut ann,
                &AgentToServer::Open {
                    conversation: conversation.clone(),
                },
            )
            .await;
        }
        say(
            &mut ann,
            &AgentToServer::Claim {
                conversation: conversation.clone(),
            },
        )
        .await;
        let id = format!("r{round}");
        let text = format!("Hello from round {round}");
        say(
            &mut ann,
            &AgentToServer::Send {
                conversation: conversation.clone(),
                id: id.parse().unwrap(),
                text: text.clone(),
                article: None,
            },
        )
        .await;
        acknowledged(&mut ann, &id).await;
        let heard = visitor_hears_until(&mut visitor, &text).await;
        assert_eq!(heard, ["joined".to_owned(), text], "round {round}");
        say(&mut ann, &AgentToServer::Resolve { conversation }).await;
    }
}

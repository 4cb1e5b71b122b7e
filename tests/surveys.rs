//! The survey over the visitor's socket: accepted once per conversation that asked for it
//! (the bot solved it, or an agent resolved it), with scores in range; every refusal is an
//! error frame that says why, and the connection carries on.

mod common;

use common::live::{agent, greeted, server_and_store, signed_in, visitor_handed_off};
use common::{Server, Socket, hear, say};
use ito_protocol::chat::{AgentToServer, ErrorCode, EventKind, ServerToVisitor, VisitorToServer};

async fn visitor(server: &Server, token: Option<String>) -> (Socket, ServerToVisitor) {
    greeted(server, token, 0, None).await
}

fn survey(csat: Option<u8>, ces: Option<u8>) -> VisitorToServer {
    VisitorToServer::Survey {
        csat,
        ces,
        comment: Some("Thanks!".into()),
    }
}

/// The answer to a survey frame: `Ok` when stored, else the refusal's message.
async fn answer(socket: &mut Socket, frame: VisitorToServer) -> Result<(), String> {
    say(socket, &frame).await;
    loop {
        match hear(socket).await {
            ServerToVisitor::SurveyStored => return Ok(()),
            ServerToVisitor::Error {
                code: ErrorCode::SurveyRefused,
                message,
            } => return Err(message),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_survey_is_taken_once_when_asked_and_in_range() {
    let (_dir, server, _pool) = server_and_store().await;
    let (mut socket, _) = visitor(&server, None).await;
    let early = answer(&mut socket, survey(Some(5), None))
        .await
        .unwrap_err();
    assert!(early.contains("has not asked for a survey"), "{early}");

    say(&mut socket, &VisitorToServer::Solved).await;
    let out_of_range = answer(&mut socket, survey(Some(9), Some(7)))
        .await
        .unwrap_err();
    assert_eq!(out_of_range, "CSAT is a score from 1 to 5, not 9");
    let ces = answer(&mut socket, survey(Some(5), Some(8)))
        .await
        .unwrap_err();
    assert_eq!(ces, "CES is a score from 1 to 7, not 8");
    answer(&mut socket, survey(Some(5), Some(7))).await.unwrap();
    let twice = answer(&mut socket, survey(Some(1), Some(1)))
        .await
        .unwrap_err();
    assert!(twice.contains("already has its survey answer"), "{twice}");
}

#[tokio::test]
async fn an_agents_resolution_asks_for_the_survey_and_nobody_answers_for_another() {
    let (_dir, server, pool) = server_and_store().await;
    let (mut visitor_socket, conversation) = visitor_handed_off(&server).await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    say(
        &mut ann,
        &AgentToServer::Claim {
            conversation: conversation.clone(),
        },
    )
    .await;
    say(&mut ann, &AgentToServer::Resolve { conversation }).await;
    // Once the visitor hears of the resolution, the survey is asked for.
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor_socket).await
            && event.kind == EventKind::Resolved
        {
            break;
        }
    }
    answer(&mut visitor_socket, survey(Some(4), Some(6)))
        .await
        .unwrap();

    // Another visitor cannot reach this conversation: a made-up token is refused at hello.
    let (_, refused) = visitor(&server, Some("someone-else.9999999999.AAAA".into())).await;
    assert!(
        matches!(
            refused,
            ServerToVisitor::Error {
                code: ErrorCode::StaleToken,
                ..
            }
        ),
        "{refused:?}"
    );
}

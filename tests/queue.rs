//! The queue against a real server: a visitor who asked for a person and then left without a
//! word leaves the queue as abandoned (so a closed tab never holds an agent's seat), while one
//! who left a message for the person stays in it.

mod common;

use common::live::visitor_waiting;
use common::{Build, hear, say, serve_configured};
use ito_protocol::chat::{ConversationStatus, ServerToVisitor, VisitorToServer};

#[tokio::test]
async fn a_silent_visitor_who_left_is_abandoned_and_a_left_message_stays() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        config.server.limits.queue_abandon_secs = 1;
    })
    .await;
    let (silent, gone, _) = visitor_waiting(&server).await;
    let (mut writer, kept, _) = visitor_waiting(&server).await;
    let (_still_here, staying, _) = visitor_waiting(&server).await;
    say(
        &mut writer,
        &VisitorToServer::Send {
            id: "left-1".parse().unwrap(),
            text: "Please call me back about order 42".into(),
        },
    )
    .await;
    while !matches!(hear(&mut writer).await, ServerToVisitor::Ack { .. }) {}
    drop((silent, writer));

    let db = &server.state.db;
    // The sweep runs every second; the server takes its time, nothing here is about speed.
    let mut abandoned = false;
    for _ in 0..200 {
        if status(db, &gone).await == ConversationStatus::Ended {
            abandoned = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(abandoned, "the silent visitor who left was abandoned");
    assert_eq!(
        status(db, &kept).await,
        ConversationStatus::Waiting,
        "a left message waits"
    );
    assert_eq!(
        status(db, &staying).await,
        ConversationStatus::Waiting,
        "a connected visitor waits"
    );
    // Counted as abandonment: ended before anyone joined.
    let events = ito::store::events::events_after(db, &gone, 0, 100)
        .await
        .unwrap();
    assert!(matches!(
        events.last().unwrap().kind,
        ito_protocol::chat::EventKind::Ended
    ));
}

async fn status(
    db: &ito::store::Store,
    conversation: &ito_protocol::chat::ConversationId,
) -> ConversationStatus {
    ito::store::events::status_of(db, conversation)
        .await
        .unwrap()
        .0
}

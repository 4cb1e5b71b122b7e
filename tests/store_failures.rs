//! When the store fails: the client hears an `internal` error (never silence), nothing is left
//! half done (a claim without its `AgentJoined`), and a retry after the store recovers works.
//! The failures are real ones: a trigger makes SQLite refuse every new event.

mod common;

use common::live::{agent, server_and_store, signed_in, skip_inbox, visitor_waiting};
use common::{hear, say};
use ito_protocol::chat::{
    AgentToServer, ConversationStatus, ErrorCode, EventKind, ServerToAgent, ServerToVisitor,
    VisitorToServer,
};

/// Makes every insert of an event fail, as a full disk would, or stop failing.
async fn refuse_events(store: &ito::store::Store, refuse: bool) {
    let statements: &[&str] = match (store, refuse) {
        (ito::store::Store::Sqlite(_), true) => &[
            "CREATE TRIGGER disk_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        ],
        (ito::store::Store::Sqlite(_), false) => &["DROP TRIGGER disk_full"],
        (ito::store::Store::Postgres(_), true) => &[
            "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
            "CREATE TRIGGER disk_full BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION disk_full()",
        ],
        (ito::store::Store::Postgres(_), false) => &[
            "DROP TRIGGER disk_full ON events",
            "DROP FUNCTION disk_full()",
        ],
    };
    for statement in statements {
        common::execute(store, statement).await;
    }
}

#[tokio::test]
async fn a_failed_store_is_told_to_the_visitor_as_internal() {
    let (_dir, server, pool) = server_and_store().await;
    let (mut visitor, _) = common::live::greeted(&server, None, 0, None).await;
    refuse_events(&pool, true).await;
    say(
        &mut visitor,
        &VisitorToServer::Send {
            id: "m1".parse().unwrap(),
            text: "hello?".into(),
        },
    )
    .await;
    match hear(&mut visitor).await {
        ServerToVisitor::Error {
            code: ErrorCode::Internal,
            message,
        } => {
            assert!(message.contains("reconnect to try again"), "{message}");
            assert!(!message.contains("disk full"), "no internals: {message}");
        }
        other => panic!("expected an internal error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_claim_that_cannot_store_its_event_changes_nothing_and_can_be_retried() {
    let (_dir, server, pool) = server_and_store().await;
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    refuse_events(&pool, true).await;
    let claim = AgentToServer::Claim {
        conversation: conversation.clone(),
    };
    say(&mut ann, &claim).await;
    assert!(matches!(
        skip_inbox(&mut ann).await,
        ServerToAgent::Error {
            code: ErrorCode::Internal,
            ..
        }
    ));
    let (status, agent_now) = ito::store::events::status_of(&pool, &conversation)
        .await
        .unwrap();
    assert_eq!(
        (status, agent_now),
        (ConversationStatus::Waiting, None),
        "no claim without its event"
    );

    refuse_events(&pool, false).await;
    let mut ann = agent(&server, &cookie).await;
    say(&mut ann, &claim).await;
    assert!(matches!(
        skip_inbox(&mut ann).await,
        ServerToAgent::Claimed { .. }
    ));
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && matches!(event.kind, EventKind::AgentJoined { .. })
        {
            break;
        }
    }
}

#[tokio::test]
async fn an_agent_catches_up_on_more_events_than_one_read_holds() {
    let (_dir, server, pool) = server_and_store().await;
    let (_visitor, conversation, _) = visitor_waiting(&server).await;
    for n in 0..1_200 {
        let kind = EventKind::Read {
            by_agent: false,
            up_to: n,
        };
        ito::store::events::append(&pool, &conversation, &kind, 0)
            .await
            .unwrap();
    }
    let last = ito::store::events::events_after(&pool, &conversation, 0, 10_000)
        .await
        .unwrap()
        .last()
        .unwrap()
        .seq;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    say(&mut ann, &AgentToServer::Open { conversation }).await;
    let mut newest = 0;
    while newest < last {
        if let ServerToAgent::Event { event, .. } = skip_inbox(&mut ann).await {
            assert_eq!(event.seq, newest + 1, "in order, none skipped");
            newest = event.seq;
        }
    }
}

//! The hub holds only conversations someone is listening to now: after many visitors came,
//! talked and left, and an agent followed some of them and left, its map is empty again.

mod common;

use common::live::{agent, greeted, signed_in};
use common::{Build, hear, say, serve_configured};
use ito_protocol::chat::{AgentToServer, ServerToVisitor, VisitorToServer};

#[tokio::test]
async fn the_hub_forgets_conversations_nobody_listens_to() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        // All 200 visitors come from 127.0.0.1.
        config.server.limits.conversations_per_address_per_hour = 1_000;
    })
    .await;
    let pool = server.state.db.clone();
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    for n in 0..200 {
        let (mut visitor, welcome) = greeted(&server, None, 0, None).await;
        let ServerToVisitor::Welcome { conversation, .. } = welcome else {
            panic!("a welcome")
        };
        say(
            &mut visitor,
            &VisitorToServer::Send {
                id: "m1".parse().unwrap(),
                text: format!("visitor {n} here"),
            },
        )
        .await;
        assert!(matches!(
            hear(&mut visitor).await,
            ServerToVisitor::Ack { .. }
        ));
        if n % 10 == 0 {
            say(&mut ann, &AgentToServer::Open { conversation }).await;
        }
        say(&mut visitor, &VisitorToServer::End).await;
        drop(visitor);
    }
    assert!(
        server.state.hub.conversations_listened() > 0,
        "Ann still follows some"
    );
    drop(ann);
    // The server notices the closed sockets in its own time; nothing here is about speed.
    let mut left = usize::MAX;
    for _ in 0..1_000 {
        left = server.state.hub.conversations_listened();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(left, 0, "every channel went with its last listener");
}

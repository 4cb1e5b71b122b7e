//! `[server.limits]` against a real server: the per-address and per-visitor connection limits
//! are the configured ones, and a silent connection is closed after the idle timeout while a
//! live one (which answers the server's pings, as browsers do) stays.

mod common;

use common::live::{greeted, server_with};
use common::{Server, Socket, connect, hear, say};
use futures_util::StreamExt;
use ito::live::limits::Limits;
use ito_protocol::chat::{ErrorCode, ServerToVisitor, VisitorToServer};

async fn visitor(server: &Server, token: Option<String>) -> (Socket, ServerToVisitor) {
    greeted(server, token, 0, None).await
}

#[tokio::test]
async fn a_visitor_may_keep_only_so_many_connections_to_one_conversation() {
    let (_dir, server) = server_with(Limits {
        connections_per_visitor: 2,
        ..Limits::default()
    })
    .await;
    let (first, welcome) = visitor(&server, None).await;
    let ServerToVisitor::Welcome { token, .. } = welcome else {
        panic!("a welcome")
    };
    let (_second, welcome) = visitor(&server, Some(token.clone())).await;
    assert!(matches!(welcome, ServerToVisitor::Welcome { .. }));
    let (_third, refused) = visitor(&server, Some(token.clone())).await;
    assert!(
        matches!(
            refused,
            ServerToVisitor::Error {
                code: ErrorCode::TooManyConnections,
                ..
            }
        ),
        "{refused:?}"
    );
    // Closing one gives its place back.
    drop(first);
    let mut welcomed = false;
    for _ in 0..100 {
        if let (_, ServerToVisitor::Welcome { .. }) = visitor(&server, Some(token.clone())).await {
            welcomed = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(welcomed, "a place came back");
}

#[tokio::test]
async fn the_per_address_limit_is_the_configured_one() {
    let (_dir, server) = server_with(Limits {
        connections_per_address: 2,
        ..Limits::default()
    })
    .await;
    let _open = [visitor(&server, None).await, visitor(&server, None).await];
    let refused = connect(&server, "/sites/demo/chat", &server.url, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 429),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_one_that_answers_pings_stays() {
    let (_dir, server) = server_with(Limits {
        idle_timeout_secs: 1,
        ..Limits::default()
    })
    .await;
    let (mut silent, _) = visitor(&server, None).await;
    let (mut alive, _) = visitor(&server, None).await;

    // The live one keeps reading, so the client library answers the server's pings.
    let keep_alive = tokio::spawn(async move {
        let mut pings = 0;
        while pings < 6 {
            match alive.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Ping(_))) => pings += 1,
                Some(Ok(_)) => {}
                other => panic!("the live connection ended: {other:?}"),
            }
        }
        alive
    });
    // Meanwhile the silent one reads nothing, so it answers nothing.
    let mut alive = keep_alive.await.unwrap();

    let mut heard_idle = false;
    while let Some(Ok(message)) = silent.next().await {
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            let frame: ServerToVisitor = serde_json::from_str(&text).unwrap();
            heard_idle |= matches!(
                frame,
                ServerToVisitor::Error {
                    code: ErrorCode::Idle,
                    ..
                }
            );
        }
    }
    assert!(heard_idle, "told why, then closed");
    say(&mut alive, &VisitorToServer::Ping).await;
    loop {
        if let ServerToVisitor::Pong = hear(&mut alive).await {
            break;
        }
    }
}

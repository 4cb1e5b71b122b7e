//! A real `ito serve` process killed with SIGKILL in the middle of a conversation, and the
//! visitor back on the same database (SQLite: the node started again; PostgreSQL: another
//! node): every message it acknowledged is there once, with the number it was acknowledged
//! with, and the ones it never acknowledged, sent again, are stored once.

mod common;

use std::collections::BTreeMap;

use common::serve_process;
use futures_util::{SinkExt, StreamExt};
use ito_protocol::chat::{EventKind, ServerToVisitor, VisitorToServer};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(url: &str) -> Socket {
    let mut request = format!("{}/sites/demo/chat", url.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert("origin", url.parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn say(socket: &mut Socket, frame: &VisitorToServer) -> bool {
    let text = serde_json::to_string(frame).unwrap();
    socket.send(Message::Text(text.into())).await.is_ok()
}

/// The next frame, or `None` once the connection is gone.
async fn next(socket: &mut Socket) -> Option<ServerToVisitor> {
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).ok();
        }
    }
}

fn message(n: usize) -> VisitorToServer {
    VisitorToServer::Send {
        id: format!("m{n}").parse().unwrap(),
        text: format!("message {n}"),
    }
}

#[tokio::test]
async fn a_server_killed_mid_conversation_loses_nothing_acknowledged_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ito.toml");
    let database = ito::store::testing::fresh_location(dir.path())
        .await
        .as_given();
    std::fs::write(
        &config,
        format!(
            "{}\n[server.limits]\nmessage_burst = 1000\nmessages_per_second = 1000.0\n",
            include_str!("../examples/ito.toml").replace(
                "database = \"target/demo/ito.sqlite3\"",
                &format!("database = {database:?}")
            )
        ),
    )
    .unwrap();
    let mut server = serve_process(&config);
    // On PostgreSQL a second node serves the same database all along, and the visitor goes
    // there; on SQLite the one node is started again.
    let other_node = ito::store::testing::postgres_server().map(|_| serve_process(&config));
    let mut socket = open(&server.url).await;
    say(
        &mut socket,
        &VisitorToServer::Hello {
            version: 1,
            token: None,
            last_seq: 0,
            visitor: None,
        },
    )
    .await;
    say(&mut socket, &VisitorToServer::Start).await;
    let Some(ServerToVisitor::Welcome { token, .. }) = next(&mut socket).await else {
        panic!("a welcome")
    };
    const SENT: usize = 300;
    // Acknowledgements are read as they come: after the kill, the connection's reset may
    // throw away what was still unread.
    let (mut sink, mut stream) = socket.split();
    let heard = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = heard.clone();
    let reader = tokio::spawn(async move {
        let mut acknowledged = BTreeMap::new();
        while let Ok(Some(Ok(frame))) =
            tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await
        {
            if let Message::Text(text) = frame
                && let Ok(ServerToVisitor::Ack { id, seq }) = serde_json::from_str(&text)
            {
                acknowledged.insert(id.as_str().to_owned(), seq);
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        acknowledged
    });
    for n in 0..SENT {
        let text = serde_json::to_string(&message(n)).unwrap();
        sink.send(Message::Text(text.into())).await.unwrap();
    }
    // Kill it while messages are in flight: once some are acknowledged, and (sending being
    // quicker than storing) while others are not yet.
    let mut waited = 0;
    while heard.load(std::sync::atomic::Ordering::SeqCst) < 30 && waited < 10_000 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        waited += 1;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let acknowledged = reader.await.unwrap();
    assert!(
        !acknowledged.is_empty(),
        "some were acknowledged before the kill"
    );
    // How many were still in flight depends on the machine; the promise does not.
    eprintln!(
        "killed with {} of {SENT} messages acknowledged",
        acknowledged.len()
    );

    // Same database, a new process; the visitor reconnects and sends everything again, as
    // the widget's outbox does for whatever was not acknowledged.
    let mut restarted = other_node.unwrap_or_else(|| serve_process(&config));
    let mut socket = open(&restarted.url).await;
    say(
        &mut socket,
        &VisitorToServer::Hello {
            version: 1,
            token: Some(token),
            last_seq: 0,
            visitor: None,
        },
    )
    .await;
    let mut stored: BTreeMap<String, u64> = BTreeMap::new();
    let mut seqs = Vec::new();
    for n in 0..SENT {
        assert!(say(&mut socket, &message(n)).await);
    }
    let (mut acks, mut newest_ack) = (0, 0);
    // Until every resend is answered and every event up to the newest answer has come.
    while acks < SENT || seqs.last().copied().unwrap_or(0) < newest_ack {
        match next(&mut socket)
            .await
            .expect("the restarted server answers")
        {
            ServerToVisitor::Event(event) => {
                if let EventKind::Message { id, .. } = event.kind {
                    assert!(
                        stored.insert(id.as_str().to_owned(), event.seq).is_none(),
                        "{id} stored twice"
                    );
                    seqs.push(event.seq);
                }
            }
            ServerToVisitor::Ack { id, seq } => {
                acks += 1;
                newest_ack = newest_ack.max(seq);
                if let Some(before) = acknowledged.get(id.as_str()) {
                    assert_eq!(
                        *before, seq,
                        "{id} keeps the number it was acknowledged with"
                    );
                }
            }
            _ => {}
        }
    }
    for (id, seq) in &acknowledged {
        assert_eq!(
            stored.get(id),
            Some(seq),
            "acknowledged {id} survived the kill"
        );
    }
    assert_eq!(stored.len(), SENT, "every message once");
    assert_eq!(
        seqs,
        (1..=SENT as u64).collect::<Vec<_>>(),
        "numbered without gaps"
    );
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
}

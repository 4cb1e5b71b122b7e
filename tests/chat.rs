//! The visitor's live-chat WebSocket, spoken to by real WebSocket clients on 127.0.0.1.

mod common;

use common::{Build, Server, Socket, serve_in};
use futures_util::{SinkExt, StreamExt};
use ito_protocol::chat::{ErrorCode, EventKind, ServerToVisitor, VisitorToServer};
use tokio_tungstenite::tungstenite;

/// Connects to the demo site's chat as a page on `origin` would.
async fn connect(server: &Server, origin: &str) -> Result<Socket, tungstenite::Error> {
    common::connect(server, "/sites/demo/chat", origin, &[]).await
}

/// The server's own origin: what the demo site (allowed_origins = ["self"]) accepts.
fn own_origin(server: &Server) -> String {
    server.url.clone()
}

async fn say(socket: &mut Socket, frame: VisitorToServer) {
    common::say(socket, &frame).await
}

async fn hear(socket: &mut Socket) -> ServerToVisitor {
    common::hear(socket).await
}

fn send(id: &str, text: &str) -> VisitorToServer {
    VisitorToServer::Send {
        id: id.parse().unwrap(),
        text: text.into(),
    }
}

fn hello(token: Option<String>, last_seq: u64) -> VisitorToServer {
    VisitorToServer::Hello {
        version: 1,
        token,
        last_seq,
        visitor: None,
    }
}

/// Says hello and returns the conversation's token.
async fn start(socket: &mut Socket, token: Option<String>, last_seq: u64) -> String {
    say(socket, hello(token, last_seq)).await;
    say(socket, VisitorToServer::Start).await;
    match hear(socket).await {
        ServerToVisitor::Welcome { token, .. } => token,
        other => panic!("expected a welcome, got {other:?}"),
    }
}

/// Reads frames until the ack for `id`, returning its sequence number and the events seen.
async fn ack_of(socket: &mut Socket, id: &str) -> (u64, Vec<u64>) {
    let mut events = Vec::new();
    loop {
        match hear(socket).await {
            ServerToVisitor::Ack { id: acked, seq } if acked.as_str() == id => {
                return (seq, events);
            }
            ServerToVisitor::Event(event) => events.push(event.seq),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_resent_message_is_stored_once_and_acknowledged_with_its_original_number() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let mut socket = connect(&server, &own_origin(&server)).await.unwrap();
    start(&mut socket, None, 0).await;
    say(&mut socket, send("m1", "Where is my order?")).await;
    let (first, _) = ack_of(&mut socket, "m1").await;
    say(&mut socket, send("m1", "Where is my order?")).await;
    let (again, _) = ack_of(&mut socket, "m1").await;
    assert_eq!((first, again), (1, 1));
    say(&mut socket, send("m2", "Order 42")).await;
    let (second, _) = ack_of(&mut socket, "m2").await;
    assert_eq!(second, 2, "the resend took no number");
}

#[tokio::test]
async fn a_reconnecting_visitor_gets_exactly_what_it_missed() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let mut first = connect(&server, &own_origin(&server)).await.unwrap();
    let token = start(&mut first, None, 0).await;
    for i in 1..=4 {
        say(&mut first, send(&format!("m{i}"), "hello")).await;
        ack_of(&mut first, &format!("m{i}")).await;
    }
    drop(first);
    let mut second = connect(&server, &own_origin(&server)).await.unwrap();
    start(&mut second, Some(token), 2).await;
    let mut replayed = Vec::new();
    for _ in 0..2 {
        match hear(&mut second).await {
            ServerToVisitor::Event(event) => replayed.push(event),
            other => panic!("expected the missed events, got {other:?}"),
        }
    }
    assert_eq!(replayed.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    assert!(matches!(&replayed[0].kind, EventKind::Message { id, .. } if id.as_str() == "m3"));
    say(&mut second, VisitorToServer::Ping).await;
    assert_eq!(
        hear(&mut second).await,
        ServerToVisitor::Pong,
        "then nothing more"
    );
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_when_the_server_dies() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let mut socket = connect(&server, &own_origin(&server)).await.unwrap();
    let token = start(&mut socket, None, 0).await;
    say(&mut socket, send("m1", "kept")).await;
    ack_of(&mut socket, "m1").await;
    server.kill();
    drop(socket);

    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let mut socket = connect(&server, &own_origin(&server)).await.unwrap();
    start(&mut socket, Some(token), 0).await;
    match hear(&mut socket).await {
        ServerToVisitor::Event(event) => assert!(
            matches!(&event.kind, EventKind::Message { text, .. } if text == "kept"),
            "{event:?}"
        ),
        other => panic!("expected the stored message, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_origins_forged_tokens_and_bad_frames_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let refused = connect(&server, "https://evil.example").await.unwrap_err();
    assert!(
        matches!(&refused, tungstenite::Error::Http(response) if response.status() == 403),
        "{refused:?}"
    );

    let mut socket = connect(&server, &own_origin(&server)).await.unwrap();
    let token = start(&mut socket, None, 0).await;
    let forged = format!("{}x", &token[..token.len() - 1]);
    let mut other = connect(&server, &own_origin(&server)).await.unwrap();
    say(&mut other, hello(Some(forged), 0)).await;
    assert!(matches!(
        hear(&mut other).await,
        ServerToVisitor::Error {
            code: ErrorCode::StaleToken,
            ..
        }
    ));

    let mut late = connect(&server, &own_origin(&server)).await.unwrap();
    say(&mut late, send("m1", "no hello")).await;
    assert!(matches!(
        hear(&mut late).await,
        ServerToVisitor::Error {
            code: ErrorCode::Version,
            ..
        }
    ));

    // An oversized message gets an error frame; the connection carries on.
    say(&mut socket, send("big", &"x".repeat(64 * 1024 + 1))).await;
    assert!(matches!(
        hear(&mut socket).await,
        ServerToVisitor::Error {
            code: ErrorCode::TooLarge,
            ..
        }
    ));
    socket
        .send(tungstenite::Message::Text("{not json".into()))
        .await
        .unwrap();
    assert!(matches!(
        hear(&mut socket).await,
        ServerToVisitor::Error {
            code: ErrorCode::Malformed,
            ..
        }
    ));
    say(&mut socket, send("m1", "still here")).await;
    assert_eq!(ack_of(&mut socket, "m1").await.0, 1);
}

#[tokio::test]
async fn an_expired_token_and_another_sites_token_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let mut socket = connect(&server, &own_origin(&server)).await.unwrap();
    let token = start(&mut socket, None, 0).await;
    let conversation: ito_protocol::chat::ConversationId =
        token.split('.').next().unwrap().parse().unwrap();

    // The server's own key, as a token from 31 days ago would have been signed.
    let pool = server.state.db.clone();
    let key =
        ito::live::token::TokenKey::new(ito::store::settings::token_secret(&pool).await.unwrap());
    let month_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - ito::live::token::TOKEN_LIFETIME_SECS
        - 24 * 3600;
    let expired = key.sign(&conversation, month_ago);
    let mut late = connect(&server, &own_origin(&server)).await.unwrap();
    say(&mut late, hello(Some(expired), 0)).await;
    match hear(&mut late).await {
        ServerToVisitor::Error {
            code: ErrorCode::StaleToken,
            message,
        } => assert!(message.contains("expired"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // A genuine token of the demo site does not open the chat of another site.
    let url = format!(
        "{}/sites/demo-ja/chat",
        server.url.replace("http://", "ws://")
    );
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    request
        .headers_mut()
        .insert("origin", own_origin(&server).parse().unwrap());
    let (mut elsewhere, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    say(&mut elsewhere, hello(Some(token), 0)).await;
    assert!(matches!(
        hear(&mut elsewhere).await,
        ServerToVisitor::Error {
            code: ErrorCode::StaleToken,
            ..
        }
    ));
}

#[tokio::test]
async fn a_flood_gets_rate_limited_and_the_connection_survives() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let mut socket = connect(&server, &own_origin(&server)).await.unwrap();
    start(&mut socket, None, 0).await;
    for i in 0..30 {
        say(&mut socket, send(&format!("f{i}"), "spam")).await;
    }
    say(&mut socket, VisitorToServer::Ping).await;
    let (mut acked, mut limited) = (0, 0);
    loop {
        match hear(&mut socket).await {
            ServerToVisitor::Ack { .. } => acked += 1,
            ServerToVisitor::Error {
                code: ErrorCode::RateLimited,
                message,
            } => {
                assert!(message.starts_with("too many messages: wait "), "{message}");
                limited += 1;
            }
            ServerToVisitor::Pong => break,
            ServerToVisitor::Event(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        acked + limited,
        30,
        "every message is answered one way or the other"
    );
    assert!(
        limited > 0 && acked >= 10,
        "acked {acked}, limited {limited}"
    );
}

#[tokio::test]
async fn one_address_may_hold_only_so_many_connections() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let mut open = Vec::new();
    for _ in 0..ito::live::limits::Limits::default().connections_per_address {
        open.push(connect(&server, &own_origin(&server)).await.unwrap());
    }
    let refused = connect(&server, &own_origin(&server)).await.unwrap_err();
    assert!(
        matches!(&refused, tungstenite::Error::Http(response) if response.status() == 429),
        "{refused:?}"
    );
    // Closing one gives its place back (once the server has seen it go).
    let mut closing = open.pop().unwrap();
    closing.close(None).await.unwrap();
    while closing.next().await.is_some() {}
    let mut again = None;
    for _ in 0..100 {
        match connect(&server, &own_origin(&server)).await {
            Ok(socket) => {
                again = Some(socket);
                break;
            }
            Err(_) => tokio::task::yield_now().await,
        }
    }
    assert!(again.is_some(), "a place came back");
}

//! Slow and idle clients: one dribbling its headers a byte at a time, or keeping a connection
//! open without a request, is dropped after `header_read_timeout_secs` while others are served;
//! beyond `max_connections`, new connections are closed at once until a place frees.

mod common;

use std::time::Duration;

use common::{Build, Server, serve_configured};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn server(
    configure: impl FnOnce(&mut ito::live::limits::Limits),
) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        configure(&mut config.server.limits)
    })
    .await;
    (dir, server)
}

fn address(server: &Server) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

/// Whether the server closed `stream` (a read gives end of file or an error) within `patience`.
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> bool {
    let mut byte = [0u8; 1024];
    loop {
        match tokio::time::timeout(patience, stream.read(&mut byte)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn a_client_dribbling_its_headers_is_dropped_while_others_are_served() {
    let (_dir, server) = server(|limits| limits.header_read_timeout_secs = 1).await;
    let mut slow = TcpStream::connect(address(&server)).await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut dropped = false;
    for byte in request.iter().cycle().take(200) {
        if slow.write_all(&[*byte]).await.is_err() {
            dropped = true;
            break;
        }
        // Meanwhile everyone else is answered.
        let health = reqwest::get(format!("{}/healthz", server.url))
            .await
            .unwrap();
        assert_eq!(health.status().as_u16(), 200);
        if closed_within(&mut slow, Duration::from_millis(100)).await {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "20 s of dribbled headers and still connected");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let (_dir, server) = server(|limits| limits.header_read_timeout_secs = 1).await;
    let mut idle = TcpStream::connect(address(&server)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let n = idle.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    // Kept alive, then nothing more: closed once the header timeout passes.
    assert!(closed_within(&mut idle, Duration::from_secs(10)).await);
}

#[tokio::test]
async fn beyond_the_connection_cap_new_connections_are_closed_until_a_place_frees() {
    let (_dir, server) = server(|limits| limits.max_connections = 3).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(TcpStream::connect(address(&server)).await.unwrap());
    }
    let mut fourth = TcpStream::connect(address(&server)).await.unwrap();
    assert!(
        closed_within(&mut fourth, Duration::from_secs(10)).await,
        "the fourth is closed"
    );
    drop(open.pop());
    // A place frees once the server has seen the close; nothing here is about speed.
    let mut served = false;
    for _ in 0..200 {
        if let Ok(health) = reqwest::get(format!("{}/healthz", server.url)).await
            && health.status().is_success()
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(served);
}

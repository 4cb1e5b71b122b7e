//! Behind a proxy and on a public address: `trusted_proxies` decides whose forwarding headers
//! name the client, per-address limits count IPv6 by its /64, and `public_url` makes cookies
//! `Secure` and own-origin checks independent of the `Host` header.

mod common;

use common::{Build, Server, connect, serve_configured};
use ito::site::config::Config;
use serde_json::json;
use tokio_tungstenite::tungstenite;

async fn server(configure: impl FnOnce(&mut Config)) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        config.server.limits.connections_per_address = 2;
        configure(config);
    })
    .await;
    (dir, server)
}

/// Opens the demo chat as a client the proxy says is `forwarded_for`; the HTTP status of a
/// refusal, or 101 when it opened.
async fn open_as(server: &Server, forwarded_for: &str) -> (u16, Option<common::Socket>) {
    let headers = [("x-forwarded-for", forwarded_for)];
    match connect(server, "/sites/demo/chat", &server.url, &headers).await {
        Ok(socket) => (101, Some(socket)),
        Err(tungstenite::Error::Http(response)) => (response.status().as_u16(), None),
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit_and_ipv6_counts_by_64() {
    let (_dir, server) = server(|config| {
        config.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let mut open = Vec::new();
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.1"] {
        let (status, socket) = open_as(&server, client).await;
        assert_eq!(status, 101, "{client} is its own client");
        open.extend(socket);
    }
    let (status, _) = open_as(&server, "203.0.113.1").await;
    assert_eq!(status, 429, "the third from one client");
    // A client's own X-Forwarded-For in front of the proxy's entry changes nothing.
    let (status, _) = open_as(&server, "198.51.100.9, 203.0.113.1").await;
    assert_eq!(status, 429);
    // Addresses of one /64 are one client; the next /64 is another.
    for client in ["2001:db8:0:1::1", "2001:db8:0:1:ffff::2"] {
        let (status, socket) = open_as(&server, client).await;
        assert_eq!(status, 101);
        open.extend(socket);
    }
    assert_eq!(open_as(&server, "2001:db8:0:1:abcd::3").await.0, 429);
    assert_eq!(open_as(&server, "2001:db8:0:2::1").await.0, 101);
}

#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let (_dir, server) = server(|_| {}).await;
    let (a, _first) = open_as(&server, "203.0.113.1").await;
    let (b, _second) = open_as(&server, "203.0.113.2").await;
    assert_eq!((a, b), (101, 101));
    let (status, _) = open_as(&server, "203.0.113.3").await;
    assert_eq!(
        status, 429,
        "all three are the peer 127.0.0.1, whatever they claim"
    );
}

async fn sign_in(server: &Server, origin: &str, host: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/v1/login", server.url))
        .header("origin", origin)
        .json(&json!({"email": "demo@ito.example", "password": "not the password"}));
    if let Some(host) = host {
        request = request.header("host", host);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn with_an_https_public_url_cookies_are_secure_and_only_its_origin_is_own() {
    let (_dir, server) = server(|config| {
        config.server.public_url = Some("https://chat.example.com".to_owned().try_into().unwrap());
    })
    .await;
    ito::store::agents::add(
        &server.state.db,
        "ann@shop.example",
        "Ann",
        "correct horse",
        ito::store::agents::Role::Agent,
    )
    .await
    .unwrap();
    let login = |origin: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/login", server.url))
            .header("origin", origin)
            .json(&json!({"email": "ann@shop.example", "password": "correct horse"}))
            .send()
    };
    let response = login("https://chat.example.com").await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure;"), "{cookie}");
    // The Host header it came in on no longer makes an origin this server's own.
    let own_host = server.url.clone();
    let response = sign_in(&server, &own_host, None).await;
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test]
async fn without_a_public_url_a_host_name_is_not_trusted_as_own_dns_rebinding() {
    let (_dir, server) = server(|_| {}).await;
    let port = server.url.rsplit(':').next().unwrap();
    // A page on an attacker's name, rebound to this server's address.
    let rebound = format!("rebound.example:{port}");
    let response = sign_in(&server, &format!("http://{rebound}"), Some(&rebound)).await;
    assert_eq!(response.status().as_u16(), 403);
    // The address itself still is (the demo, a test): a wrong password is a 401, not a 403.
    let response = sign_in(&server, &server.url, None).await;
    assert_eq!(response.status().as_u16(), 401);
}

//! A real nginx, with `examples/nginx.conf` (its TLS listener swapped for plain loopback), in
//! front of Ito: 30 visitors from 30 loopback addresses are all served although Ito allows
//! only 3 connections per address, because Ito believes nginx's `X-Forwarded-For`; a
//! visitor's own `X-Forwarded-For`, through nginx or straight to Ito, changes nothing.
//!
//! nginx comes from `cargo xtask setup` (Debian's package). `cargo xtask test` sets `ITO_NGINX`
//! and then a missing nginx fails the test; a plain `cargo test` without nginx says it skipped.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{Build, Server, serve_configured};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const NGINX: &str = "/usr/sbin/nginx";

struct Nginx {
    child: Child,
    port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example config, made to run here: listening on a free loopback port without TLS,
/// sending to `ito`, keeping its files in `dir`.
fn nginx_config(ito: SocketAddr, port: u16, dir: &Path) -> String {
    let example = include_str!("../examples/nginx.conf");
    let https = example
        .split("    server {\n        listen 80;")
        .next()
        .expect("the example has an http server block")
        .trim_end()
        .to_owned()
        + "\n}\n";
    let config = https
        .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{port};"))
        .replace("server 127.0.0.1:8080;", &format!("server {ito};"));
    let config: Vec<&str> = config
        .lines()
        .filter(|l| !l.contains("ssl_certificate") && !l.contains("http2 on;"))
        .collect();
    let d = dir.display();
    format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log;\n{}\n",
        config.join("\n").replace(
            "http {",
            &format!(
                "http {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;"
            )
        )
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_nginx(ito: SocketAddr, dir: &Path) -> Option<Nginx> {
    if !Path::new(NGINX).exists() {
        assert!(
            std::env::var_os("ITO_NGINX").is_none(),
            "nginx is missing: run `cargo xtask setup --browser`"
        );
        eprintln!("skipped: no nginx at {NGINX} (cargo xtask setup --browser installs it)");
        return None;
    }
    let port = free_port();
    let config = dir.join("nginx.conf");
    std::fs::write(&config, nginx_config(ito, port, dir)).unwrap();
    let child = Command::new(NGINX)
        .args(["-p", dir.to_str().unwrap(), "-c", config.to_str().unwrap()])
        .args(["-g", "daemon off; master_process off; user root;"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx starts");
    let nginx = Nginx { child, port };
    // Ready once it accepts connections.
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(nginx);
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!(
        "nginx did not start: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
}

/// A chat connection from loopback address `from` to `port`, with an `X-Forwarded-For` of
/// the client's own if given; the HTTP status (101 when the socket opened).
async fn open_from(
    from: Ipv4Addr,
    port: u16,
    origin: &str,
    forged: Option<&str>,
) -> (u16, Option<common::Socket>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((from, 0).into()).unwrap();
    let stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let mut request = format!("ws://127.0.0.1:{port}/sites/demo/chat")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    if let Some(forged) = forged {
        request
            .headers_mut()
            .insert("x-forwarded-for", forged.parse().unwrap());
    }
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((socket, _)) => (101, Some(socket)),
        Err(tungstenite::Error::Http(response)) => (response.status().as_u16(), None),
        Err(other) => panic!("{other}"),
    }
}

async fn ito_behind_a_proxy(dir: &Path) -> Server {
    serve_configured(dir, Build { front_ends: false }, |config| {
        config.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        config.server.limits.connections_per_address = 3;
        config.server.limits.conversations_per_address_per_hour = 100;
    })
    .await
}

#[tokio::test]
async fn thirty_visitors_through_nginx_are_served_and_forged_addresses_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = ito_behind_a_proxy(dir.path()).await;
    let ito: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let nginx_dir = tempfile::tempdir().unwrap();
    let Some(nginx) = start_nginx(ito, nginx_dir.path()).await else {
        return;
    };
    // The widget's page is on the address people use, nginx's (which passes the Host on, so
    // the demo site's "self" origin is that address).
    let origin = format!("http://127.0.0.1:{}", nginx.port);
    let mut open = Vec::new();
    for n in 0..30 {
        let (status, socket) =
            open_from(Ipv4Addr::new(127, 0, 1, n + 1), nginx.port, &origin, None).await;
        assert_eq!(status, 101, "visitor {n} through nginx");
        open.extend(socket);
    }
    // One visitor claiming a new address each time, through nginx: still one visitor.
    let forger = Ipv4Addr::new(127, 0, 2, 1);
    for n in 0..3 {
        let forged = format!("198.51.100.{n}");
        let (status, socket) = open_from(forger, nginx.port, &origin, Some(&forged)).await;
        assert_eq!(status, 101);
        open.extend(socket);
    }
    let (status, _) = open_from(forger, nginx.port, &origin, Some("198.51.100.99")).await;
    assert_eq!(status, 429, "nginx replaced the visitor's X-Forwarded-For");
    // Straight to Ito from an address that is not a trusted proxy: the header is ignored.
    let direct = Ipv4Addr::new(127, 0, 3, 1);
    let own = server.url.clone();
    for n in 0..3 {
        let forged = format!("203.0.113.{n}");
        let (status, socket) = open_from(direct, ito.port(), &own, Some(&forged)).await;
        assert_eq!(status, 101);
        open.extend(socket);
    }
    let (status, _) = open_from(direct, ito.port(), &own, Some("203.0.113.99")).await;
    assert_eq!(
        status, 429,
        "an untrusted peer's X-Forwarded-For does not change its address"
    );
    drop(nginx);
}

//! Agents who sign out, change their password or leave the company: their open consoles close
//! within a second (the socket checks its session every second), a removed agent cannot sign
//! in and what they had goes to someone else, and expired sessions are purged. The commands
//! are run as the `ito` binary, on the running server's database, as an admin would.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::live::{agent, signed_in, skip_inbox, visitor_handed_off};
use common::{Build, Server, Socket, hear, say, serve_configured};
use ito_protocol::chat::{AgentToServer, ErrorCode, EventKind, ServerToAgent, ServerToVisitor};

async fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        // The sweep (requeue, purge) runs every second.
        config.server.limits.queue_abandon_secs = 10;
    })
    .await;
    (dir, server)
}

/// Runs `ito agent ...` on the server's database, with `stdin` as standard input.
fn ito_agent(server: &Server, args: &[&str], stdin: &str) -> String {
    let database = server.state.config.server.database.as_given();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ito"))
        .arg("agent")
        .args(args)
        .args(["--database", &database])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Reads the agent's frames until the server says the session ended and closes.
async fn session_ends(socket: &mut Socket) {
    loop {
        if let ServerToAgent::Error {
            code: ErrorCode::Unauthorized,
            message,
        } = hear::<ServerToAgent>(socket).await
        {
            assert!(message.contains("sign in again"), "{message}");
            return;
        }
    }
}

async fn sign_in(server: &Server, email: &str, password: &str) -> u16 {
    common::live::sign_in(server, email, password)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn signing_out_closes_the_open_console() {
    let (_dir, server) = server().await;
    let cookie = signed_in(&server, &server.state.db, "ann@shop.example").await;
    let mut console = agent(&server, &cookie).await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/logout", server.url))
        .header("origin", &server.url)
        .header("content-type", "application/json")
        .header("cookie", &cookie)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    session_ends(&mut console).await;
}

#[tokio::test]
async fn a_new_password_ends_every_session() {
    let (_dir, server) = server().await;
    let cookie = signed_in(&server, &server.state.db, "ann@shop.example").await;
    let mut console = agent(&server, &cookie).await;
    let said = ito_agent(
        &server,
        &["password", "--email", "ann@shop.example"],
        "a brand new secret\n",
    );
    assert!(said.contains("every session ended"), "{said}");
    session_ends(&mut console).await;
    assert_eq!(
        sign_in(&server, "ann@shop.example", "correct horse").await,
        401
    );
    assert_eq!(
        sign_in(&server, "ann@shop.example", "a brand new secret").await,
        200
    );
}

#[tokio::test]
async fn a_removed_agent_is_signed_out_everywhere_and_their_visitor_goes_to_someone_else() {
    let (_dir, server) = server().await;
    let db = server.state.db.clone();
    let ann_cookie = signed_in(&server, &db, "ann@shop.example").await;
    let mut ann = agent(&server, &ann_cookie).await;
    say(&mut ann, &AgentToServer::Status { online: true }).await;
    let (mut visitor, conversation) = visitor_handed_off(&server).await;
    let holder = loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && let EventKind::AgentJoined { name, .. } = event.kind
        {
            break name;
        }
    };
    assert_eq!(holder, "ann@shop.example");
    let bob_cookie = signed_in(&server, &db, "bob@shop.example").await;
    let mut bob = agent(&server, &bob_cookie).await;
    say(&mut bob, &AgentToServer::Status { online: true }).await;

    let said = ito_agent(&server, &["remove", "--email", "ann@shop.example"], "");
    assert!(said.contains("removed ann@shop.example"), "{said}");
    session_ends(&mut ann).await;
    assert_eq!(
        sign_in(&server, "ann@shop.example", "correct horse").await,
        401
    );
    // The visitor is back in the queue and then with Bob, told each time.
    let mut requeued = false;
    let holder = loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await {
            match event.kind {
                EventKind::HandoffRequested { .. } => requeued = true,
                EventKind::AgentJoined { name, .. } => break name,
                _ => {}
            }
        }
    };
    assert!(requeued);
    assert_eq!(holder, "bob@shop.example");
    say(&mut bob, &AgentToServer::Open { conversation }).await;
    assert!(matches!(
        skip_inbox(&mut bob).await,
        ServerToAgent::Context { .. }
    ));
}

#[tokio::test]
async fn signing_an_agent_out_everywhere_and_purging_expired_sessions() {
    let (_dir, server) = server().await;
    let db = server.state.db.clone();
    let cookie = signed_in(&server, &db, "ann@shop.example").await;
    let mut console = agent(&server, &cookie).await;
    let said = ito_agent(&server, &["sign-out", "--email", "ann@shop.example"], "");
    assert!(said.contains("ended 1 sessions"), "{said}");
    session_ends(&mut console).await;

    let ann = ito::store::agents::id_by_email(&db, "ann@shop.example")
        .await
        .unwrap()
        .unwrap();
    common::execute(
        &db,
        &format!(
            "INSERT INTO sessions (token_hash, agent_id, expires_at) VALUES ('old', '{ann}', 1)"
        ),
    )
    .await;
    let mut left = 1;
    for _ in 0..200 {
        left = common::count(
            &db,
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            "old",
        )
        .await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the expired session was purged");
}

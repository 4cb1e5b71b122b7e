//! The live chat under load, on loopback: N visitors connected to a real `ito serve` (a child
//! process, so its memory is its own), of whom K are handed off to M online agents and send
//! messages at a steady total rate; the agents' consoles are real agent sockets that open
//! their conversations. Prints the visitor-to-agent latency (p50, p99, max), the messages per
//! second delivered, and the server's memory per visitor connection.
//!
//! With `--database postgres://...` and `--nodes N`, N servers share that PostgreSQL
//! database; visitors and agents are spread over them round-robin (an agent on the node after
//! its visitors'), so most messages cross from one node to another. Memory is then the sum.
//!
//! `CHAT_LOAD_TRACE=1` prints every message slower than 20 ms with its send time.
//!
//! A benchmark, not a test: it prints numbers and asserts nothing. `cargo xtask bench` runs it
//! against the release build:
//!
//! ```text
//! cargo run --release --example chat_load -- --server target/release/ito \
//!     [--visitors 5000] [--active 1000] [--agents 10] [--rate 1000] [--seconds 10] [--soak 10000]
//!     [--database postgres://user@host:port/db --nodes 2]
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use ito_protocol::chat::{
    AgentToServer, Author, ConversationId, ConversationStatus, EventKind, HandoffContext,
    HandoffReason, ServerToAgent, ServerToVisitor, VisitorToServer,
};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Args {
    server: PathBuf,
    visitors: usize,
    active: usize,
    agents: usize,
    rate: f64,
    seconds: u64,
    /// Conversations opened, talked in and ended after the run, to see memory come back.
    soak: usize,
    /// A PostgreSQL URL for the servers to share; a fresh SQLite file without it.
    database: Option<String>,
    /// How many servers.
    nodes: usize,
}

fn args() -> Args {
    let mut args = Args {
        server: PathBuf::from("target/release/ito"),
        visitors: 5000,
        active: 1000,
        agents: 10,
        rate: 1000.0,
        seconds: 10,
        soak: 10_000,
        database: None,
        nodes: 1,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || {
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("{flag} {value}?"))
        };
        match flag.as_str() {
            "--server" => args.server = PathBuf::from(&value),
            "--visitors" => args.visitors = number() as usize,
            "--active" => args.active = number() as usize,
            "--agents" => args.agents = number() as usize,
            "--rate" => args.rate = number(),
            "--seconds" => args.seconds = number() as u64,
            "--soak" => args.soak = number() as usize,
            "--database" => args.database = Some(value.clone()),
            "--nodes" => args.nodes = number() as usize,
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(args.active <= args.visitors && args.agents > 0 && args.nodes > 0);
    assert!(
        args.nodes == 1 || args.database.is_some(),
        "several nodes share a PostgreSQL database: give --database postgres://..."
    );
    args
}

/// The server's resident memory, from /proc.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The memory of every server, together.
fn rss_all(servers: &[Server]) -> u64 {
    servers.iter().map(|s| rss_bytes(s.child.id())).sum()
}

/// `args.nodes` servers on one database, with a config with the demo's sites and room for
/// every connection and conversation from this one address.
fn start_servers(args: &Args, dir: &std::path::Path) -> Vec<Server> {
    let config = dir.join("ito.toml");
    let demo = include_str!("ito.toml");
    std::fs::write(
        &config,
        format!(
            "{demo}\n[server.limits]\nconnections_per_address = {}\nconversations_per_address_per_hour = {}\n",
            args.visitors + args.agents + 2 * SOAK_BATCH + 100,
            // Every visitor's conversation starts from this one address.
            10 * args.visitors + args.soak + 100
        ),
    )
    .unwrap();
    let database = match &args.database {
        Some(url) => url.clone(),
        None => dir.join("ito.sqlite3").to_str().unwrap().to_owned(),
    };
    let capacity = args.active.div_ceil(args.agents).clamp(1, 100);
    assert!(
        capacity * args.agents >= args.active,
        "{} agents take at most {} conversations",
        args.agents,
        100 * args.agents
    );
    for n in 0..args.agents {
        let mut add = Command::new(&args.server)
            .args(["agent", "add", "--email", &format!("agent{n}@load.test")])
            .args(["--name", &format!("Agent {n}")])
            .args(["--capacity", &capacity.to_string()])
            .args(["--config", config.to_str().unwrap()])
            .args(["--database", &database])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("the ito binary runs");
        writeln!(add.stdin.take().unwrap(), "load test password").unwrap();
        assert!(add.wait().unwrap().success(), "ito agent add failed");
    }
    (0..args.nodes)
        .map(|_| start_server(args, &config, &database))
        .collect()
}

fn start_server(args: &Args, config: &std::path::Path, database: &str) -> Server {
    let mut child = Command::new(&args.server)
        .args(["serve", "--config", config.to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0"])
        .args(["--database", database])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the ito binary runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("ito serve printed its address")
            .unwrap();
        if let Some(at) = line.find("http://127.0.0.1:") {
            let url: String = line[at..].split_whitespace().next().unwrap().to_owned();
            break url.trim_end_matches('/').to_owned();
        }
    };
    // Keep reading its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

async fn connect(url: &str, path: &str, cookie: Option<&str>) -> Socket {
    let mut request = format!("{}{path}", url.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert("origin", url.parse().unwrap());
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn say(socket: &mut Socket, frame: &impl serde::Serialize) {
    let text = serde_json::to_string(frame).unwrap();
    socket.send(Message::Text(text.into())).await.unwrap();
}

async fn hear<T: serde::de::DeserializeOwned>(socket: &mut Socket) -> T {
    loop {
        match socket.next().await.expect("open").unwrap() {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            _ => continue,
        }
    }
}

async fn sign_in(url: &str, n: usize) -> String {
    let response = reqwest::Client::new()
        .post(format!("{url}/api/v1/login"))
        .header("origin", url)
        .json(&serde_json::json!({
            "email": format!("agent{n}@load.test"),
            "password": "load test password",
        }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "sign-in failed");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// A visitor connected and welcomed; returns the socket and conversation.
async fn visitor(url: String) -> (Socket, ConversationId) {
    let mut socket = connect(&url, "/sites/demo/chat", None).await;
    let hello = VisitorToServer::Hello {
        version: 1,
        token: None,
        last_seq: 0,
        visitor: None,
    };
    say(&mut socket, &hello).await;
    say(&mut socket, &VisitorToServer::Start).await;
    loop {
        if let ServerToVisitor::Welcome { conversation, .. } = hear(&mut socket).await {
            return (socket, conversation);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

#[tokio::main]
async fn main() {
    let args = args();
    let dir = tempfile::tempdir().unwrap();
    let servers = start_servers(&args, dir.path());
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let node_of = |n: usize| urls[n % urls.len()].clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base_rss = rss_all(&servers);
    println!(
        "chat load: {} visitors ({} talking to {} agents at {} messages/s in all, for {} s), {} on {}",
        args.visitors,
        args.active,
        args.agents,
        args.rate,
        args.seconds,
        urls.join(" and "),
        if args.database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    // Every visitor connects; the idle ones stay connected, reading (so they answer pings).
    let started = Instant::now();
    let mut visitors = Vec::with_capacity(args.visitors);
    for batch in (0..args.visitors).collect::<Vec<_>>().chunks(250) {
        let joins: Vec<_> = batch
            .iter()
            .map(|n| tokio::spawn(visitor(node_of(*n))))
            .collect();
        for join in joins {
            visitors.push(join.await.unwrap());
        }
    }
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let connected_rss = rss_all(&servers);
    let per_connection = connected_rss.saturating_sub(base_rss) as f64 / args.visitors as f64;

    // Agents sign in and go online; the active visitors hand off and are auto-assigned.
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let epoch = Instant::now();
    let trace = std::env::var_os("CHAT_LOAD_TRACE").is_some();
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for n in 0..args.agents {
        let url = node_of(n + 1);
        let cookie = sign_in(&url, n).await;
        let mut socket = connect(&url, "/api/v1/agent/socket", Some(&cookie)).await;
        say(&mut socket, &AgentToServer::Hello { version: 1 }).await;
        say(&mut socket, &AgentToServer::Status { online: true }).await;
        let (latencies, opened_tx) = (Arc::clone(&latencies), opened_tx.clone());
        tokio::spawn(async move {
            let mut me = String::new();
            let mut opened = std::collections::HashSet::new();
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let frame: ServerToAgent = serde_json::from_str(&text).unwrap();
                match frame {
                    ServerToAgent::Welcome { agent_id, .. } => me = agent_id,
                    ServerToAgent::Inbox { conversations } => {
                        for entry in conversations {
                            let mine = entry.status == ConversationStatus::Assigned
                                && entry.agent.is_some_and(|a| a.id == me);
                            if mine && opened.insert(entry.conversation.clone()) {
                                let open = AgentToServer::Open {
                                    conversation: entry.conversation,
                                };
                                say(&mut socket, &open).await;
                                let _ = opened_tx.send(());
                            }
                        }
                    }
                    ServerToAgent::Event { event, .. } => {
                        if let EventKind::Message {
                            author: Author::Visitor,
                            text,
                            ..
                        } = event.kind
                            && let Some(sent) = text.strip_prefix("t:")
                        {
                            let sent = Duration::from_nanos(sent.parse().unwrap());
                            let took = epoch.elapsed().saturating_sub(sent);
                            if trace && took > Duration::from_millis(20) {
                                eprintln!(
                                    "slow {:.3}s {:.1}ms",
                                    sent.as_secs_f64(),
                                    took.as_secs_f64() * 1000.0
                                );
                            }
                            latencies.lock().unwrap().push(took);
                        }
                    }
                    _ => {}
                }
            }
        });
    }
    let mut talkers = Vec::new();
    let mut idle = Vec::new();
    for (n, (mut socket, _)) in visitors.into_iter().enumerate() {
        if n < args.active {
            let handoff = VisitorToServer::Handoff {
                reason: HandoffReason::Asked,
                context: Box::new(HandoffContext::default()),
            };
            say(&mut socket, &handoff).await;
            talkers.push(socket);
        } else {
            idle.push(socket);
        }
    }
    for _ in 0..args.active {
        opened_rx.recv().await;
    }
    let handoff_secs = epoch.elapsed().as_secs_f64();
    // Let the agents' consoles finish reading their new conversations (context and history
    // of a thousand handoffs) before timing the steady state.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for mut socket in idle {
        tokio::spawn(async move { while let Some(Ok(_)) = socket.next().await {} });
    }

    // Each talker sends at rate/active per second, phases spread over the first interval.
    let each = Duration::from_secs_f64(args.active as f64 / args.rate);
    let sending = Instant::now();
    let mut senders = Vec::new();
    for (n, socket) in talkers.into_iter().enumerate() {
        let (mut write, mut read) = socket.split();
        tokio::spawn(async move { while let Some(Ok(_)) = read.next().await {} });
        let phase = each.mul_f64(n as f64 / args.active as f64);
        let seconds = args.seconds;
        senders.push(tokio::spawn(async move {
            tokio::time::sleep(phase).await;
            let mut tick = tokio::time::interval(each);
            let mut sent = 0u64;
            let until = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < until {
                tick.tick().await;
                sent += 1;
                let frame = VisitorToServer::Send {
                    id: format!("m{sent}").parse().unwrap(),
                    text: format!("t:{}", epoch.elapsed().as_nanos()),
                };
                let text = serde_json::to_string(&frame).unwrap();
                if write.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            sent
        }));
    }
    let mut sent = 0;
    for sender in senders {
        sent += sender.await.unwrap();
    }
    let send_secs = sending.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak_rss = rss_all(&servers);

    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  connecting {} visitors: {connect_secs:.1} s; handing off {}: {handoff_secs:.1} s",
        args.visitors, args.active
    );
    println!(
        "  server memory: {:.1} MB at start, {:.1} MB with every visitor connected, {:.1} MB after the run",
        base_rss as f64 / 1e6,
        connected_rss as f64 / 1e6,
        peak_rss as f64 / 1e6
    );
    println!(
        "  memory per visitor connection: {:.1} KB (goal: 30 KB at most)",
        per_connection / 1024.0
    );
    println!(
        "  messages: {sent} sent, {} delivered to agents: {:.0} messages/s sent, {:.0}/s delivered",
        latencies.len(),
        sent as f64 / send_secs,
        latencies.len() as f64 / send_secs
    );
    println!(
        "  visitor-to-agent latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: p99 under 20 ms)",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );

    // The soak: conversations that come and go must leave nothing behind (the hub's channels
    // go with their last listener), so memory returns near its connected level.
    // Memory is printed at each quarter: a leak grows it in steps, a cache filling up flattens.
    let soaking = Instant::now();
    let quarter = (args.soak / 4).max(1);
    for batch in (0..args.soak).collect::<Vec<_>>().chunks(SOAK_BATCH) {
        let joins: Vec<_> = batch
            .iter()
            .map(|n| tokio::spawn(come_and_go(node_of(*n), *n)))
            .collect();
        for join in joins {
            join.await.unwrap();
        }
        let done = batch.last().map_or(0, |n| n + 1);
        if done % quarter < SOAK_BATCH && done < args.soak {
            println!(
                "  soak: {done} conversations, server memory {:.1} MB",
                rss_all(&servers) as f64 / 1e6
            );
        }
    }
    let soak_secs = soaking.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let soaked_rss = rss_all(&servers);
    println!(
        "  soak: {} conversations opened, talked in and ended in {soak_secs:.1} s; server memory {:.1} MB after (connected level {:.1} MB, after the run {:.1} MB)",
        args.soak,
        soaked_rss as f64 / 1e6,
        connected_rss as f64 / 1e6,
        peak_rss as f64 / 1e6
    );
    drop(servers);
}

/// Soak visitors at once (beside every connected one).
const SOAK_BATCH: usize = 250;

/// A visitor who says one thing, is answered, ends the chat and leaves.
async fn come_and_go(url: String, n: usize) {
    let (mut socket, _) = visitor(url).await;
    let id = format!("soak{n}");
    say(
        &mut socket,
        &VisitorToServer::Send {
            id: id.parse().unwrap(),
            text: "just passing through".into(),
        },
    )
    .await;
    loop {
        if let ServerToVisitor::Ack { .. } = hear(&mut socket).await {
            break;
        }
    }
    say(&mut socket, &VisitorToServer::End).await;
    let _ = socket.close(None).await;
    // Until the server has closed its side too (and so given back its connection place).
    while let Some(Ok(_)) = socket.next().await {}
}

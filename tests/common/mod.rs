//! A real server for integration tests: the demo config on `127.0.0.1:0` with a database and
//! build folder in a temporary directory.

// Each test file uses a part of this module.
#![allow(dead_code)]

pub mod live;
pub mod smtp;

use std::path::{Path, PathBuf};

use ito::http::app;
use ito::site::config::Config;
use ito::site::knowledge::KnowledgeBases;
use ito::state::AppState;
use ito::store::{Store, testing};

pub struct Server {
    pub url: String,
    pub dir: PathBuf,
    /// What the server's handlers share (its hub, limits, store).
    pub state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops serving at once, as a crash would: nothing is flushed or closed.
    pub fn kill(self) {
        self.task.abort();
    }
}

/// What a test's server has on disk.
pub struct Build {
    /// Fake widget and loader builds, with the brotli copies `cargo xtask build` writes.
    pub front_ends: bool,
}

/// Serves the demo config from `dir` (database `dir/ito.sqlite3`, or a fresh PostgreSQL
/// database when the tests run on PostgreSQL; build folder `dir/dist`).
pub async fn serve_in(dir: &Path, build: Build) -> Server {
    serve_configured(dir, build, |_| {}).await
}

/// Like [`serve_in`], with the demo config changed by `configure` first.
pub async fn serve_configured(
    dir: &Path,
    build: Build,
    configure: impl FnOnce(&mut Config),
) -> Server {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config::demo();
    config.server.database = testing::fresh_location(dir).await;
    // Loading the encoder costs a core for seconds: only the tests of semantic answers do.
    config.server.semantic = false;
    config.server.models = root.join("target/models");
    config.server.attachments.folder = dir.join("attachments");
    configure(&mut config);
    config.server.assets = dir.join("dist");
    config.server.public = root.join("public");
    for site in &mut config.sites {
        for path in site.knowledge_base.values_mut() {
            *path = root.join(&*path);
        }
    }
    if build.front_ends {
        let widget = config.server.assets.join("widget");
        std::fs::create_dir_all(&widget).unwrap();
        std::fs::write(
            widget.join("index.html"),
            "<!doctype html><html><head><title>widget</title><script type=module>import init from '/widget/app.js';</script></head><body></body></html>",
        )
        .unwrap();
        std::fs::write(widget.join("app.js"), "// app").unwrap();
        std::fs::write(widget.join("app.js.br"), "app as br").unwrap();
        let loader = config.server.assets.join("ito.js");
        std::fs::write(&loader, "/*min*/Ito(\"data-site\")").unwrap();
        std::fs::write(loader.with_extension("js.br"), "loader as br").unwrap();
    }
    let db = Store::open(&config.server.database).await.unwrap();
    let bases = KnowledgeBases::load(&config, &db).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let limits = config.server.limits.clone();
    let state = AppState::new(config, db, bases).await.unwrap();
    let _ = state.mail.own_url.set(url.clone());
    let router = app(state.clone());
    let task = tokio::spawn(async move {
        let forever = std::future::pending();
        ito::http::listener::serve(listener, router, &limits, forever)
            .await
            .unwrap()
    });
    Server {
        url,
        dir: dir.to_owned(),
        state,
        task,
    }
}

/// Runs a statement written for both backends (`$1` placeholders, no dialect of either).
pub async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap()
}

/// The number a `SELECT COUNT(*) ...` written for both backends gives, with one text bound.
pub async fn count(store: &Store, sql: &str, bound: &str) -> i64 {
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(sql).bind(bound).fetch_one(pool).await,
        Store::Postgres(pool) => sqlx::query_scalar(sql).bind(bound).fetch_one(pool).await,
    }
    .unwrap()
}

/// A WebSocket client as the tests use it.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket at `path` as a page on `origin` would, with extra headers (a cookie).
pub async fn connect(
    server: &Server,
    path: &str,
    origin: &str,
    headers: &[(&'static str, &str)],
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}{path}", server.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    for &(name, value) in headers {
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// Sends one frame as JSON text.
pub async fn say(socket: &mut Socket, frame: &impl serde::Serialize) {
    use futures_util::SinkExt;
    let text = serde_json::to_string(frame).unwrap();
    socket
        .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
        .await
        .unwrap();
}

/// The next JSON frame, within ten seconds.
pub async fn hear<T: serde::de::DeserializeOwned>(socket: &mut Socket) -> T {
    use futures_util::StreamExt;
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("the server answers")
            .expect("the socket is open")
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// A real `ito serve` process (a child, so it can die as processes do).
pub struct Process {
    pub child: std::process::Child,
    pub url: String,
}

/// Starts the binary on a free port with `config`, from the repository root (the demo's
/// relative paths), and reads its address from what it prints.
pub fn serve_process(config: &Path) -> Process {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ito"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("ito prints its address").unwrap();
        if let Some(url) = line.strip_prefix("ito: listening on ") {
            break url.to_owned();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Process { child, url }
}

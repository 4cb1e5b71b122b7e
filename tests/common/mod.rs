//! A real server for integration tests: the demo config on `127.0.0.1:0` with a database and
//! build folder in a temporary directory.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ito::config::Config;
use ito::db;
use ito::http::{AppState, app};
use ito::knowledge::KnowledgeBases;

pub struct Server {
    pub url: String,
    pub dir: PathBuf,
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

/// Serves the demo config from `dir` (database `dir/ito.sqlite3`, build folder `dir/dist`).
pub async fn serve_in(dir: &Path, build: Build) -> Server {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config::demo();
    config.server.assets = dir.join("dist");
    config.server.public = root.join("public");
    for site in &mut config.sites {
        for path in site.knowledge_base.values_mut() {
            *path = root.join(&*path);
        }
    }
    let bases = KnowledgeBases::load(&config).unwrap();
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
    let db = db::open(&dir.join("ito.sqlite3")).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = app(AppState::new(config, db, bases).await.unwrap());
    let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Server {
        url,
        dir: dir.to_owned(),
        task,
    }
}

//! Files from disk: the compiled front ends (Trunk's output) and the public folder.

use std::convert::Infallible;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{MethodRouter, any};
use tower_http::services::ServeDir;

use super::HttpError;

type Fallback = MethodRouter<(), Infallible>;

/// The widget's files. Its page is served by `/embed/{site}`, so a miss here is a plain 404,
/// or, when nothing was built, a message saying how to build it.
pub fn widget(dir: PathBuf) -> ServeDir<Fallback> {
    built(&dir).fallback(missing(dir, "widget", false))
}

/// The console is a single-page app: paths under `/console` that are not files get its page.
pub fn console(dir: PathBuf) -> ServeDir<Fallback> {
    built(&dir).fallback(missing(dir, "console", true))
}

/// `cargo xtask build` writes `.br` (quality 11) and `.gz` copies of every file: sent as they
/// are to browsers that accept them, so nothing is compressed per request.
fn built(dir: &Path) -> ServeDir {
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

pub fn public_dir(dir: &Path) -> ServeDir {
    ServeDir::new(dir)
}

fn missing(dir: PathBuf, what: &'static str, single_page_app: bool) -> Fallback {
    any(move || {
        let index = dir.join("index.html");
        async move {
            match tokio::fs::read_to_string(&index).await {
                Ok(html) if single_page_app => Html(html).into_response(),
                Ok(_) => StatusCode::NOT_FOUND.into_response(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    HttpError::NotBuilt(what).into_response()
                }
                Err(e) => HttpError::internal(format!("{}: {e}", index.display())).into_response(),
            }
        }
    })
}

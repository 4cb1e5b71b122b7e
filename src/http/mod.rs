//! The HTTP surface: `app(state)` builds every route, so tests can serve it on `127.0.0.1:0`;
//! `listener::serve` accepts connections with timeouts and a cap.

mod agent_chat;
mod answers;
mod assets;
mod attachments;
mod canned;
mod chat;
mod embed;
mod error;
mod history;
mod knowledge;
mod labels;
mod learning;
pub mod listener;
mod metrics;
pub mod proxy;
mod session;
mod socket;
mod team;

use axum::Router;
use axum::routing::{get, post, put};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use error::HttpError;

/// The largest request body any route takes (a sign-in is a few hundred bytes).
const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn app(state: crate::state::AppState) -> Router {
    use axum::http::{HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;
    let assets = &state.config.server.assets;
    // What an agent's session can read is never kept by a browser or a proxy.
    let api = Router::new()
        .route("/login", post(session::login))
        .route("/logout", post(session::logout))
        .route("/me", get(session::me))
        .route("/agent/socket", get(agent_chat::agent_socket))
        .route("/agents", get(team::agents))
        .route("/conversations", get(history::search))
        .route(
            "/conversations/{conversation}/attachments",
            post(attachments::agent_sends),
        )
        .route("/sites", get(metrics::sites))
        .route("/sites/{site}/metrics", get(metrics::metrics))
        .route("/sites/{site}/labels", get(labels::list))
        .route(
            "/sites/{site}/labels/{name}",
            put(labels::define).delete(labels::undefine),
        )
        .route("/sites/{site}/canned", get(canned::list))
        .route(
            "/sites/{site}/canned/{shortcut}",
            put(canned::save).delete(canned::delete),
        )
        .route("/sites/{site}/kb/{locale}", get(knowledge::draft))
        .route(
            "/sites/{site}/kb/{locale}/publish",
            post(knowledge::publish),
        )
        .route(
            "/sites/{site}/kb/{locale}/articles/{id}",
            put(knowledge::save).delete(knowledge::delete),
        )
        .route(
            "/sites/{site}/kb/{locale}/articles/{id}/history",
            get(knowledge::history),
        )
        .route(
            "/sites/{site}/kb/{locale}/articles/{id}/restore",
            post(knowledge::restore),
        )
        .route("/sites/{site}/kb/{locale}/gaps", get(learning::gaps))
        .route("/sites/{site}/kb/{locale}/figures", get(learning::figures))
        .route(
            "/sites/{site}/kb/{locale}/suggestions",
            get(learning::suggestions),
        )
        .route(
            "/sites/{site}/kb/{locale}/suggestions/{id}/accept",
            post(learning::accept),
        )
        .route(
            "/sites/{site}/kb/{locale}/suggestions/{id}/dismiss",
            post(learning::dismiss),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .route("/ito.js", get(embed::loader))
        .route("/sites/{site}/settings.js", get(embed::site_settings))
        .route("/sites/{site}/kb/{file}", get(embed::knowledge_base))
        .route("/embed/{site}", get(embed::widget_page))
        .route("/sites/{site}/chat", get(chat::visitor_socket))
        .route(
            "/sites/{site}/attachments",
            post(attachments::visitor_sends),
        )
        .route("/attachments/{id}", get(attachments::serve))
        .route(
            "/attachments/{id}/thumbnail",
            get(attachments::serve_thumbnail),
        )
        .route(
            "/sites/{site}/answers",
            post(answers::answer).layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            )),
        )
        .nest("/api/v1", api)
        .route("/healthz", get(health))
        .nest_service("/widget", assets::widget(assets.join("widget")))
        .nest_service("/console", console_pages(assets.join("console")))
        .fallback_service(assets::public_dir(&state.config.server.public))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Every response is what its Content-Type says: browsers never guess another.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Brotli or gzip for whatever the client accepts: the widget's budget is counted compressed.
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The address a request comes from, behind the trusted proxies of `[server]`, as
/// per-address limits count it (IPv6 by its /64).
pub(crate) fn client_address(
    server: &crate::site::config::ServerConfig,
    peer: std::net::SocketAddr,
    headers: &axum::http::HeaderMap,
) -> std::net::IpAddr {
    let lines = |name: &str| -> Vec<&str> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    };
    let client = crate::http::proxy::client_address(
        peer.ip(),
        &server.trusted_proxies,
        &lines("forwarded"),
        &lines("x-forwarded-for"),
    );
    crate::http::proxy::limit_key(client)
}

/// The console's files, which no other site may frame (clickjacking an agent's reply), and
/// whose page may run only its own scripts: Trunk's inline start-up module by its hash.
fn console_pages(dir: std::path::PathBuf) -> Router {
    use axum::http::{HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;
    let index = dir.join("index.html");
    Router::new()
        .fallback_service(assets::console(dir))
        .layer(axum::middleware::map_response(
            move |mut response: axum::response::Response| {
                let index = index.clone();
                async move {
                    // Only the page runs scripts: its scripts, wasm and CSS need no policy.
                    let page = response
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|t| t.to_str().ok())
                        .is_some_and(|t| t.starts_with("text/html"));
                    if !page {
                        return response;
                    }
                    // Read each time: a rebuild changes the start-up module and so its hash.
                    let built = tokio::fs::read_to_string(&index).await.unwrap_or_default();
                    let policy = embed::console_csp(&built);
                    if let Ok(value) = HeaderValue::from_str(&policy) {
                        response
                            .headers_mut()
                            .insert(header::CONTENT_SECURITY_POLICY, value);
                    }
                    response
                }
            },
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// Ready when the database answers.
async fn health(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
) -> Result<&'static str, HttpError> {
    state.db.ping().await.map_err(HttpError::internal)?;
    Ok("ok\n")
}

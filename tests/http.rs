//! The server's HTTP surface, served on 127.0.0.1:0 and spoken to over real sockets.

mod common;

use common::{Build, serve_in};

struct Server {
    url: String,
    _dir: tempfile::TempDir,
}

/// Serves the demo config; `front_ends` fakes the widget and loader builds.
async fn serve(front_ends: bool) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends }).await;
    Server {
        url: server.url,
        _dir: dir,
    }
}

async fn get(url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.text().await.unwrap(), headers)
}

#[tokio::test]
async fn serves_the_loader_and_the_demo_page() {
    let server = serve(true).await;
    let (status, body, headers) = get(&format!("{}/ito.js", server.url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(
        body, "/*min*/Ito(\"data-site\")",
        "the minified build when there is one"
    );
    let client = reqwest::Client::new();
    for (path, expected) in [("/ito.js", "loader as br"), ("/widget/app.js", "app as br")] {
        let response = client
            .get(format!("{}{path}", server.url))
            .header("accept-encoding", "gzip, br;q=1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], "br", "{path}");
        assert_eq!(
            response.text().await.unwrap(),
            expected,
            "{path}: the copy the build wrote"
        );
    }

    let (status, body, _) = get(&format!("{}/", server.url)).await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"<script src="/ito.js" data-site="demo" async></script>"#));

    let (status, body, _) = get(&format!("{}/healthz", server.url)).await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
}

#[tokio::test]
async fn site_settings_are_public_and_unknown_sites_are_404() {
    let server = serve(true).await;
    let (status, body, headers) = get(&format!("{}/sites/demo/settings.js", server.url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    let json = body
        .strip_prefix("Ito._boot(")
        .and_then(|b| b.strip_suffix(");\n"))
        .expect("a call of Ito._boot");
    let settings: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(settings["site"], "demo");
    assert_eq!(settings["locale"], "en");
    assert_eq!(
        settings["theme"],
        serde_json::json!({"accent_color": "#3730a3", "on_accent": "#ffffff", "position": "right",
            "offset_x": 20, "offset_y": 20, "icon": "chat"})
    );
    assert_eq!(settings["nudge"]["rage_clicks"], true);
    assert_eq!(
        settings["text"]["ja"]["nudge"],
        "お困りですか？お手伝いします。"
    );
    assert_eq!(settings["text"]["en"]["open"], "Open chat");
    assert!(!body.contains("self"), "allowed origins stay on the server");

    let (status, body, _) = get(&format!("{}/sites/nope/settings.js", server.url)).await;
    assert_eq!((status, body.as_str()), (404, "unknown site\n"));
}

#[tokio::test]
async fn the_widget_page_carries_frame_ancestors_for_its_site() {
    let server = serve(true).await;
    // The host origin the widget will talk to must be one the site allows.
    for foreign in ["x", "https://evil.example"] {
        let (status, body, _) = get(&format!("{}/embed/demo?origin={foreign}", server.url)).await;
        assert_eq!(status, 403, "{foreign}");
        assert!(body.contains("add it to allowed_origins"), "{body}");
    }
    let (status, body, headers) =
        get(&format!("{}/embed/demo?origin={}", server.url, server.url)).await;
    assert_eq!(status, 200);
    assert!(body.contains("<title>widget</title>"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("; frame-ancestors 'self'"), "{csp}");
    assert!(
        csp.starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
        "{csp}"
    );
    // The theme arrives as CSS variables before </head>, allowed by its hash.
    assert!(
        body.contains("<style>:root{--ito-accent:#3730a3;"),
        "{body}"
    );
    assert!(csp.contains("style-src 'self' 'sha256-"), "{csp}");
    let settings = body
        .split_once(r#"<script type="application/json" id="ito-site">"#)
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(json, _)| ito_protocol::site_settings::WidgetSettings::read(json))
        .unwrap_or_else(|| panic!("no settings in {body}"))
        .expect("settings the widget reads");
    // What the visitor may send a person: the types and size `[server.attachments]` takes.
    assert_eq!(
        settings.attach,
        "image/png,image/jpeg,image/gif,image/webp,application/pdf"
    );
    assert_eq!(settings.attach_max_bytes, 10 << 20);
    let (status, _, _) = get(&format!("{}/embed/other", server.url)).await;
    assert_eq!(status, 404);
    let (status, body, _) = get(&format!("{}/widget/app.js", server.url)).await;
    assert_eq!((status, body.as_str()), (200, "// app"));
    let (status, _, _) = get(&format!("{}/widget/missing.js", server.url)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unbuilt_front_ends_say_how_to_build_them() {
    let server = serve(false).await;
    let (status, body, _) = get(&format!("{}/ito.js", server.url)).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Ito loader"),
        "the loader's source until it is minified"
    );
    for (path, what) in [
        ("/embed/demo", "widget"),
        ("/widget/app.js", "widget"),
        ("/console/", "console"),
    ] {
        let (status, body, _) = get(&format!("{}{path}", server.url)).await;
        assert_eq!(status, 503, "{path}");
        assert_eq!(
            body,
            format!("the {what} is not built: run `cargo xtask build`, then reload\n")
        );
    }
}

#[tokio::test]
async fn knowledge_bases_are_served_per_language_and_revalidated_by_etag() {
    let server = serve(true).await;
    let (status, body, headers) = get(&format!("{}/sites/demo/kb/en.json", server.url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-cache");
    let base: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(base["locale"], "en");
    assert!(base["articles"].as_array().unwrap().len() >= 30);
    let etag = headers["etag"].to_str().unwrap().to_owned();

    let client = reqwest::Client::new();
    let url = format!("{}/sites/demo/kb/en.json", server.url);
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.text().await.unwrap().is_empty(), "a 304 has no body");
    let stale = client
        .get(&url)
        .header("if-none-match", "\"0000000000000000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status().as_u16(), 200);
    let compressed = client
        .get(&url)
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "br");

    let (status, body, headers) = get(&format!("{}/sites/demo/kb/ja.json", server.url)).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"locale\":\"ja\""));
    assert_ne!(headers["etag"].to_str().unwrap(), etag);

    for (path, message) in [
        ("/sites/demo/kb/de.json", "no such knowledge base\n"),
        ("/sites/demo/kb/en.txt", "no such knowledge base\n"),
        ("/sites/nope/kb/en.json", "unknown site\n"),
    ] {
        let (status, body, _) = get(&format!("{}{path}", server.url)).await;
        assert_eq!((status, body.as_str()), (404, message), "{path}");
    }
}

#[tokio::test]
async fn responses_are_never_sniffed_api_answers_never_cached_and_the_console_runs_only_its_own_scripts()
 {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let console = dir.path().join("dist/console");
    std::fs::create_dir_all(&console).unwrap();
    std::fs::write(
        console.join("index.html"),
        "<!doctype html><title>Ito console</title><script type=module>import init from '/console/c.js';init();</script>",
    )
    .unwrap();
    let (status, _, headers) = get(&format!("{}/console/", server.url)).await;
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{csp}"
    );
    assert!(csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    for path in ["/api/v1/me", "/api/v1/sites"] {
        let (status, _, headers) = get(&format!("{}{path}", server.url)).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
    let (_, _, headers) = get(&format!("{}/ito.js", server.url)).await;
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // A body larger than any request needs is refused before it is read.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/login", server.url))
        .header("origin", &server.url)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"email\": \"{}\", \"password\": \"x\"}}",
            "a".repeat(200_000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
}

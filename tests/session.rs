//! Agents signing in to the console over HTTP, against a real server on 127.0.0.1.

mod common;

use common::{Build, serve_in};
use serde_json::json;

#[tokio::test]
async fn agents_sign_in_with_a_strict_http_only_cookie_and_out_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let pool = server.state.db.clone();
    ito::store::agents::add(
        &pool,
        "ann@shop.example",
        "Ann",
        "correct horse",
        ito::store::agents::Role::Agent,
    )
    .await
    .unwrap();

    let client = reqwest::Client::new();
    let post = |path: &str, origin: &str, body: serde_json::Value| {
        client
            .post(format!("{}{path}", server.url))
            .header("origin", origin)
            .json(&body)
    };
    let own = server.url.clone();
    let login = |password: &str| json!({"email": "ann@shop.example", "password": password});

    let wrong = post("/api/v1/login", &own, login("wrong horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let foreign = post(
        "/api/v1/login",
        "https://evil.example",
        login("correct horse"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        foreign.status().as_u16(),
        403,
        "no sign-in from another site"
    );

    let ok = post("/api/v1/login", &own, login("correct horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();

    let me = |cookie: Option<String>| {
        let mut request = client.get(format!("{}/api/v1/me", server.url));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let signed_in = me(Some(session.clone())).await.unwrap();
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: serde_json::Value = signed_in.json().await.unwrap();
    assert_eq!(
        (body["name"].as_str(), body["role"].as_str()),
        (Some("Ann"), Some("agent"))
    );
    assert_eq!(me(None).await.unwrap().status().as_u16(), 401);
    assert_eq!(
        me(Some("ito_session=forged".into()))
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );

    let out = post("/api/v1/logout", &own, json!({}))
        .header("cookie", session.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    assert_eq!(
        me(Some(session)).await.unwrap().status().as_u16(),
        401,
        "the session is gone"
    );
}

//! Publishing a knowledge base without a restart: the publishing node serves it at once with
//! a new ETag, another node on the same database within its next look, and the server's
//! answers by meaning follow it.

mod common;

use common::{Build, Server, serve_configured, serve_in};
use ito::store::knowledge::{self, BaseKey};
use ito_assistant::Article;
use ito_protocol::Locale;

const EN: BaseKey<'static> = BaseKey {
    site: "demo",
    locale: Locale::En,
};

/// The English base as `server` serves it, with its ETag.
async fn served(server: &Server) -> (ito_assistant::KnowledgeBase, String) {
    let response = reqwest::get(format!("{}/sites/demo/kb/en.json", server.url))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let base = ito_assistant::KnowledgeBase::parse(&response.text().await.unwrap()).unwrap();
    (base, etag)
}

fn gift_wrapping() -> Article {
    Article {
        id: "gift-wrapping".into(),
        title: "Gift wrapping".into(),
        questions: vec!["Can you wrap my order as a present?".into()],
        answer: "We wrap any order in recycled paper with a handwritten card for €3.".into(),
        tags: Vec::new(),
        links: Vec::new(),
        follow_up: Vec::new(),
    }
}

/// Adds [`gift_wrapping`] to the English base and publishes it, as the console will.
async fn publish_gift_wrapping(store: &ito::store::Store) {
    knowledge::save(store, EN, &gift_wrapping(), 0, None)
        .await
        .unwrap();
    knowledge::publish(store, EN, None).await.unwrap();
}

#[tokio::test]
async fn a_publish_is_served_at_once_here_and_soon_on_another_node() {
    let dir = tempfile::tempdir().unwrap();
    let here = serve_in(dir.path(), Build { front_ends: false }).await;
    let (before, old_etag) = served(&here).await;
    assert!(!before.articles.iter().any(|a| a.id == "gift-wrapping"));
    // A second node on the same database (the same SQLite file, or PostgreSQL database).
    let elsewhere = serve_in(dir.path(), Build { front_ends: false }).await;
    assert_eq!(served(&elsewhere).await.1, old_etag);

    let store = &here.state.db;
    knowledge::save(store, EN, &gift_wrapping(), 0, None)
        .await
        .unwrap();
    assert!(here.state.refresh_bases().await.is_ok());
    assert_eq!(served(&here).await.1, old_etag, "saved is not published");

    knowledge::publish(store, EN, None).await.unwrap();
    assert!(here.state.refresh_bases().await.unwrap());
    let (after, new_etag) = served(&here).await;
    assert_ne!(new_etag, old_etag);
    assert_eq!(after.articles.last(), Some(&gift_wrapping()));
    let revalidated = reqwest::Client::new()
        .get(format!("{}/sites/demo/kb/en.json", here.url))
        .header("if-none-match", &old_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        revalidated.status().as_u16(),
        200,
        "a returning visitor's browser gets the new base"
    );
    assert!(!here.state.refresh_bases().await.unwrap(), "nothing new");

    // The other node finds it by looking at the database every few seconds.
    let mut seen = served(&elsewhere).await.1;
    for _ in 0..300 {
        if seen == new_etag {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        seen = served(&elsewhere).await.1;
    }
    assert_eq!(seen, new_etag, "the other node never served the publish");
}

#[tokio::test]
async fn answers_by_meaning_follow_a_publish() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        config.server.semantic = true;
    })
    .await;
    let ask = async |question: &str| {
        let response = reqwest::Client::new()
            .post(format!("{}/sites/demo/answers", server.url))
            .header("origin", &server.url)
            .json(&serde_json::json!({"locale": "en", "question": question}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        (status, body)
    };
    let question = "could you pack it nicely as a birthday present";
    let top = async || {
        let (status, body) = ask(question).await;
        match status {
            // Still loading, or asked too often while waiting for the new vectors.
            503 | 429 => None,
            200 => {
                let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
                Some(
                    reply["hits"][0]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            }
            other => panic!("{other}: {body}"),
        }
    };
    let mut before = None;
    for _ in 0..1200 {
        before = top().await;
        if before.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let before = before.expect("semantic answers never became ready");
    assert_ne!(before, "gift-wrapping");

    publish_gift_wrapping(&server.state.db).await;
    assert!(server.state.refresh_bases().await.unwrap());
    let mut after = before.clone();
    for _ in 0..240 {
        if let Some(id) = top().await {
            after = id;
        }
        if after == "gift-wrapping" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(
        after, "gift-wrapping",
        "the new article's vectors were never built"
    );
}

/// Someone with `role` signed in: their session cookie.
async fn signed_in(server: &Server, email: &str, role: ito::store::agents::Role) -> String {
    common::live::signed_in_as(server, &server.state.db, email, "Ed", role).await
}

/// The console's request on the demo site's English base.
async fn console(
    server: &Server,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    common::live::console(
        server,
        cookie,
        method,
        &format!("/api/v1/sites/demo/kb/en{path}"),
        body,
    )
    .await
}

#[tokio::test]
async fn an_editor_edits_publishes_and_restores_and_bad_input_is_refused_in_words() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let ed = signed_in(&server, "ed@shop.example", ito::store::agents::Role::Editor).await;
    let (status, body) = console(&server, &ed, Method::GET, "", None).await;
    assert_eq!(status, 200, "{body}");
    let draft: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(draft["unpublished"], false);
    let first = &draft["articles"][0];
    assert_eq!(first["version"], 1);
    let id = first["article"]["id"].as_str().unwrap().to_owned();
    let mut article = first["article"].clone();
    article["answer"] = "Edited in the console.".into();
    let path = format!("/articles/{id}");

    let save = |version: i64, article: &serde_json::Value| {
        Some(serde_json::json!({"version": version, "article": article}))
    };
    let (status, body) = console(&server, &ed, Method::PUT, &path, save(1, &article)).await;
    assert_eq!((status, body.as_str()), (200, r#"{"version":2}"#));
    let mut late = article.clone();
    late["answer"] = "Someone else's edit.".into();
    let (status, body) = console(&server, &ed, Method::PUT, &path, save(1, &late)).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("it is at version 2, you started from 1"),
        "{body}"
    );

    let refusals = [
        (
            "answer",
            serde_json::json!("Click <b>here</b>."),
            "contains HTML (<b>)",
        ),
        (
            "answer",
            serde_json::json!("[Win](javascript:alert(1))"),
            "links must be http, https or mailto",
        ),
        ("answer", serde_json::json!(""), "the answer is empty"),
        (
            "questions",
            serde_json::json!(vec!["how?"; 1000]),
            "1000 questions, over the limit of 100",
        ),
        (
            "answer",
            serde_json::json!("x".repeat(20_001)),
            "over the limit of 20000",
        ),
    ];
    for (field, value, said) in refusals {
        let mut bad = article.clone();
        bad[field] = value;
        let (status, body) = console(&server, &ed, Method::PUT, &path, save(2, &bad)).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert!(body.contains(said), "{field}: {body}");
    }
    let mut elsewhere = article.clone();
    elsewhere["id"] = "another-id".into();
    let (status, body) = console(&server, &ed, Method::PUT, &path, save(2, &elsewhere)).await;
    assert_eq!(status, 400, "{body}");
    let huge = serde_json::json!({"version": 2, "article": {"id": id, "title": "T", "answer": "y".repeat(100_000)}});
    let (status, _) = console(&server, &ed, Method::PUT, &path, Some(huge)).await;
    assert_eq!(status, 413, "a body over the server's limit");

    // A follow-up of another article cannot be deleted from under it.
    let followed = draft["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| a["article"]["follow_up"][0].as_str())
        .unwrap()
        .to_owned();
    let (status, body) = console(
        &server,
        &ed,
        Method::DELETE,
        &format!("/articles/{followed}"),
        Some(serde_json::json!({"version": 1})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains(&format!("unknown article \"{followed}\"")),
        "{body}"
    );

    let (_, old_etag) = served(&server).await;
    let (status, body) = console(
        &server,
        &ed,
        Method::POST,
        "/publish",
        Some(serde_json::json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let published: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (base, etag) = served(&server).await;
    assert_eq!(published["etag"], etag.as_str());
    assert_ne!(etag, old_etag);
    assert_eq!(base.articles[0].answer, "Edited in the console.");

    let (status, body) = console(&server, &ed, Method::GET, &format!("{path}/history"), None).await;
    assert_eq!(status, 200, "{body}");
    let history: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(history["versions"][0]["saved_by"], "Ed");
    assert_eq!(
        history["versions"][1]["saved_by"],
        serde_json::Value::Null,
        "the import"
    );
    let restore = serde_json::json!({"version": 1, "expected": 2});
    let (status, body) = console(
        &server,
        &ed,
        Method::POST,
        &format!("{path}/restore"),
        Some(restore),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"version":3}"#));
    let (_, body) = console(&server, &ed, Method::GET, "", None).await;
    let draft: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(draft["unpublished"], true);
    assert_ne!(
        draft["articles"][0]["article"]["answer"],
        "Edited in the console."
    );
}

#[tokio::test]
async fn only_admins_and_editors_edit_and_only_from_the_console() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let server = serve_in(dir.path(), Build { front_ends: false }).await;
    let agent = signed_in(&server, "ann@shop.example", ito::store::agents::Role::Agent).await;
    let (status, body) = console(&server, &agent, Method::GET, "", None).await;
    assert_eq!(
        (status, body.as_str()),
        (403, "knowledge bases are edited by admins and editors\n")
    );
    let publish = Some(serde_json::json!({}));
    let (status, _) = console(&server, &agent, Method::POST, "/publish", publish.clone()).await;
    assert_eq!(status, 403);
    let (status, _) = console(&server, "ito_session=nothing", Method::GET, "", None).await;
    assert_eq!(status, 401);

    let admin = signed_in(&server, "bob@shop.example", ito::store::agents::Role::Admin).await;
    let (status, _) = console(&server, &admin, Method::GET, "", None).await;
    assert_eq!(status, 200);
    let foreign = reqwest::Client::new()
        .post(format!("{}/api/v1/sites/demo/kb/en/publish", server.url))
        .header("origin", "https://evil.example")
        .header("cookie", &admin)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status().as_u16(), 403);
    let nowhere = reqwest::Client::new()
        .get(format!("{}/api/v1/sites/demo/kb/fr", server.url))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status().as_u16(), 404);
}

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

//! `POST /sites/{site}/answers` as the widget uses it: the server's answer by meaning, bad
//! input, the origin rule, the rate limit, and a server without the model.

mod common;

use common::{Build, Server, serve_configured};

const DEMO: &str = "demo";

async fn serve(dir: &std::path::Path, semantic: bool, models: Option<&std::path::Path>) -> Server {
    let models = models.map(std::path::Path::to_owned);
    serve_configured(dir, Build { front_ends: false }, move |config| {
        config.server.semantic = semantic;
        if let Some(models) = models {
            config.server.models = models;
        }
    })
    .await
}

/// Asks as the widget's page does: from the server's own origin, as JSON.
async fn ask(server: &Server, body: serde_json::Value) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/sites/{DEMO}/answers", server.url))
        .header("origin", &server.url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Asks until the background load has built the demo base's vectors (each try is answered at
/// once, 503 while loading), then returns the first real answer.
async fn ask_when_ready(server: &Server, locale: &str, question: &str) -> serde_json::Value {
    for _ in 0..1200 {
        let (status, body) = ask(
            server,
            serde_json::json!({"locale": locale, "question": question}),
        )
        .await;
        if status != 503 {
            assert_eq!(status, 200, "{body}");
            return serde_json::from_str(&body).unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("semantic answers never became ready");
}

fn reply_ids(reply: &serde_json::Value) -> Vec<&str> {
    reply["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn answers_by_meaning_and_refuses_bad_input_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), true, None).await;
    let reply = ask_when_ready(&server, "en", "what I got is cracked").await;
    assert_eq!(reply["hits"][0]["id"], "defective-item", "{reply}");
    assert!(
        ["answer", "suggest"].contains(&reply["outcome"].as_str().unwrap()),
        "{reply}"
    );

    // After a No on that article, the reply is about the others, decided on by themselves.
    let (status, body) = ask(
        &server,
        serde_json::json!({"locale": "en", "question": "what I got is cracked", "rejected": "defective-item"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let others: serde_json::Value = serde_json::from_str(&body).unwrap();
    let ids = reply_ids(&others);
    assert!(
        !ids.is_empty() && !ids.contains(&"defective-item"),
        "{others}"
    );
    assert_eq!(
        ids[..5],
        reply_ids(&reply)[1..],
        "the same ranking, one article less"
    );

    for odd in [
        "",
        "🙂🙂🙂",
        "\u{1}\u{7}\u{1b}[31m\u{7f}",
        &"a".repeat(60_000),
    ] {
        let (status, body) = ask(
            &server,
            serde_json::json!({"locale": "en", "question": odd}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(reply["outcome"].is_string(), "{reply}");
    }
    let (status, _) = ask(
        &server,
        serde_json::json!({"locale": "en", "question": "x".repeat(100_000)}),
    )
    .await;
    assert_eq!(
        status, 413,
        "a body over the limit is refused before it is read"
    );
    let (status, body) = ask(
        &server,
        serde_json::json!({"locale": "fr", "question": "bonjour"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("locale"), "{body}");
    let (status, body) = ask(&server, serde_json::json!({"question": "refund"})).await;
    assert_eq!(status, 400, "{body}");
    // Japanese has its own model, multilingual-e5-small: a citizen's long, polite sentence
    // that shares few words with the article.
    let reply = ask_when_ready(
        &server,
        "ja",
        "昨日届いた荷物を開けてみたら、中のお皿が割れてしまっていました。どうすればいいでしょうか。",
    )
    .await;
    assert_eq!(reply["hits"][0]["id"], "defective-item", "{reply}");

    let foreign = reqwest::Client::new()
        .post(format!("{}/sites/{DEMO}/answers", server.url))
        .header("origin", "https://elsewhere.example")
        .json(&serde_json::json!({"locale": "en", "question": "refund"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status().as_u16(), 403);
    let unknown = reqwest::Client::new()
        .post(format!("{}/sites/nope/answers", server.url))
        .header("origin", &server.url)
        .json(&serde_json::json!({"locale": "en", "question": "refund"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
}

#[tokio::test]
async fn one_address_asking_without_pause_is_throttled() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), true, None).await;
    ask_when_ready(&server, "en", "refund").await;
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(
            ask(
                &server,
                serde_json::json!({"locale": "en", "question": "refund"}),
            )
            .await
            .0,
        );
    }
    let throttled = statuses
        .iter()
        .position(|&s| s == 429)
        .expect("throttled at some point");
    assert!(
        statuses[..throttled].iter().all(|&s| s == 200),
        "{statuses:?}"
    );
    assert!(
        throttled >= 15,
        "a visitor's burst goes through: {statuses:?}"
    );
}

#[tokio::test]
async fn without_the_model_or_when_off_the_widget_is_told_to_keep_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    for server in [
        serve(dir.path(), true, Some(empty.path())).await,
        serve(dir.path(), false, None).await,
    ] {
        let (status, body) = ask(
            &server,
            serde_json::json!({"locale": "en", "question": "refund"}),
        )
        .await;
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("not available"), "{body}");
    }
}

#[tokio::test]
async fn a_language_whose_model_is_missing_keeps_the_browsers_answers() {
    let dir = tempfile::tempdir().unwrap();
    let english_only = tempfile::tempdir().unwrap();
    let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/models");
    std::os::unix::fs::symlink(
        installed.join("all-minilm-l6-v2"),
        english_only.path().join("all-minilm-l6-v2"),
    )
    .unwrap();
    let server = serve(dir.path(), true, Some(english_only.path())).await;
    ask_when_ready(&server, "en", "refund").await;
    let (status, body) = ask(
        &server,
        serde_json::json!({"locale": "ja", "question": "返品したい"}),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("not available"), "{body}");
}

/// IPADIC as `cargo xtask setup` unpacks it, read by our own reader of MeCab's format: the
/// words city-hall questions are about, whether written in kanji or typed in kana.
#[test]
fn the_installed_dictionary_reads_kanji_and_kana_alike() {
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/models");
    let readings = ito::answers::models::load_readings(&models)
        .expect("cargo xtask setup fetches IPADIC into target/models/ipadic");
    assert!(readings.len() > 100_000, "{} words", readings.len());
    for (kanji, kana) in [
        ("住民票が欲しい", "じゅうみんひょうが欲しい"),
        ("戸籍謄本", "こせきとうほん"),
        ("督促状が来た", "とくそくじょうが来た"),
        ("避難場所はどこ", "ひなんばしょはどこ"),
    ] {
        assert_eq!(
            readings.read(kanji),
            readings.read(kana),
            "{kanji} / {kana}"
        );
    }
    assert_eq!(readings.read("市役所"), "シヤクショ");
}

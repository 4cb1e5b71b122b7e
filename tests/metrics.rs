//! The measures over HTTP and the command line: admins only, clear errors for bad ranges,
//! and the same figures as JSON, as CSV and in `ito report`'s table.

mod common;

use common::live::{agent, server_and_store, visitor_handed_off};
use common::{Server, say};
use ito_protocol::chat::AgentToServer;
use serde_json::{Value, json};

async fn admin_cookie(
    server: &Server,
    pool: &sqlx::SqlitePool,
    email: &str,
    admin: bool,
) -> String {
    ito::agents::add(pool, email, "Ann Admin", "correct horse", admin)
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/login", server.url))
        .header("origin", &server.url)
        .json(&json!({"email": email, "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    jiff::Timestamp::from_second(now)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

async fn get(server: &Server, cookie: &str, query: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/api/v1/sites/demo/metrics?{query}", server.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn admins_get_the_measures_as_json_and_csv_and_others_do_not() {
    let (_dir, server, pool) = server_and_store().await;
    let admin = admin_cookie(&server, &pool, "ann@shop.example", true).await;
    let agent_only = admin_cookie(&server, &pool, "bob@shop.example", false).await;

    // One visitor handed off, claimed and resolved by Ann, who answered.
    let (_visitor, conversation) = visitor_handed_off(&server).await;
    let mut ann = agent(&server, &admin).await;
    say(
        &mut ann,
        &AgentToServer::Claim {
            conversation: conversation.clone(),
        },
    )
    .await;
    let reply = AgentToServer::Send {
        conversation: conversation.clone(),
        id: "a1".parse().unwrap(),
        text: "Hello".into(),
    };
    say(&mut ann, &reply).await;
    say(
        &mut ann,
        &AgentToServer::Resolve {
            conversation: conversation.clone(),
        },
    )
    .await;
    let answer = ito::surveys::Answer {
        csat: Some(4),
        ces: Some(6),
        comment: None,
    };
    let mut recorded = Err(ito::surveys::SurveyError::Empty);
    for _ in 0..200 {
        recorded = ito::surveys::record(&pool, &conversation, answer.clone()).await;
        if recorded.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    recorded.unwrap();

    let range = format!("from={0}&to={0}", today());
    let response = get(&server, &admin, &range).await;
    assert_eq!(response.status().as_u16(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["measures"]["conversations"], 1);
    assert_eq!(report["measures"]["handoff_rate"], 1.0);
    assert_eq!(report["measures"]["csat_mean"], 4.0);
    assert_eq!(report["measures"]["first_contact_resolution"], 1.0);
    assert_eq!(report["agents"][0]["name"], "Ann Admin");

    let csv = get(&server, &admin, &format!("{range}&format=csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("Measure,All,Ann Admin\n"), "{csv}");
    assert!(csv.contains("\nCSAT mean (1-5),4.00,4.00\n"), "{csv}");
    assert!(csv.contains("\nHandoff rate,100.0 %,100.0 %\n"), "{csv}");

    assert_eq!(
        get(&server, &agent_only, &range).await.status().as_u16(),
        403
    );
    assert_eq!(
        get(&server, "ito_session=nope", &range)
            .await
            .status()
            .as_u16(),
        401
    );
    let backwards = get(&server, &admin, "from=2026-11-02&to=2026-11-01").await;
    assert_eq!(backwards.status().as_u16(), 400);
    assert!(backwards.text().await.unwrap().contains("before it starts"));
    let unknown = reqwest::Client::new()
        .get(format!("{}/api/v1/sites/nope/metrics?{range}", server.url))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
}

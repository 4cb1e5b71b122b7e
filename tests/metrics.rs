//! The measures over HTTP and the command line: admins only, clear errors for bad ranges,
//! and the same figures as JSON, as CSV and in `ito report`'s table.

mod common;

use common::live::{agent, server_and_store, signed_in_as, visitor_handed_off};
use common::{Server, say};
use ito_protocol::chat::AgentToServer;
use serde_json::{Value, json};

async fn admin_cookie(
    server: &Server,
    pool: &ito::store::Store,
    email: &str,
    admin: bool,
) -> String {
    let role = if admin {
        ito::store::agents::Role::Admin
    } else {
        ito::store::agents::Role::Agent
    };
    signed_in_as(server, pool, email, "Ann Admin", role).await
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
        article: None,
    };
    say(&mut ann, &reply).await;
    say(
        &mut ann,
        &AgentToServer::Resolve {
            conversation: conversation.clone(),
        },
    )
    .await;
    let answer = ito::store::surveys::Answer {
        csat: Some(4),
        ces: Some(6),
        comment: Some("Quick, thanks".into()),
    };
    let mut recorded = Err(ito::store::surveys::SurveyError::Empty);
    for _ in 0..200 {
        recorded = ito::store::surveys::record(&pool, &conversation, answer.clone()).await;
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
    assert_eq!(report["daily"].as_array().unwrap().len(), 1);
    assert_eq!(report["daily"][0]["measures"]["conversations"], 1);
    assert_eq!(report["csat_scores"], json!([0, 0, 0, 1, 0]));
    assert_eq!(report["ces_scores"], json!([0, 0, 0, 0, 0, 1, 0]));
    assert_eq!(report["comments"][0]["comment"], "Quick, thanks");
    assert_eq!(report["comments"][0]["conversation"], conversation.as_str());

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
    let sites: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/sites", server.url))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sites[0]["id"], "demo");
    assert_eq!(sites[0]["time_zone"], "UTC");
    assert_eq!(sites[0]["locales"], json!(["en", "ja"]));
    let agent_sites = reqwest::Client::new()
        .get(format!("{}/api/v1/sites", server.url))
        .header("cookie", &agent_only)
        .send()
        .await
        .unwrap();
    assert_eq!(agent_sites.status().as_u16(), 403);
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

#[tokio::test]
async fn the_days_of_a_seeded_month_add_up_to_the_whole() {
    let (_dir, pool) = ito::store::testing::fresh().await.unwrap();
    let now = ito::live::dispatch::now_millis();
    ito::reports::seed::seed(&pool, "demo", 14, now, None)
        .await
        .unwrap();
    let config = ito::site::config::Config::demo();
    let site = config.site("demo").unwrap();
    let days = ito::reports::report::Days::parse(&days_ago(20), &days_ago(0)).unwrap();
    let report = ito::reports::report::report(&pool, site, days, None)
        .await
        .unwrap();
    assert_eq!(report.daily.len(), 21);
    let by_day: u32 = report.daily.iter().map(|d| d.measures.conversations).sum();
    assert_eq!(by_day, report.measures.conversations);
    assert!(report.measures.conversations > 100);
    assert_eq!(
        report.csat_scores.iter().sum::<u32>(),
        report.measures.csat_answers
    );
    assert_eq!(
        report.ces_scores.iter().sum::<u32>(),
        report.measures.ces_answers
    );
    assert!(!report.comments.is_empty());
}

fn days_ago(days: i64) -> String {
    let now = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    now.checked_sub(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

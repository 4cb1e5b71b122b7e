//! Labels as agents and admins use them: admins define a site's, agents put them on
//! conversations over their socket (the inbox shows them), and the report is cut by one.

mod common;

use common::live::{agent, console, server_and_store, signed_in_as, visitor_waiting};
use common::say;
use ito::store::agents::Role;
use ito_protocol::chat::{AgentToServer, ErrorCode, ServerToAgent};
use reqwest::Method;
use serde_json::{Value, json};

/// Today in the demo site's time zone (UTC: it names none).
fn today() -> String {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

#[tokio::test]
async fn labelled_conversations_show_in_the_inbox_and_cut_the_report() {
    let (_dir, server, pool) = server_and_store().await;
    let admin = signed_in_as(&server, &pool, "boss@shop.example", "Boss", Role::Admin).await;
    let ann = signed_in_as(&server, &pool, "ann@shop.example", "Ann", Role::Agent).await;
    for label in ["billing", "vip"] {
        let path = format!("/api/v1/sites/demo/labels/{label}");
        assert_eq!(
            console(&server, &ann, Method::PUT, &path, Some(json!({})))
                .await
                .0,
            403
        );
        assert_eq!(
            console(&server, &admin, Method::PUT, &path, Some(json!({})))
                .await
                .0,
            204
        );
    }
    let bad = "/api/v1/sites/demo/labels/%20%20";
    assert_eq!(
        console(&server, &admin, Method::PUT, bad, Some(json!({})))
            .await
            .0,
        400
    );
    let (_, listed) = console(
        &server,
        &ann,
        Method::GET,
        "/api/v1/sites/demo/labels",
        None,
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&listed).unwrap(),
        json!(["billing", "vip"])
    );

    let (_first, labelled, _) = visitor_waiting(&server).await;
    let (_second, _other, _) = visitor_waiting(&server).await;
    let mut ann_socket = agent(&server, &ann).await;
    let label = |label: &str, on| AgentToServer::Label {
        conversation: labelled.clone(),
        label: label.into(),
        on,
    };
    say(&mut ann_socket, &label("billing", true)).await;
    loop {
        let open = inbox_with_labels(&mut ann_socket).await;
        if open
            .iter()
            .any(|(id, labels)| *id == labelled.as_str() && labels == &["billing"])
        {
            break;
        }
    }
    assert_eq!(
        common::live::refusal(&mut ann_socket, &label("shipping", true)).await,
        ErrorCode::Malformed,
        "a label the site does not define"
    );

    let metrics = |label: &str| {
        format!(
            "/api/v1/sites/demo/metrics?from={}&to={}{label}",
            today(),
            today()
        )
    };
    let figures = |body: String| {
        serde_json::from_str::<Value>(&body).unwrap()["measures"]["conversations"].clone()
    };
    let (status, all) = console(&server, &admin, Method::GET, &metrics(""), None).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(figures(all), 2);
    let (_, billing) = console(
        &server,
        &admin,
        Method::GET,
        &metrics("&label=billing"),
        None,
    )
    .await;
    assert_eq!(figures(billing), 1);
    let (_, vip) = console(&server, &admin, Method::GET, &metrics("&label=vip"), None).await;
    assert_eq!(figures(vip), 0);
}

/// The next inbox, as each conversation's id and labels.
async fn inbox_with_labels(agent: &mut common::Socket) -> Vec<(String, Vec<String>)> {
    loop {
        if let ServerToAgent::Inbox { conversations } = common::hear(agent).await {
            return conversations
                .into_iter()
                .map(|c| (c.conversation.as_str().to_owned(), c.labels))
                .collect();
        }
    }
}

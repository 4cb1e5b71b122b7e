//! Canned replies over the API as the console uses it: admins manage a site's, every agent
//! reads them, editors and other roles are refused, and bad input is refused in words.

mod common;

use common::live::{console, server_and_store, signed_in_as};
use ito::store::agents::Role;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn admins_manage_canned_replies_and_agents_read_them() {
    let (_dir, server, pool) = server_and_store().await;
    let admin = signed_in_as(&server, &pool, "boss@shop.example", "Boss", Role::Admin).await;
    let agent = signed_in_as(&server, &pool, "ann@shop.example", "Ann", Role::Agent).await;
    let editor = signed_in_as(&server, &pool, "ed@shop.example", "Ed", Role::Editor).await;
    let path = "/api/v1/sites/demo/canned/refund";
    let body = || Some(json!({"text": "Hi {visitor_name}, refunds take 5 days. {agent_name}"}));

    assert_eq!(
        console(&server, &agent, Method::PUT, path, body()).await.0,
        403
    );
    assert_eq!(
        console(&server, &admin, Method::PUT, path, body()).await.0,
        204
    );
    let bad = console(
        &server,
        &admin,
        Method::PUT,
        "/api/v1/sites/demo/canned/Not%20OK",
        body(),
    )
    .await;
    assert_eq!(bad.0, 400);
    assert!(
        bad.1.contains("a shortcut is 1 to 40 lowercase letters"),
        "{}",
        bad.1
    );
    let empty = console(
        &server,
        &admin,
        Method::PUT,
        path,
        Some(json!({"text": "  "})),
    )
    .await;
    assert_eq!(empty.0, 400);
    let unknown = console(
        &server,
        &admin,
        Method::PUT,
        "/api/v1/sites/nowhere/canned/x",
        body(),
    )
    .await;
    assert_eq!(unknown.0, 404);

    let (status, listed) = console(
        &server,
        &agent,
        Method::GET,
        "/api/v1/sites/demo/canned",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&listed).unwrap(),
        json!([{"shortcut": "refund", "text": "Hi {visitor_name}, refunds take 5 days. {agent_name}"}])
    );
    assert_eq!(
        console(
            &server,
            &editor,
            Method::GET,
            "/api/v1/sites/demo/canned",
            None
        )
        .await
        .0,
        403
    );

    assert_eq!(
        console(&server, &admin, Method::DELETE, path, Some(json!({})))
            .await
            .0,
        204
    );
    assert_eq!(
        console(&server, &admin, Method::DELETE, path, Some(json!({})))
            .await
            .0,
        404
    );
}

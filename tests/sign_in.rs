//! Signing in under attack: failures are throttled per email and per address with a 429 that
//! says when to come back. (That hashing stays off the async workers is tested in `agents`.)

mod common;

use common::live::{server_and_store, sign_in};

#[tokio::test]
async fn five_failures_for_an_email_make_it_wait_with_retry_after_in_words() {
    let (_dir, server, pool) = server_and_store().await;
    for email in ["ann@shop.example", "bob@shop.example"] {
        ito::store::agents::add(
            &pool,
            email,
            "Someone",
            "correct horse",
            ito::store::agents::Role::Agent,
        )
        .await
        .unwrap();
    }
    for _ in 0..5 {
        let response = sign_in(&server, "ann@shop.example", "guess").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    let response = sign_in(&server, "Ann@Shop.example", "correct horse").await;
    assert_eq!(
        response.status().as_u16(),
        429,
        "even the right password waits"
    );
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((840..=900).contains(&retry_after), "{retry_after}");
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("too many failed sign-ins: try again in 15 minutes"),
        "{text}"
    );
    // Another agent at the same address is not locked out by Ann's attacker.
    let response = sign_in(&server, "bob@shop.example", "correct horse").await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn one_address_trying_many_emails_is_throttled_too() {
    let (_dir, server, _pool) = server_and_store().await;
    for n in 0..20 {
        let response = sign_in(&server, &format!("guess{n}@shop.example"), "guess").await;
        assert_eq!(response.status().as_u16(), 401, "attempt {n}");
    }
    let response = sign_in(&server, "guess99@shop.example", "guess").await;
    assert_eq!(response.status().as_u16(), 429);
}

#[tokio::test]
async fn an_email_with_a_nul_character_is_refused_in_words() {
    let (_dir, server, _pool) = server_and_store().await;
    let response = sign_in(&server, "ann\0@shop.example", "guess").await;
    assert_eq!(response.status().as_u16(), 400);
    let text = response.text().await.unwrap();
    assert!(text.contains("NUL character"), "{text}");
}

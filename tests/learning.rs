//! The site owner's loop over real sockets and the editor's API: the widget reports what the
//! bot did with each question, the gaps view groups the ones it did not handle, each article
//! has its figures, and an agent's inserted article becomes a suggestion that, accepted, the
//! base visitors get answers with.

mod common;

use common::live::{agent, console, greeted, server_and_store, signed_in_as, skip_inbox};
use common::{Server, Socket, hear, say};
use ito::store::agents::Role;
use ito_protocol::Locale;
use ito_protocol::chat::{
    AgentToServer, Author, ConversationId, ErrorCode, EventKind, HandoffContext, HandoffReason,
    ServerToAgent, ServerToVisitor, TranscriptLine, VisitorToServer,
};
use reqwest::Method;
use serde_json::{Value, json};

/// Today in the demo site's time zone (UTC: it names none).
fn today() -> String {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

fn replied(line: u32, question: &str, article: Option<&str>) -> VisitorToServer {
    VisitorToServer::BotReplied {
        line,
        locale: Locale::En,
        question: question.into(),
        article: article.map(str::to_owned),
        unsure: article.is_none(),
    }
}

/// Sends `frame` and returns the code of the error the visitor gets for it.
async fn refused(visitor: &mut Socket, frame: &VisitorToServer) -> ErrorCode {
    say(visitor, frame).await;
    loop {
        if let ServerToVisitor::Error { code, .. } = hear(visitor).await {
            return code;
        }
    }
}

/// A visitor whose bot could not pay with bitcoin (twice), whose answer about a parcel did not
/// help, whose shipping answer helped, and who then asked for a person.
async fn visitor_the_bot_missed(server: &Server) -> (Socket, ConversationId) {
    let (mut visitor, welcome) = greeted(server, None, 0, None).await;
    let ServerToVisitor::Welcome { conversation, .. } = welcome else {
        panic!("a welcome")
    };
    for frame in [
        replied(2, "can I pay with bitcoin?", None),
        replied(4, "paying with bitcoin", None),
        replied(6, "where is my parcel", Some("order-status")),
        VisitorToServer::Rated {
            line: 6,
            helpful: false,
        },
        replied(8, "how long does delivery take", Some("shipping-time")),
        VisitorToServer::Rated {
            line: 8,
            helpful: true,
        },
        // A report sent again (after a reconnect) is kept once.
        replied(8, "how long does delivery take", Some("shipping-time")),
    ] {
        say(&mut visitor, &frame).await;
    }
    // Reports the widget cannot write are refused in words (and prove the ones before were
    // read: a connection reads its frames in order).
    let unknown = replied(10, "gift wrap?", Some("gift-wrapping"));
    assert_eq!(refused(&mut visitor, &unknown).await, ErrorCode::Malformed);
    assert_eq!(
        refused(&mut visitor, &replied(10, "   ", None)).await,
        ErrorCode::Malformed
    );
    let long = "why ".repeat(20_000);
    assert_eq!(
        refused(&mut visitor, &replied(10, &long, None)).await,
        ErrorCode::TooLarge
    );

    let line = |author: Author, text: &str, helpful| TranscriptLine {
        author,
        text: text.into(),
        helpful,
    };
    let unsure = || Author::Bot {
        article: None,
        confidence: None,
    };
    let context = HandoffContext {
        transcript: vec![
            line(Author::Visitor, "how long does delivery take", None),
            line(
                Author::Bot {
                    article: Some("shipping-time".into()),
                    confidence: Some(0.8),
                },
                "How long delivery takes",
                Some(true),
            ),
            line(Author::Visitor, "paying with bitcoin", None),
            line(unsure(), "(not sure)", None),
            line(Author::Visitor, "talk to a person", None),
        ],
        locale: Some(Locale::En),
        ..HandoffContext::default()
    };
    let handoff = VisitorToServer::Handoff {
        reason: HandoffReason::Asked,
        context: Box::new(context),
    };
    say(&mut visitor, &handoff).await;
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && matches!(event.kind, EventKind::HandoffRequested { .. })
        {
            return (visitor, conversation);
        }
    }
}

/// The agent claims `conversation` and answers it with `article` inserted.
async fn answered_with(agent: &mut Socket, conversation: &ConversationId, article: &str, id: &str) {
    let claim = AgentToServer::Claim {
        conversation: conversation.clone(),
    };
    say(agent, &claim).await;
    let reply = AgentToServer::Send {
        conversation: conversation.clone(),
        id: id.parse().unwrap(),
        text: "We take cards and bank transfers; no cryptocurrencies yet.".into(),
        article: Some(article.into()),
    };
    say(agent, &reply).await;
    loop {
        if let ServerToAgent::Ack { .. } = skip_inbox(agent).await {
            return;
        }
    }
}

async fn get_json(server: &Server, cookie: &str, path: &str) -> Value {
    let (status, body) = console(server, cookie, Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn the_bots_misses_are_grouped_and_an_agents_answer_teaches_the_base() {
    let (_dir, server, pool) = server_and_store().await;
    let ed = signed_in_as(&server, &pool, "ed@shop.example", "Ed", Role::Editor).await;
    let ann = signed_in_as(&server, &pool, "ann@shop.example", "Ann", Role::Agent).await;
    let (_visitor, conversation) = visitor_the_bot_missed(&server).await;
    let range = format!("from={}&to={}", today(), today());

    let gaps = get_json(
        &server,
        &ed,
        &format!("/api/v1/sites/demo/kb/en/gaps?{range}"),
    )
    .await;
    assert_eq!(gaps["questions"], 4, "{gaps}");
    let groups = gaps["groups"].as_array().unwrap();
    assert_eq!(
        groups[0]["count"], 2,
        "the two bitcoin questions are one gap: {gaps}"
    );
    assert_eq!(groups[0]["unsure"], 2);
    assert_eq!(
        groups[0]["questions"],
        json!(["paying with bitcoin", "can I pay with bitcoin?"])
    );
    let rest: Vec<&Value> = groups[1..].iter().map(|g| &g["examples"][0]).collect();
    assert_eq!(groups.len(), 3);
    assert!(
        rest.contains(&&json!("where is my parcel")),
        "did not help: {gaps}"
    );
    assert!(
        rest.contains(&&json!("how long does delivery take")),
        "a person was asked for after it: {gaps}"
    );

    let figures = get_json(
        &server,
        &ed,
        &format!("/api/v1/sites/demo/kb/en/figures?{range}"),
    )
    .await;
    let row = |id: &str| {
        figures["articles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        row("shipping-time"),
        json!({"id": "shipping-time", "title": "How long delivery takes", "shown": 1,
               "helped": 1, "not_helped": 0, "handoffs": 1})
    );
    assert_eq!(row("order-status")["not_helped"], 1);
    assert_eq!(row("order-status")["handoffs"], 0);

    let mut ann = agent(&server, &ann).await;
    answered_with(&mut ann, &conversation, "payment-methods", "a1").await;
    // The same article again suggests nothing more.
    let again = AgentToServer::Send {
        conversation: conversation.clone(),
        id: "a2".parse().unwrap(),
        text: "Anything else?".into(),
        article: Some("payment-methods".into()),
    };
    say(&mut ann, &again).await;
    while !matches!(skip_inbox(&mut ann).await, ServerToAgent::Ack { .. }) {}

    let open = get_json(&server, &ed, "/api/v1/sites/demo/kb/en/suggestions").await;
    let suggestions = open["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 1, "{open}");
    assert_eq!(suggestions[0]["question"], "paying with bitcoin");
    assert_eq!(suggestions[0]["article"], "payment-methods");
    assert_eq!(suggestions[0]["title"], "Payment methods");
    assert_eq!(suggestions[0]["agent"], "Ann");
    let id = suggestions[0]["id"].as_str().unwrap().to_owned();

    let etag_before = served_etag(&server).await;
    let accept = format!("/api/v1/sites/demo/kb/en/suggestions/{id}/accept");
    let (status, body) = console(&server, &ed, Method::POST, &accept, Some(json!({}))).await;
    assert_eq!((status, body.as_str()), (200, r#"{"published":true}"#));
    assert_ne!(served_etag(&server).await, etag_before);
    let served = served_base(&server).await;
    let learned = served
        .articles
        .iter()
        .find(|a| a.id == "payment-methods")
        .unwrap();
    assert_eq!(learned.questions.last().unwrap(), "paying with bitcoin");
    let answer = ito_assistant::Assistant::new(served).ask("paying with bitcoin", 1);
    assert_eq!(answer.hits[0].id, "payment-methods");

    let (status, _) = console(&server, &ed, Method::POST, &accept, Some(json!({}))).await;
    assert_eq!(status, 404, "a suggestion is decided once");
    let open = get_json(&server, &ed, "/api/v1/sites/demo/kb/en/suggestions").await;
    assert_eq!(open["suggestions"], json!([]));
}

#[tokio::test]
async fn accepting_never_publishes_someone_elses_unfinished_edit_and_dismissing_keeps_nothing() {
    let (_dir, server, pool) = server_and_store().await;
    let ed = signed_in_as(&server, &pool, "ed@shop.example", "Ed", Role::Editor).await;
    let ann = signed_in_as(&server, &pool, "ann@shop.example", "Ann", Role::Agent).await;
    let mut ann_socket = agent(&server, &ann).await;
    let (_first, conversation) = visitor_the_bot_missed(&server).await;
    answered_with(&mut ann_socket, &conversation, "payment-methods", "a1").await;
    let (_second, other) = visitor_the_bot_missed(&server).await;
    answered_with(&mut ann_socket, &other, "gift-cards", "a1").await;
    let open = get_json(&server, &ed, "/api/v1/sites/demo/kb/en/suggestions").await;
    let id_for = |article: &str| {
        open["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["article"] == article)
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (payments, gift_cards) = (id_for("payment-methods"), id_for("gift-cards"));

    // Agents do not decide on suggestions; editors and admins do.
    let dismiss = format!("/api/v1/sites/demo/kb/en/suggestions/{gift_cards}/dismiss");
    assert_eq!(
        console(&server, &ann, Method::POST, &dismiss, Some(json!({})))
            .await
            .0,
        403
    );
    assert_eq!(
        console(
            &server,
            &ann,
            Method::GET,
            "/api/v1/sites/demo/kb/en/gaps?from=2026-01-01&to=2026-01-02",
            None
        )
        .await
        .0,
        403
    );
    let (status, body) = console(&server, &ed, Method::POST, &dismiss, Some(json!({}))).await;
    assert_eq!((status, body.as_str()), (200, r#"{"published":false}"#));

    // An unpublished edit in the draft: accepting puts the question in the draft only.
    let draft = get_json(&server, &ed, "/api/v1/sites/demo/kb/en").await;
    let coupons = draft["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["article"]["id"] == "coupons")
        .unwrap()
        .clone();
    let mut edited = coupons["article"].clone();
    edited["answer"] = json!("Codes are entered at checkout; one per order.");
    let save = json!({"version": coupons["version"], "article": edited});
    let (status, body) = console(
        &server,
        &ed,
        Method::PUT,
        "/api/v1/sites/demo/kb/en/articles/coupons",
        Some(save),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let etag_before = served_etag(&server).await;
    let accept = format!("/api/v1/sites/demo/kb/en/suggestions/{payments}/accept");
    let (status, body) = console(&server, &ed, Method::POST, &accept, Some(json!({}))).await;
    assert_eq!((status, body.as_str()), (200, r#"{"published":false}"#));
    assert_eq!(served_etag(&server).await, etag_before);
    let draft = get_json(&server, &ed, "/api/v1/sites/demo/kb/en").await;
    let payment = draft["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["article"]["id"] == "payment-methods")
        .unwrap();
    assert_eq!(
        payment["article"]["questions"]
            .as_array()
            .unwrap()
            .last()
            .unwrap(),
        "paying with bitcoin"
    );
    let open = get_json(&server, &ed, "/api/v1/sites/demo/kb/en/suggestions").await;
    assert_eq!(open["suggestions"], json!([]));

    let bad = "/api/v1/sites/demo/kb/en/gaps?from=2026-02-01&to=2026-01-01";
    assert_eq!(console(&server, &ed, Method::GET, bad, None).await.0, 400);
}

async fn served_etag(server: &Server) -> String {
    let response = reqwest::get(format!("{}/sites/demo/kb/en.json", server.url))
        .await
        .unwrap();
    response.headers()["etag"].to_str().unwrap().to_owned()
}

async fn served_base(server: &Server) -> ito_assistant::KnowledgeBase {
    let response = reqwest::get(format!("{}/sites/demo/kb/en.json", server.url))
        .await
        .unwrap();
    ito_assistant::KnowledgeBase::parse(&response.text().await.unwrap()).unwrap()
}

#[tokio::test]
async fn a_site_that_keeps_no_questions_still_counts_its_articles() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        common::serve_configured(dir.path(), common::Build { front_ends: false }, |config| {
            let demo = config
                .sites
                .iter_mut()
                .find(|s| s.id.as_str() == "demo")
                .unwrap();
            demo.keep_bot_questions = false;
        })
        .await;
    let ed = signed_in_as(
        &server,
        &server.state.db,
        "ed@shop.example",
        "Ed",
        Role::Editor,
    )
    .await;
    let (_visitor, _) = visitor_the_bot_missed(&server).await;
    let range = format!("from={}&to={}", today(), today());
    let gaps = get_json(
        &server,
        &ed,
        &format!("/api/v1/sites/demo/kb/en/gaps?{range}"),
    )
    .await;
    assert_eq!(gaps, json!({"questions": 0, "groups": []}));
    let figures = get_json(
        &server,
        &ed,
        &format!("/api/v1/sites/demo/kb/en/figures?{range}"),
    )
    .await;
    assert_eq!(
        figures["articles"].as_array().unwrap().len(),
        2,
        "{figures}"
    );
    let kept: i64 = common::count(
        &server.state.db,
        "SELECT COUNT(*) FROM bot_turns WHERE question <> $1",
        "",
    )
    .await;
    assert_eq!(kept, 0, "no visitor's words are kept");
}

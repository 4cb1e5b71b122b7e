//! Identified visitors against a real server: a visitor whose id the site's server signed sees
//! their conversation from another device; a forged signature is only a claim, shown to agents
//! as unverified, and finds nobody's conversation.

mod common;

use common::live::{agent, greeted, signed_in, skip_inbox};
use common::{Build, Server, Socket, hear, say, serve_configured};
use ito::site::identity::IdentitySecret;
use ito_protocol::chat::{
    AgentToServer, ConversationId, EventKind, ServerToAgent, ServerToVisitor, VisitorToServer,
};
use ito_protocol::embed::Visitor;

const SECRET: &str = "the demo shop's identity secret";

async fn server() -> (tempfile::TempDir, Server, ito::store::Store) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        config.sites[0].identity_secret = Some(IdentitySecret::new(SECRET));
    })
    .await;
    let pool = server.state.db.clone();
    (dir, server, pool)
}

fn visitor(id: &str, signature: Option<String>) -> Visitor {
    Visitor {
        id: id.into(),
        name: Some("Ann Example".into()),
        email: Some("ann@example.com".into()),
        signature,
        expires: None,
    }
}

/// A new device: no token, only who the host page says the visitor is.
async fn device(server: &Server, who: Visitor) -> (Socket, ConversationId) {
    let (socket, welcome) = greeted(server, None, 0, Some(who)).await;
    let ServerToVisitor::Welcome { conversation, .. } = welcome else {
        panic!("a welcome")
    };
    (socket, conversation)
}

async fn says(socket: &mut Socket, id: &str, text: &str) {
    let frame = VisitorToServer::Send {
        id: id.parse().unwrap(),
        text: text.into(),
    };
    say(socket, &frame).await;
    loop {
        if let ServerToVisitor::Ack { .. } = hear(socket).await {
            return;
        }
    }
}

#[tokio::test]
async fn a_verified_visitor_finds_their_conversation_on_another_device() {
    let (_dir, server, _pool) = server().await;
    let signature = IdentitySecret::new(SECRET).sign("user-42");
    let (mut laptop, first) = device(&server, visitor("user-42", Some(signature.clone()))).await;
    says(&mut laptop, "l1", "My parcel never came").await;

    let (mut phone, second) = device(&server, visitor("user-42", Some(signature))).await;
    assert_eq!(first, second, "the same conversation");
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut phone).await
            && let EventKind::Message { text, .. } = event.kind
        {
            assert_eq!(text, "My parcel never came", "its history replayed");
            break;
        }
    }
}

#[tokio::test]
async fn a_forged_signature_is_only_a_claim() {
    let (_dir, server, pool) = server().await;
    let genuine = IdentitySecret::new(SECRET).sign("user-42");
    let (mut laptop, first) = device(&server, visitor("user-42", Some(genuine))).await;
    says(&mut laptop, "l1", "private words").await;

    let forged = IdentitySecret::new("somebody else's secret").sign("user-42");
    let (_intruder, theirs) = device(&server, visitor("user-42", Some(forged))).await;
    assert_ne!(
        first, theirs,
        "a forged signature finds nobody's conversation"
    );
    let (_unsigned, unsigned) = device(&server, visitor("user-42", None)).await;
    assert_ne!(first, unsigned);

    // Agents see the claim, marked unverified, and the genuine visitor marked verified.
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    for (conversation, verified) in [(theirs, false), (first, true)] {
        say(&mut ann, &AgentToServer::Open { conversation }).await;
        let identity = loop {
            if let ServerToAgent::Context { visitor, .. } = skip_inbox(&mut ann).await {
                break visitor.expect("the visitor said who they are");
            }
        };
        assert_eq!(identity.id.as_deref(), Some("user-42"));
        assert_eq!(identity.name.as_deref(), Some("Ann Example"));
        assert_eq!(identity.verified, verified);
    }
}

#[tokio::test]
async fn pre_chat_answers_reach_the_agent_as_a_claim() {
    let (_dir, server, pool) = server().await;
    let without_email = Visitor {
        email: None,
        ..visitor("u-7", None)
    };
    let (mut socket, conversation) = device(&server, without_email).await;
    let context = ito_protocol::chat::HandoffContext {
        name: Some("  Someone Else ".into()),
        email: Some("ann@example.com".into()),
        ..Default::default()
    };
    let handoff = VisitorToServer::Handoff {
        reason: ito_protocol::chat::HandoffReason::Asked,
        context: Box::new(context),
    };
    say(&mut socket, &handoff).await;
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut socket).await
            && matches!(event.kind, EventKind::HandoffRequested { .. })
        {
            break;
        }
    }
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    say(&mut ann, &AgentToServer::Open { conversation }).await;
    let identity = loop {
        if let ServerToAgent::Context { visitor, .. } = skip_inbox(&mut ann).await {
            break visitor.expect("the visitor said who they are");
        }
    };
    assert_eq!(
        identity.name.as_deref(),
        Some("Ann Example"),
        "what the host page said stays"
    );
    assert_eq!(
        identity.email.as_deref(),
        Some("ann@example.com"),
        "the answer fills what was missing"
    );
    assert!(!identity.verified);
}

#[tokio::test]
async fn a_signature_past_its_expiry_is_only_a_claim() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_configured(dir.path(), Build { front_ends: false }, |config| {
        config.sites[0].identity_secret = Some(IdentitySecret::new(SECRET));
    })
    .await;
    let secret = IdentitySecret::new(SECRET);
    let now = ito::live::dispatch::now_millis() / 1000;
    for (expires, verified) in [(now + 3600, true), (now - 1, false)] {
        let mut who = visitor("user-7", Some(secret.sign_until("user-7", Some(expires))));
        who.expires = Some(expires);
        let (_, welcome) = greeted(&server, None, 0, Some(who)).await;
        let ServerToVisitor::Welcome { conversation, .. } = welcome else {
            panic!("a welcome")
        };
        let stored = ito::store::events::visitor_of(&server.state.db, &conversation)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.verified, verified, "expires {expires}, now {now}");
    }
}

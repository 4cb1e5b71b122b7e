//! Mail to visitors over real SMTP: a reply to a visitor who left goes by mail with a link
//! back to the thread, the transcript on request (never an agent's note), a mail server that
//! is down delays mail and loses none, a mailbox refused for good is marked so, and bad
//! addresses are refused in words.

mod common;

use common::live::{claimed, greeted, signed_in, skip_inbox, visitor_waiting};
use common::smtp::{MailServer, free_port};
use common::{Build, Server, Socket, hear, say, serve_configured};
use ito::store::mail;
use ito_protocol::chat::{
    AgentToServer, ConversationId, ErrorCode, ServerToAgent, ServerToVisitor, VisitorToServer,
};

/// A server whose mail goes to 127.0.0.1:`port` (with no encryption: a relay on loopback).
async fn server_mailing_to(dir: &std::path::Path, port: u16) -> Server {
    serve_configured(dir, Build { front_ends: false }, |config| {
        config.server.limits.conversations_per_address_per_hour = 10_000;
        config.server.smtp = Some(
            toml::from_str(&format!(
                "host = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"Acme Help <help@acme.example>\""
            ))
            .unwrap(),
        );
    })
    .await
}

/// The visitor's frames until one the test wants: `EmailKept` or an error.
async fn email_answer(visitor: &mut Socket) -> ServerToVisitor {
    loop {
        if let frame @ (ServerToVisitor::EmailKept { .. } | ServerToVisitor::Error { .. }) =
            hear(visitor).await
        {
            return frame;
        }
    }
}

async fn give_email(visitor: &mut Socket, address: &str, transcript: bool) -> ServerToVisitor {
    let frame = VisitorToServer::Email {
        address: address.into(),
        transcript,
    };
    say(visitor, &frame).await;
    email_answer(visitor).await
}

/// Waits until the server has let go of the visitor's closed socket, here and in the
/// database (PostgreSQL counts visitors' connections for every node).
async fn gone(server: &Server, conversation: &ConversationId) {
    let this = std::collections::HashSet::from([conversation.clone()]);
    while !ito::live::visitors::connected_anywhere(&server.state, &this)
        .await
        .unwrap()
        .is_empty()
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Ann claims `conversation` and says `text` in it; returns once it is acknowledged.
async fn ann_replies(server: &Server, conversation: &ConversationId, text: &str) -> Socket {
    let cookie = signed_in(server, &server.state.db, "ann@shop.example").await;
    let mut ann = claimed(server, &cookie, conversation).await;
    send_as(&mut ann, conversation, "a1", text).await;
    ann
}

async fn send_as(agent: &mut Socket, conversation: &ConversationId, id: &str, text: &str) {
    let send = AgentToServer::Send {
        conversation: conversation.clone(),
        id: id.parse().unwrap(),
        text: text.into(),
        article: None,
    };
    say(agent, &send).await;
    loop {
        if let ServerToAgent::Ack { id: acked, .. } = skip_inbox(agent).await
            && acked.as_str() == id
        {
            return;
        }
    }
}

/// Waits until the conversation's mail satisfies `done` (the sender works in the background).
async fn mail_until(
    server: &Server,
    conversation: &ConversationId,
    done: impl Fn(&[mail::Queued]) -> bool,
) -> Vec<mail::Queued> {
    for _ in 0..600 {
        let queued = mail::of_conversation(&server.state.db, conversation.as_str())
            .await
            .unwrap();
        if done(&queued) {
            return queued;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the conversation's mail never got there");
}

#[tokio::test]
async fn a_reply_to_a_visitor_who_left_is_mailed_with_a_link_that_opens_the_thread() {
    let port = free_port();
    let smtp = MailServer::start(port);
    let dir = tempfile::tempdir().unwrap();
    let server = server_mailing_to(dir.path(), port).await;
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    assert_eq!(
        give_email(&mut visitor, "  visitor@example.com ", false).await,
        ServerToVisitor::EmailKept { transcript: false }
    );
    drop(visitor);
    gone(&server, &conversation).await;
    let mut ann = ann_replies(
        &server,
        &conversation,
        "Your parcel left our warehouse today.",
    )
    .await;

    let mails = smtp.wait_for(1).await;
    let reply = &mails[0];
    assert_eq!(reply.to, ["visitor@example.com"]);
    assert_eq!(reply.from, "help@acme.example");
    assert_eq!(
        reply.subject,
        "ann@shop.example replied to your message to Acme Outfitters (demo)"
    );
    assert!(
        reply.body.contains("Your parcel left our warehouse today."),
        "{}",
        reply.body
    );
    assert_eq!(reply.content_type, "text/plain");
    let link = reply
        .body
        .lines()
        .find(|l| l.starts_with(&server.url))
        .expect("a link back")
        .to_owned();
    let (page, token) = link
        .split_once("#resume=")
        .expect("the token in the fragment");
    assert_eq!(page, format!("{}/embed/demo?locale=en", server.url));

    // The link's token is the conversation's: the widget opened from it says hello with it.
    let (mut back, welcome) = greeted(&server, Some(token.to_owned()), 0, None).await;
    let ServerToVisitor::Welcome {
        conversation: resumed,
        ..
    } = welcome
    else {
        panic!("a welcome, not {welcome:?}")
    };
    assert_eq!(resumed, conversation);

    // While the visitor is here, replies are read in the widget, not mailed; a note never is.
    say(
        &mut ann,
        &AgentToServer::Note {
            conversation: conversation.clone(),
            id: "n1".parse().unwrap(),
            text: "Check the courier's claim form".into(),
        },
    )
    .await;
    send_as(&mut ann, &conversation, "a2", "Anything else?").await;

    // After the chat, the transcript: everything the visitor saw, and nothing more.
    say(
        &mut ann,
        &AgentToServer::Resolve {
            conversation: conversation.clone(),
        },
    )
    .await;
    assert_eq!(
        give_email(&mut back, "visitor@example.com", true).await,
        ServerToVisitor::EmailKept { transcript: true }
    );
    let mails = smtp.wait_for(2).await;
    assert_eq!(
        mails.len(),
        2,
        "the reply while the visitor was here was not mailed"
    );
    let transcript = &mails[1];
    assert_eq!(
        transcript.subject,
        "Your conversation with Acme Outfitters (demo)"
    );
    for said in [
        "You: where is my parcel?",
        "Assistant: Checking your order status and tracking",
        "You: My parcel is lost",
        "ann@shop.example: Your parcel left our warehouse today.",
        "ann@shop.example: Anything else?",
    ] {
        assert!(
            transcript.body.contains(said),
            "{said:?} in {}",
            transcript.body
        );
    }
    assert!(
        !transcript.body.contains("courier"),
        "a note in {}",
        transcript.body
    );
    let queued = mail::of_conversation(&server.state.db, conversation.as_str())
        .await
        .unwrap();
    assert!(
        queued
            .iter()
            .all(|m| m.sent_at.is_some() && m.attempts == 1)
    );
}

#[tokio::test]
async fn mail_waits_for_a_mail_server_that_is_down_and_goes_when_it_is_back() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let server = server_mailing_to(dir.path(), port).await;
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    give_email(&mut visitor, "visitor@example.com", false).await;
    drop(visitor);
    gone(&server, &conversation).await;
    let _ann = ann_replies(&server, &conversation, "We found your parcel.").await;

    let tried = mail_until(&server, &conversation, |m| {
        m.first().is_some_and(|m| m.last_error.is_some())
    })
    .await;
    assert_eq!(tried[0].sent_at, None);
    assert_eq!(
        tried[0].failed_at, None,
        "a server that is down is tried again"
    );

    let smtp = MailServer::start(port);
    let mails = smtp.wait_for(1).await;
    assert!(mails[0].body.contains("We found your parcel."));
    let sent = mail_until(&server, &conversation, |m| m[0].sent_at.is_some()).await;
    assert!(sent[0].attempts >= 2, "{sent:?}");
    assert_eq!(sent.len(), 1, "kept once");
    assert_eq!(smtp.received().len(), 1, "sent once");
}

#[tokio::test]
async fn a_mailbox_refused_for_good_is_marked_failed_and_not_tried_again() {
    let port = free_port();
    let smtp = MailServer::start(port);
    let dir = tempfile::tempdir().unwrap();
    let server = server_mailing_to(dir.path(), port).await;
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    give_email(&mut visitor, "refused@example.com", false).await;
    drop(visitor);
    gone(&server, &conversation).await;
    let _ann = ann_replies(&server, &conversation, "Hello?").await;
    let failed = mail_until(&server, &conversation, |m| {
        m.first().is_some_and(|m| m.failed_at.is_some())
    })
    .await;
    assert_eq!(failed[0].attempts, 1);
    assert!(
        failed[0].last_error.as_deref().unwrap().contains("550"),
        "{failed:?}"
    );
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn bad_addresses_too_many_transcripts_and_a_server_without_mail_are_refused_in_words() {
    let port = free_port();
    let _smtp = MailServer::start(port);
    let dir = tempfile::tempdir().unwrap();
    let server = server_mailing_to(dir.path(), port).await;
    let (mut visitor, _conversation, _) = visitor_waiting(&server).await;
    for bad in [
        "not-an-address",
        "a@b",
        "x@example.com\r\nBcc: y@example.com",
    ] {
        let ServerToVisitor::Error { code, message } = give_email(&mut visitor, bad, false).await
        else {
            panic!("{bad:?} kept")
        };
        assert_eq!(code, ErrorCode::EmailRefused);
        assert!(message.contains("not an email address"), "{message}");
    }
    for _ in 0..3 {
        let kept = give_email(&mut visitor, "visitor@example.com", true).await;
        assert_eq!(kept, ServerToVisitor::EmailKept { transcript: true });
    }
    let ServerToVisitor::Error { code, message } =
        give_email(&mut visitor, "visitor@example.com", true).await
    else {
        panic!("a fourth transcript")
    };
    assert_eq!(code, ErrorCode::EmailRefused);
    assert!(message.contains("at most 3"), "{message}");
    // From other conversations, one address still gets no more than six a day, in any case.
    let (mut second, _, _) = visitor_waiting(&server).await;
    for _ in 0..3 {
        let kept = give_email(&mut second, "Visitor@Example.com", true).await;
        assert_eq!(kept, ServerToVisitor::EmailKept { transcript: true });
    }
    let (mut third, _, _) = visitor_waiting(&server).await;
    let ServerToVisitor::Error { code, message } =
        give_email(&mut third, "visitor@example.com", true).await
    else {
        panic!("a seventh transcript to one address")
    };
    assert_eq!(code, ErrorCode::EmailRefused);
    assert!(message.contains("ask again tomorrow"), "{message}");

    let plain = tempfile::tempdir().unwrap();
    let without = serve_configured(plain.path(), Build { front_ends: false }, |_| {}).await;
    let (mut visitor, _, _) = visitor_waiting(&without).await;
    let ServerToVisitor::Error { code, message } =
        give_email(&mut visitor, "visitor@example.com", false).await
    else {
        panic!("kept without a mail server")
    };
    assert_eq!(code, ErrorCode::EmailRefused);
    assert!(message.contains("sends no mail"), "{message}");
}

//! Routing against a real server: online agents get handoffs automatically by free capacity,
//! waiting visitors get an honest expected wait, typing passes both ways without being stored,
//! the visitor can end the chat, and any agent can open a conversation to read it.

mod common;

use common::live::{
    agent, inbox, refusal, server_and_store, signed_in, skip_inbox, visitor_handed_off,
    visitor_waiting,
};
use common::{Socket, connect, hear, say};
use ito_protocol::chat::{
    AgentToServer, ConversationId, ConversationStatus, ErrorCode, EventKind, ServerToAgent,
    ServerToVisitor, VisitorToServer,
};

/// Reads the visitor's frames until an agent joins; returns the agent's name.
async fn agent_joins(visitor: &mut Socket) -> String {
    loop {
        if let ServerToVisitor::Event(event) = hear(visitor).await
            && let EventKind::AgentJoined { name, .. } = event.kind
        {
            return name;
        }
    }
}

/// Ann, online, has been given a visitor who asked for a person.
struct Talking {
    _dir: tempfile::TempDir,
    server: common::Server,
    pool: ito::store::Store,
    ann: Socket,
    visitor: Socket,
    conversation: ConversationId,
}

async fn ann_talking_to_a_visitor() -> Talking {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    go_online(&mut ann, true).await;
    let (mut visitor, conversation) = visitor_handed_off(&server).await;
    agent_joins(&mut visitor).await;
    Talking {
        _dir,
        server,
        pool,
        ann,
        visitor,
        conversation,
    }
}

async fn go_online(agent: &mut Socket, online: bool) {
    say(agent, &AgentToServer::Status { online }).await;
}

/// Reads the visitor's frames until the next queue frame: place, expected wait, and whether
/// nobody is online.
async fn queue(visitor: &mut Socket) -> (u32, Option<u32>, bool) {
    loop {
        if let ServerToVisitor::Queue {
            position,
            expected_wait_secs,
            nobody_online,
        } = hear(visitor).await
        {
            return (position, expected_wait_secs, nobody_online);
        }
    }
}

#[tokio::test]
async fn online_agents_get_handoffs_by_free_capacity_and_away_ones_none() {
    let (_dir, server, pool) = server_and_store().await;
    let ann_cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let bob_cookie = signed_in(&server, &pool, "bob@shop.example").await;
    common::execute(&pool, "UPDATE agents SET capacity = 1").await;
    let mut ann = agent(&server, &ann_cookie).await;
    let _bob_away = agent(&server, &bob_cookie).await;
    go_online(&mut ann, true).await;
    inbox(&mut ann).await;

    let (mut first, _) = visitor_handed_off(&server).await;
    assert_eq!(agent_joins(&mut first).await, "ann@shop.example");

    // Ann is full and Bob away: the next visitor waits in the queue.
    let (mut second, second_id, place) = visitor_waiting(&server).await;
    assert_eq!(place, 1);
    let entries = loop {
        let entries = inbox(&mut ann).await;
        if entries.contains(&(second_id.clone(), ConversationStatus::Waiting, None)) {
            break entries;
        }
    };

    // Resolving the first frees Ann's seat, and the waiting visitor gets her at once.
    let mine = entries
        .iter()
        .find(|(_, status, _)| *status == ConversationStatus::Assigned)
        .unwrap()
        .0
        .clone();
    say(&mut ann, &AgentToServer::Resolve { conversation: mine }).await;
    assert_eq!(agent_joins(&mut second).await, "ann@shop.example");
}

/// Stores `count` finished handoffs on the demo site whose visitors each waited `secs`, and one
/// open conversation of `agent`'s (so their one seat is taken).
async fn history(pool: &ito::store::Store, count: u32, secs: u32, agent_email: &str) {
    for n in 0..=count {
        let (status, agent) = if n == count {
            ("assigned", agent_email)
        } else {
            ("resolved", "")
        };
        let an_hour_ago = ito::live::dispatch::now_millis() - 3_600_000;
        let handed_off = ito::store::time_text(an_hour_ago);
        let assigned = ito::store::time_text(an_hour_ago + i64::from(secs) * 1000);
        common::execute(
            pool,
            &format!("INSERT INTO visitors (id, site) VALUES ('history{n}', 'demo')"),
        )
        .await;
        common::execute(
            pool,
            &format!(
                "INSERT INTO conversations (id, site, visitor_id, status, agent_id, handed_off_at, assigned_at)
                 VALUES ('history{n}', 'demo', 'history{n}', '{status}',
                         (SELECT id FROM agents WHERE email = '{agent}'), '{handed_off}', '{assigned}')"
            ),
        )
        .await;
    }
}

#[tokio::test]
async fn waiting_visitors_get_an_expected_wait_only_while_someone_is_online() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    common::execute(&pool, "UPDATE agents SET capacity = 1").await;
    history(&pool, 3, 45, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;

    let (mut visitor, _, place) = visitor_waiting(&server).await;
    assert_eq!(place, 1);
    go_online(&mut ann, true).await;
    assert_eq!(
        queue(&mut visitor).await,
        (1, Some(45), false),
        "the median of the site's recent waits, for the first in line"
    );
    go_online(&mut ann, false).await;
    assert_eq!(
        queue(&mut visitor).await,
        (1, None, true),
        "nobody online: no promise, leave a message"
    );
}

#[tokio::test]
async fn typing_passes_both_ways_and_is_never_stored() {
    let Talking {
        _dir,
        pool,
        mut ann,
        mut visitor,
        conversation,
        ..
    } = ann_talking_to_a_visitor().await;
    let open = AgentToServer::Open {
        conversation: conversation.clone(),
    };
    say(&mut ann, &open).await;
    // Typing is never stored: only a console already following the conversation hears it.
    while !matches!(skip_inbox(&mut ann).await, ServerToAgent::Context { .. }) {}
    let last_seq = stored_events(&pool, &conversation).await;

    say(&mut visitor, &VisitorToServer::Typing { typing: true }).await;
    let heard = loop {
        if let ServerToAgent::Typing {
            conversation,
            typing,
        } = skip_inbox(&mut ann).await
        {
            break (conversation, typing);
        }
    };
    assert_eq!(heard, (conversation.clone(), true));

    let typing = AgentToServer::Typing {
        conversation: conversation.clone(),
        typing: true,
    };
    say(&mut ann, &typing).await;
    loop {
        if let ServerToVisitor::Typing { typing } = hear(&mut visitor).await {
            assert!(typing);
            break;
        }
    }
    assert_eq!(stored_events(&pool, &conversation).await, last_seq);
}

async fn stored_events(pool: &ito::store::Store, conversation: &ConversationId) -> i64 {
    common::count(
        pool,
        "SELECT COUNT(*) FROM events WHERE conversation_id = $1",
        conversation.as_str(),
    )
    .await
}

#[tokio::test]
async fn the_visitor_ends_the_chat_once_and_the_agent_sees_it() {
    let Talking {
        _dir,
        pool,
        mut ann,
        mut visitor,
        conversation,
        ..
    } = ann_talking_to_a_visitor().await;
    say(
        &mut ann,
        &AgentToServer::Open {
            conversation: conversation.clone(),
        },
    )
    .await;

    say(&mut visitor, &VisitorToServer::End).await;
    say(&mut visitor, &VisitorToServer::End).await;
    // The event and the new inbox come in either order.
    let (mut ended_seen, mut inbox_empty) = (false, false);
    while !(ended_seen && inbox_empty) {
        match hear(&mut ann).await {
            ServerToAgent::Event { event, .. } => ended_seen |= event.kind == EventKind::Ended,
            ServerToAgent::Inbox { conversations } => inbox_empty = conversations.is_empty(),
            _ => {}
        }
    }
    let ended = ito::store::events::events_after(&pool, &conversation, 0, 1000)
        .await
        .unwrap()
        .iter()
        .filter(|event| event.kind == EventKind::Ended)
        .count();
    assert_eq!(ended, 1, "a second end stores nothing");
    let write = AgentToServer::Send {
        conversation,
        id: "late".parse().unwrap(),
        text: "Still there?".into(),
        article: None,
    };
    assert_eq!(refusal(&mut ann, &write).await, ErrorCode::Forbidden);
}

#[tokio::test]
async fn any_agent_can_open_a_conversation_to_read_it() {
    let Talking {
        _dir,
        server,
        pool,
        conversation,
        ..
    } = ann_talking_to_a_visitor().await;
    let bob_cookie = signed_in(&server, &pool, "bob@shop.example").await;

    let mut bob = agent(&server, &bob_cookie).await;
    let open = AgentToServer::Open {
        conversation: conversation.clone(),
    };
    say(&mut bob, &open).await;
    match skip_inbox(&mut bob).await {
        ServerToAgent::Context {
            status,
            agent,
            summary,
            earlier,
            ..
        } => {
            assert_eq!(status, ConversationStatus::Assigned);
            assert_eq!(agent.unwrap().name, "ann@shop.example");
            assert_eq!(summary[0], "Asked: where is my parcel?");
            assert!(earlier.is_empty());
        }
        other => panic!("expected the context, got {other:?}"),
    }
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        if let ServerToAgent::Event { event, .. } = skip_inbox(&mut bob).await {
            kinds.push(event.kind);
        }
    }
    assert!(matches!(kinds[2], EventKind::AgentJoined { .. }));

    let unknown = AgentToServer::Open {
        conversation: "nope".parse().unwrap(),
    };
    assert_eq!(refusal(&mut bob, &unknown).await, ErrorCode::Forbidden);
}

#[tokio::test]
async fn with_nobody_online_a_message_left_is_answered_in_the_same_thread_later() {
    let (_dir, server, pool) = server_and_store().await;
    let hello = |token: Option<String>, last_seq| VisitorToServer::Hello {
        version: 1,
        token,
        last_seq,
        visitor: None,
    };
    let mut visitor = connect(&server, "/sites/demo/chat", &server.url, &[])
        .await
        .unwrap();
    say(&mut visitor, &hello(None, 0)).await;
    say(&mut visitor, &VisitorToServer::Start).await;
    let ServerToVisitor::Welcome {
        token,
        conversation,
        ..
    } = hear(&mut visitor).await
    else {
        panic!("a welcome")
    };
    let handoff = VisitorToServer::Handoff {
        reason: ito_protocol::chat::HandoffReason::Asked,
        context: Box::default(),
    };
    say(&mut visitor, &handoff).await;
    assert!(queue(&mut visitor).await.2, "told nobody is online");
    let left = VisitorToServer::Send {
        id: "left-1".parse().unwrap(),
        text: "Please call me back about order 42".into(),
    };
    say(&mut visitor, &left).await;
    let mut last_seq = 0;
    loop {
        match hear(&mut visitor).await {
            ServerToVisitor::Ack { seq, .. } => break last_seq = last_seq.max(seq),
            ServerToVisitor::Event(event) => last_seq = event.seq,
            _ => {}
        }
    }
    drop(visitor);

    // Later an agent comes, claims it and answers.
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    say(
        &mut ann,
        &AgentToServer::Claim {
            conversation: conversation.clone(),
        },
    )
    .await;
    let reply = AgentToServer::Send {
        conversation,
        id: "a-1".parse().unwrap(),
        text: "Calling you now.".into(),
        article: None,
    };
    say(&mut ann, &reply).await;
    while !matches!(skip_inbox(&mut ann).await, ServerToAgent::Ack { .. }) {}

    // The visitor's next visit: the same thread, with the answer in it.
    let mut next_visit = connect(&server, "/sites/demo/chat", &server.url, &[])
        .await
        .unwrap();
    say(&mut next_visit, &hello(Some(token), last_seq)).await;
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut next_visit).await
            && let EventKind::Message { text, .. } = event.kind
        {
            assert_eq!(
                text, "Calling you now.",
                "only what was missed, the answer first"
            );
            break;
        }
    }
}

/// A visitor back after 31 days: their token is refused as stale (not "unauthorized", which
/// would leave the widget retrying it forever), a hello without it starts a new conversation,
/// and the handoff there reaches an agent.
#[tokio::test]
async fn a_visitor_with_a_month_old_token_starts_afresh_and_reaches_an_agent() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let mut ann = agent(&server, &cookie).await;
    go_online(&mut ann, true).await;
    let (_, old) = ito::store::events::start_conversation(&pool, "demo")
        .await
        .unwrap();
    let key =
        ito::live::token::TokenKey::new(ito::store::settings::token_secret(&pool).await.unwrap());
    let now = ito::live::dispatch::now_millis() / 1000;
    let stale = key.sign(&old, now - 31 * 24 * 3600);
    let (_, refused) = common::live::greeted(&server, Some(stale), 7, None).await;
    assert!(
        matches!(
            refused,
            ServerToVisitor::Error {
                code: ErrorCode::StaleToken,
                ..
            }
        ),
        "{refused:?}"
    );
    let (mut visitor, fresh) = visitor_handed_off(&server).await;
    assert_ne!(fresh, old);
    assert_eq!(agent_joins(&mut visitor).await, "ann@shop.example");
}

/// An active visitor's token is renewed at every connection, so it never expires under them.
#[tokio::test]
async fn every_connection_renews_the_token() {
    let (_dir, server, pool) = server_and_store().await;
    let (_, conversation) = ito::store::events::start_conversation(&pool, "demo")
        .await
        .unwrap();
    let key =
        ito::live::token::TokenKey::new(ito::store::settings::token_secret(&pool).await.unwrap());
    let now = ito::live::dispatch::now_millis() / 1000;
    let old = key.sign(&conversation, now - 29 * 24 * 3600);
    let (_, welcome) = common::live::greeted(&server, Some(old), 0, None).await;
    let ServerToVisitor::Welcome { token, .. } = welcome else {
        panic!("a welcome for a 29-day-old token")
    };
    assert_eq!(key.verify(&token, now + 29 * 24 * 3600), Ok(conversation));
}

//! The console's plain-data parts, run in headless Chromium with the widget's tests: the desk
//! (inbox filters, alerts, events in order and once, the outbox across reconnects, read
//! receipts, keyboard stepping), the device line, the shortcuts and the two locales.

use ito_console::desk::{Desk, Effect, Filter};
use ito_console::{device, i18n, keys};
use ito_protocol::chat::{
    AgentRef, AgentToServer, Author, ConversationId, ConversationStatus, Event, EventKind,
    HandoffContext, InboxEntry, ServerToAgent,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn id(s: &str) -> ConversationId {
    s.parse().unwrap()
}

fn entry(conversation: &str, status: ConversationStatus, agent: Option<&str>) -> InboxEntry {
    InboxEntry {
        conversation: id(conversation),
        site: "demo".into(),
        status,
        agent: agent.map(|a| AgentRef {
            id: a.into(),
            name: a.to_uppercase(),
        }),
        reason: None,
        since: "2026-11-23T10:00:00Z".into(),
        visitor: None,
        preview: Some(format!("words of {conversation}")),
        labels: Vec::new(),
    }
}

fn signed_in_as(me: &str) -> Desk {
    let mut desk = Desk::default();
    desk.apply(ServerToAgent::Welcome {
        version: 1,
        agent_id: me.into(),
    });
    desk
}

fn inbox(entries: Vec<InboxEntry>) -> ServerToAgent {
    ServerToAgent::Inbox {
        conversations: entries,
    }
}

fn opened(desk: &mut Desk, conversation: &str, agent: Option<&str>) {
    desk.apply(ServerToAgent::Context {
        conversation: id(conversation),
        status: if agent.is_some() {
            ConversationStatus::Assigned
        } else {
            ConversationStatus::Waiting
        },
        agent: agent.map(|a| AgentRef {
            id: a.into(),
            name: a.into(),
        }),
        reason: None,
        summary: vec!["Asked: hi".into()],
        context: Box::new(HandoffContext::default()),
        earlier: Vec::new(),
        visitor: None,
    });
}

fn event(conversation: &str, seq: u64, kind: EventKind) -> ServerToAgent {
    ServerToAgent::Event {
        conversation: id(conversation),
        event: Event { seq, at: 0, kind },
    }
}

fn visitor_says(text: &str, client_id: &str) -> EventKind {
    EventKind::Message {
        id: client_id.parse().unwrap(),
        author: Author::Visitor,
        text: text.into(),
    }
}

#[wasm_bindgen_test]
fn the_inbox_filters_waiting_mine_and_all() {
    let mut desk = signed_in_as("ann");
    desk.apply(inbox(vec![
        entry("w1", ConversationStatus::Waiting, None),
        entry("m1", ConversationStatus::Assigned, Some("ann")),
        entry("b1", ConversationStatus::Assigned, Some("bob")),
    ]));
    let shown = |desk: &Desk| {
        desk.visible()
            .iter()
            .map(|e| e.conversation.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&desk), ["w1"], "waiting first");
    desk.filter = Filter::Mine;
    assert_eq!(shown(&desk), ["m1"]);
    desk.filter = Filter::All;
    assert_eq!(shown(&desk), ["w1", "m1", "b1"]);
    assert_eq!(
        (
            desk.count(Filter::Waiting),
            desk.count(Filter::Mine),
            desk.count(Filter::All)
        ),
        (1, 1, 3)
    );
}

#[wasm_bindgen_test]
fn new_waiting_visitors_and_new_assignments_alert_but_the_first_inbox_does_not() {
    let mut desk = signed_in_as("ann");
    let first = desk.apply(inbox(vec![entry("w1", ConversationStatus::Waiting, None)]));
    assert!(first.is_empty(), "what was there at sign-in is not news");
    let effects = desk.apply(inbox(vec![
        entry("w1", ConversationStatus::Assigned, Some("ann")),
        entry("w2", ConversationStatus::Waiting, None),
        entry("b1", ConversationStatus::Assigned, Some("bob")),
    ]));
    let alerted: Vec<_> = effects
        .iter()
        .map(|e| match e {
            Effect::Alert { conversation, .. } => conversation.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        alerted,
        ["w1", "w2"],
        "given to me, and newly waiting; not Bob's"
    );
    let again = desk.apply(inbox(vec![
        entry("w1", ConversationStatus::Assigned, Some("ann")),
        entry("w2", ConversationStatus::Waiting, None),
    ]));
    assert!(again.is_empty(), "no alert twice");
}

#[wasm_bindgen_test]
fn events_land_in_order_once_and_move_the_status() {
    let mut desk = signed_in_as("ann");
    opened(&mut desk, "c1", Some("ann"));
    desk.apply(event("c1", 2, visitor_says("second", "v2")));
    desk.apply(event("c1", 1, visitor_says("first", "v1")));
    desk.apply(event("c1", 2, visitor_says("second", "v2")));
    let conversation = &desk.opened[&id("c1")];
    let seqs: Vec<_> = conversation.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(conversation.last_seq(), 2);
    desk.apply(event("c1", 3, EventKind::Resolved));
    assert_eq!(desk.opened[&id("c1")].status, ConversationStatus::Resolved);
    assert!(!desk.can_write(&id("c1")), "resolved: no more replies");
}

#[wasm_bindgen_test]
fn replies_wait_in_the_outbox_until_acknowledged_and_are_resent_after_a_reconnect() {
    let mut desk = signed_in_as("ann");
    desk.online = true;
    opened(&mut desk, "c1", Some("ann"));
    opened(&mut desk, "c2", Some("bob"));
    assert!(desk.reply(&id("c2"), "not mine", None).is_none());
    assert!(
        desk.reply(&id("c1"), "   ", None).is_none(),
        "blanks are not sent"
    );
    let Some(AgentToServer::Send { id: first, .. }) = desk.reply(&id("c1"), "Hello", None) else {
        panic!("a send frame")
    };
    let Some(AgentToServer::Send { id: second, .. }) =
        desk.reply(&id("c1"), "Still there?", Some("payment-methods".into()))
    else {
        panic!("a send frame")
    };
    assert_ne!(first, second);
    desk.apply(ServerToAgent::Ack {
        conversation: id("c1"),
        id: first.clone(),
        seq: 5,
    });
    desk.apply(event("c1", 4, visitor_says("hi", "v1")));
    let resume = desk.resume();
    assert_eq!(resume[0], AgentToServer::Status { online: true });
    assert!(resume.contains(&AgentToServer::Replay {
        conversation: id("c1"),
        after: 4
    }));
    let resent: Vec<_> = resume
        .iter()
        .filter_map(|f| match f {
            AgentToServer::Send { id, article, .. } => Some((id.clone(), article.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        resent,
        [(second, Some("payment-methods".into()))],
        "only what was not acknowledged, with the article inserted into it"
    );
}

#[wasm_bindgen_test]
fn a_note_goes_in_any_opened_conversation_and_waits_in_the_outbox_as_a_note() {
    let mut desk = signed_in_as("ann");
    opened(&mut desk, "c2", Some("bob"));
    assert!(
        desk.reply(&id("c2"), "hi", None).is_none(),
        "not mine to reply in"
    );
    let Some(AgentToServer::Note { id: note, text, .. }) = desk.note(&id("c2"), " ask finance ")
    else {
        panic!("a note frame")
    };
    assert_eq!(text, "ask finance");
    assert!(desk.note(&id("c2"), "  ").is_none(), "blanks are not sent");
    let resent: Vec<_> = desk
        .resume()
        .into_iter()
        .filter(|f| matches!(f, AgentToServer::Note { .. } | AgentToServer::Send { .. }))
        .collect();
    assert_eq!(
        resent,
        [AgentToServer::Note {
            conversation: id("c2"),
            id: note,
            text: "ask finance".into()
        }],
        "resent as the note it was"
    );
}

#[wasm_bindgen_test]
fn a_conversation_handed_to_someone_else_is_no_longer_mine_to_write_in() {
    let mut desk = signed_in_as("ann");
    opened(&mut desk, "c1", Some("ann"));
    assert!(desk.can_write(&id("c1")));
    desk.apply(event(
        "c1",
        7,
        EventKind::AgentJoined {
            agent_id: "bob".into(),
            name: "Bob".into(),
        },
    ));
    assert!(!desk.can_write(&id("c1")));
    assert_eq!(desk.opened[&id("c1")].agent.as_ref().unwrap().name, "Bob");
}

#[wasm_bindgen_test]
fn the_inbox_filters_by_label_within_its_tab() {
    let mut desk = signed_in_as("ann");
    let mut billing = entry("w1", ConversationStatus::Waiting, None);
    billing.labels = vec!["billing".into(), "vip".into()];
    let mut vip = entry("m1", ConversationStatus::Assigned, Some("ann"));
    vip.labels = vec!["vip".into()];
    desk.apply(inbox(vec![
        billing,
        vip,
        entry("w2", ConversationStatus::Waiting, None),
    ]));
    assert_eq!(desk.labels_in_inbox(), ["billing", "vip"]);
    desk.filter = Filter::All;
    desk.label = Some("vip".into());
    let shown: Vec<_> = desk
        .visible()
        .iter()
        .map(|e| e.conversation.as_str().to_owned())
        .collect();
    assert_eq!(shown, ["w1", "m1"]);
    assert_eq!(
        desk.count(Filter::Waiting),
        1,
        "the tabs count within the label"
    );
    desk.label = None;
    assert_eq!(desk.count(Filter::Waiting), 2);
}

#[wasm_bindgen_test]
fn a_read_receipt_goes_once_per_new_visitor_message_in_my_conversation() {
    let mut desk = signed_in_as("ann");
    opened(&mut desk, "c1", Some("ann"));
    desk.selected = Some(id("c1"));
    assert!(desk.read_receipt().is_none(), "nothing to read yet");
    desk.apply(event("c1", 1, visitor_says("hi", "v1")));
    assert_eq!(
        desk.read_receipt(),
        Some(AgentToServer::Read {
            conversation: id("c1"),
            up_to: 1
        })
    );
    assert!(desk.read_receipt().is_none(), "once");
    desk.apply(event(
        "c1",
        2,
        EventKind::Read {
            by_agent: false,
            up_to: 1,
        },
    ));
    assert_eq!(desk.opened[&id("c1")].visitor_read_up_to(), 1);

    opened(&mut desk, "c2", Some("bob"));
    desk.apply(event("c2", 1, visitor_says("hi", "v1")));
    desk.selected = Some(id("c2"));
    assert!(desk.read_receipt().is_none(), "not for someone else's");
}

#[wasm_bindgen_test]
fn stepping_moves_through_the_visible_conversations() {
    let mut desk = signed_in_as("ann");
    desk.apply(inbox(vec![
        entry("w1", ConversationStatus::Waiting, None),
        entry("w2", ConversationStatus::Waiting, None),
    ]));
    assert_eq!(desk.step(true), Some(id("w1")));
    assert_eq!(desk.step(true), Some(id("w2")));
    assert_eq!(desk.step(true), Some(id("w2")), "stays at the end");
    assert_eq!(desk.step(false), Some(id("w1")));
    desk.filter = Filter::Mine;
    assert_eq!(desk.step(true), None);
}

#[wasm_bindgen_test]
fn typing_shows_until_the_visitor_sends() {
    let mut desk = signed_in_as("ann");
    opened(&mut desk, "c1", Some("ann"));
    desk.apply(ServerToAgent::Typing {
        conversation: id("c1"),
        typing: true,
    });
    assert!(desk.opened[&id("c1")].visitor_typing);
    desk.apply(event("c1", 1, visitor_says("done", "v1")));
    assert!(!desk.opened[&id("c1")].visitor_typing);
}

#[wasm_bindgen_test]
fn devices_read_as_browser_on_system() {
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    assert_eq!(device::describe(chrome), "Chrome 131 on Windows");
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
    assert_eq!(device::describe(iphone), "Safari 17 on iPhone");
    let edge = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
    assert_eq!(device::describe(edge), "Edge 120 on macOS");
    assert_eq!(device::describe("curl/8.0"), "curl/8.0");
}

#[wasm_bindgen_test]
fn shortcuts_need_alt_alone() {
    assert_eq!(
        keys::action("KeyR", true, false),
        Some(keys::Action::Resolve)
    );
    assert_eq!(
        keys::action("ArrowDown", true, false),
        Some(keys::Action::Next)
    );
    assert_eq!(keys::action("KeyR", false, false), None, "typing an r");
    assert_eq!(
        keys::action("KeyR", true, true),
        None,
        "Ctrl+Alt is AltGr on some keyboards"
    );
}

#[wasm_bindgen_test]
fn both_locales_say_everything() {
    assert!(
        i18n::Words::differences().is_empty(),
        "{:?}",
        i18n::Words::differences()
    );
    assert_eq!(i18n::Words::new("ja-JP").get("inbox.waiting"), "待機中");
    assert_eq!(i18n::Words::new("fr").get("inbox.waiting"), "Waiting");
}

#[wasm_bindgen_test]
fn a_measure_with_a_fixed_top_has_its_axis_end_there() {
    use ito_console::chart::scale_to;
    assert_eq!(
        scale_to(5.0).ticks,
        [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        "CSAT 1–5"
    );
    assert_eq!(
        scale_to(7.0).ticks,
        [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        "CES 1–7"
    );
    assert_eq!(scale_to(100.0).ticks, [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    assert_eq!(scale_to(5.0).max, 5.0);
}

#[wasm_bindgen_test]
fn chart_scales_are_round_and_cover_the_data() {
    use ito_console::chart::{bars, points, scale};
    let s = scale(37.0);
    assert_eq!(s.ticks, [0.0, 10.0, 20.0, 30.0, 40.0]);
    assert_eq!(s.max, 40.0);
    assert_eq!(scale(4.3).ticks, [0.0, 2.0, 4.0, 6.0]);
    assert_eq!(
        scale(0.0).ticks,
        [0.0, 0.5, 1.0],
        "no data still draws an axis"
    );
    let line = points(&[Some(0.0), None, Some(40.0)], 100.0, 50.0, 40.0);
    assert_eq!(
        line,
        [(0.0, 50.0), (100.0, 0.0)],
        "a missing day is skipped"
    );
    let b = bars(&[1, 0, 2], 90.0, 10.0, 2.0);
    assert_eq!(b.len(), 3);
    assert_eq!(b[1].3, 0.0);
    assert_eq!(b[2].3, 10.0);
}

fn faq() -> ito_assistant::KnowledgeBase {
    ito_assistant::KnowledgeBase::parse(
        r#"{"locale": "en", "articles": [
            {"id": "refunds", "title": "Refunds", "questions": ["when do I get my money back"], "answer": "Within 5 days."},
            {"id": "shipping", "title": "Shipping", "questions": ["how long does delivery take"], "answer": "Two days."}
        ]}"#,
    )
    .unwrap()
}

#[wasm_bindgen_test]
fn the_editor_form_reads_back_the_article_it_was_made_from() {
    use ito_console::editing::Form;
    let mut article = faq().articles[0].clone();
    article.tags = vec!["money".into()];
    article.follow_up = vec!["shipping".into()];
    article.links = vec![ito_assistant::kb::Link {
        title: "Returns".into(),
        url: "https://shop.example/returns".into(),
    }];
    let form = Form::from_article(&article);
    assert_eq!(form.links, "Returns | https://shop.example/returns");
    assert_eq!(form.to_article(), article);
    let typed = Form {
        questions: "  refund status \n\n money back?\n".into(),
        answer: " Soon. \n".into(),
        ..form
    };
    let read = typed.to_article();
    assert_eq!(read.questions, ["refund status", "money back?"]);
    assert_eq!(read.answer, "Soon.");
}

#[wasm_bindgen_test]
fn a_gaps_questions_start_a_new_article() {
    use ito_console::editing::Form;
    let asked = [
        "Can I pay with Bitcoin?".to_owned(),
        "paying with bitcoin".to_owned(),
        "crypto payments".to_owned(),
    ];
    let form = Form::from_questions(&asked);
    assert_eq!(form.id, "can-i-pay-with-bitcoin");
    assert_eq!(form.title, "Can I pay with Bitcoin?");
    assert_eq!(
        form.to_article().questions,
        ["paying with bitcoin", "crypto payments"]
    );
    assert_eq!(
        Form::from_questions(&["ビットコインで払えますか".to_owned()]).id,
        ""
    );
}

#[wasm_bindgen_test]
fn the_editor_checks_as_it_is_typed_and_tries_the_draft() {
    use ito_console::editing::{findings, has_errors, matching, try_it};
    let base = faq();
    let mut edited = base.articles[0].clone();
    assert!(!has_errors(&findings(&base, &edited)));
    edited.answer = "Click <b>here</b>.".into();
    let found = findings(&base, &edited);
    assert!(has_errors(&found), "{found:?}");
    assert!(found[0].message.contains("contains HTML"), "{found:?}");
    edited.answer = "Within 5 days.".into();
    edited.questions.push("How long does delivery take".into());
    let found = findings(&base, &edited);
    assert!(
        found
            .iter()
            .any(|f| f.message.contains("also a question of")),
        "{found:?}"
    );

    let mut new = base.articles[0].clone();
    new.id = "gift-wrapping".into();
    new.title = "Gift wrapping".into();
    new.questions = vec!["can you wrap my present".into()];
    new.answer = "Yes, for €3.".into();
    let reply = try_it(&base, &new, "wrap it as a present please");
    assert_eq!(reply.hits[0].id, "gift-wrapping", "{reply:?}");
    let ids: Vec<&str> = matching(&base, "DELIVERY")
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["shipping"]);
    assert_eq!(matching(&base, " ").len(), 2);
}

#[wasm_bindgen_test]
fn a_slash_shortcut_finds_canned_replies_and_is_replaced_by_the_filled_text() {
    use ito_console::canned::{Canned, fill, insert, matching, typed_shortcut};
    assert_eq!(typed_shortcut("/"), Some(""));
    assert_eq!(typed_shortcut("Thanks! /ref"), Some("ref"));
    assert_eq!(typed_shortcut("see https://shop.example/ref"), None);
    assert_eq!(typed_shortcut("and/or"), None);
    assert_eq!(
        typed_shortcut("Thanks! /ref "),
        None,
        "a space ends the shortcut"
    );
    let replies = [
        Canned {
            shortcut: "hello".into(),
            text: "Hi {visitor_name}, {agent_name} here.".into(),
        },
        Canned {
            shortcut: "refund".into(),
            text: "Refunds take 5 days.".into(),
        },
        Canned {
            shortcut: "late-refund".into(),
            text: "Sorry it is late.".into(),
        },
    ];
    let found: Vec<&str> = matching(&replies, "ref")
        .iter()
        .map(|c| c.shortcut.as_str())
        .collect();
    assert_eq!(
        found,
        ["refund", "late-refund"],
        "starts with, then contains"
    );
    assert_eq!(matching(&replies, "").len(), 3);
    let filled = fill(&replies[0].text, Some("Yuki"), "Ann", "there");
    assert_eq!(filled, "Hi Yuki, Ann here.");
    assert_eq!(
        fill(&replies[0].text, None, "Ann", "there"),
        "Hi there, Ann here."
    );
    assert_eq!(
        fill(&replies[0].text, Some("{agent_name}"), "Ann", "there"),
        "Hi {agent_name}, Ann here.",
        "a name is not a placeholder"
    );
    assert_eq!(
        insert("Thanks! /hel", &filled),
        "Thanks! Hi Yuki, Ann here."
    );
    assert_eq!(insert("Thanks!", "Bye."), "Thanks!Bye.");
}

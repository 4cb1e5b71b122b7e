//! The widget in a real browser (headless Chromium through wasm-bindgen-test):
//! `cargo xtask test` runs these.

use std::rc::Rc;

use ito_assistant::{Article, Assistant, KnowledgeBase};
use ito_protocol::Locale;
use ito_protocol::embed::Visitor;
use ito_protocol::site_settings::WidgetSettings;
use ito_widget::App;
use ito_widget::context::{MAX_PAGES, VisitorContext};
use ito_widget::embed::{EmbedContext, choose_locale, is_origin};
use ito_widget::i18n;
use ito_widget::storage::Stores;
use ito_widget::thread::{Entry, Feedback, MAX_MESSAGE_CHARS, Thread};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlTextAreaElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

struct Mounted {
    root: HtmlElement,
    // Unmounts when dropped, so each test cleans up after itself.
    _handle: Box<dyn std::any::Any>,
}

fn article(id: &str, title: &str, questions: &[&str], answer: &str) -> Article {
    Article {
        id: id.into(),
        title: title.into(),
        questions: questions.iter().map(|q| q.to_string()).collect(),
        answer: answer.into(),
        tags: vec![],
        links: vec![],
        follow_up: vec![],
    }
}

/// A small shop's base, with one article written by an attacker.
fn shop_base() -> KnowledgeBase {
    KnowledgeBase {
        locale: "en".into(),
        synonyms: vec![],
        articles: vec![
            article(
                "returns",
                "How do I return an item?",
                &[
                    "return policy",
                    "send back my order",
                    "can I return shoes I bought",
                ],
                "You have **30 days**.\n\n- Pack it\n- [Start a return](https://shop.example/returns)",
            ),
            article(
                "delivery",
                "How long does delivery take?",
                &[
                    "when will my parcel arrive",
                    "shipping time",
                    "how long is shipping",
                ],
                "Two to four days.",
            ),
            article(
                "delivery-cost",
                "How much does delivery cost?",
                &["shipping price", "delivery fee", "is shipping free"],
                "Free over $50.",
            ),
            article(
                "password",
                "I forgot my password",
                &["reset password", "can't log in", "login not working"],
                "Use *Forgot password* on the sign-in page.",
            ),
            article(
                "hostile",
                "<img src=x onerror=\"window.__itoXss=1\"> Gift cards",
                &["gift card balance", "gift voucher"],
                "<script>window.__itoXss=2</script> [check balance](javascript:window.__itoXss=3) <svg onload=\"window.__itoXss=4\"></svg>",
            ),
        ],
    }
}

fn mount(locale: Locale) -> Mounted {
    mount_with(locale, Rc::new(Stores::memory()))
}

fn mount_with(locale: Locale, stores: Rc<Stores>) -> Mounted {
    mount_site(locale, stores, WidgetSettings::default())
}

fn mount_site(locale: Locale, stores: Rc<Stores>, settings: WidgetSettings) -> Mounted {
    mount_full(locale, stores, settings, 0)
}

fn mount_full(locale: Locale, stores: Rc<Stores>, settings: WidgetSettings, delay: u16) -> Mounted {
    let document = document();
    let root: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&root).unwrap();
    let context = EmbedContext {
        site: "demo".into(),
        host_origin: None,
        locale,
        settings,
    };
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <App context=context.clone() base=shop_base() stores=stores.clone() reply_delay_ms=delay /> }.into_any()
    });
    Mounted {
        root,
        _handle: Box::new(handle),
    }
}

impl Mounted {
    fn input(&self) -> HtmlTextAreaElement {
        self.root
            .query_selector("textarea")
            .unwrap()
            .expect("a composer")
            .unchecked_into()
    }

    fn lines(&self) -> Vec<String> {
        let list = self
            .root
            .query_selector_all(".ito-message-list__line")
            .unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().text_content().unwrap())
            .collect()
    }

    fn click(&self, selector: &str) {
        let element: HtmlElement = self
            .root
            .query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("nothing matches {selector}"))
            .unchecked_into();
        element.click();
    }

    fn count(&self, selector: &str) -> u32 {
        self.root.query_selector_all(selector).unwrap().length()
    }

    fn send(&self, text: &str) {
        self.type_text(text);
        self.press_enter(false, false);
    }

    fn type_text(&self, text: &str) {
        let input = self.input();
        input.set_value(text);
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let event = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
        input.dispatch_event(&event).unwrap();
    }

    fn press_enter(&self, shift: bool, composing: bool) {
        let init = KeyboardEventInit::new();
        init.set_key("Enter");
        init.set_bubbles(true);
        init.set_cancelable(true);
        init.set_shift_key(shift);
        init.set_is_composing(composing);
        let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        self.input().dispatch_event(&event).unwrap();
    }
}

/// Lets Leptos run the effects that a signal change scheduled.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

async fn settle() {
    sleep(0).await;
}

#[wasm_bindgen_test]
async fn shows_the_greeting_and_a_labelled_composer() {
    let app = mount(Locale::En);
    settle().await;
    assert_eq!(app.lines().len(), 1);
    assert!(
        app.lines()[0].contains("Ask me anything"),
        "{:?}",
        app.lines()
    );
    assert_eq!(
        app.input().get_attribute("aria-label").as_deref(),
        Some("Your message")
    );
    let close = app
        .root
        .query_selector(".ito-panel-header__close")
        .unwrap()
        .unwrap();
    assert_eq!(
        close.get_attribute("aria-label").as_deref(),
        Some("Close chat")
    );
}

#[wasm_bindgen_test]
async fn enter_sends_and_clears_the_composer() {
    let app = mount(Locale::En);
    app.type_text("  Where is my order?  ");
    app.press_enter(false, false);
    settle().await;
    let lines = app.lines();
    assert_eq!(lines.len(), 3, "greeting, question, reply: {lines:?}");
    assert!(lines[1].ends_with("Where is my order?"), "{lines:?}");
    assert_eq!(app.input().value(), "");
}

#[wasm_bindgen_test]
async fn shift_enter_blank_text_and_ime_composition_do_not_send() {
    let app = mount(Locale::Ja);
    app.type_text("注文を");
    app.press_enter(false, true);
    app.press_enter(true, false);
    settle().await;
    assert_eq!(app.lines().len(), 1, "{:?}", app.lines());
    assert_eq!(app.input().value(), "注文を", "the draft is kept");

    app.type_text("   \n ");
    app.press_enter(false, false);
    settle().await;
    assert_eq!(app.lines().len(), 1, "{:?}", app.lines());
}

#[wasm_bindgen_test]
async fn speaks_japanese() {
    let app = mount(Locale::Ja);
    settle().await;
    assert!(app.lines()[0].contains("こんにちは"), "{:?}", app.lines());
    assert_eq!(
        app.input().get_attribute("aria-label").as_deref(),
        Some("メッセージ")
    );
    let panel = app.root.query_selector(".ito-panel").unwrap().unwrap();
    assert_eq!(panel.get_attribute("lang").as_deref(), Some("ja"));
}

#[wasm_bindgen_test]
async fn the_site_names_the_bot_and_rewords_strings() {
    let settings = WidgetSettings {
        bot_name: Some("Aiko".into()),
        bot_avatar: Some("/avatar.png".into()),
        strings: [(
            Locale::En,
            [
                ("panel.greeting".to_owned(), "Howdy! Ask away.".to_owned()),
                ("no.such".to_owned(), "ignored".to_owned()),
            ]
            .into(),
        )]
        .into(),
        pre_chat: Vec::new(),
        semantic: false,
        ..WidgetSettings::default()
    };
    let app = mount_site(Locale::En, Rc::new(Stores::memory()), settings);
    settle().await;
    assert_eq!(app.lines(), ["Aiko: Howdy! Ask away."]);
    let avatar = app
        .root
        .query_selector(".ito-panel-header__avatar")
        .unwrap()
        .unwrap();
    assert_eq!(avatar.get_attribute("src").as_deref(), Some("/avatar.png"));
    assert_eq!(avatar.get_attribute("alt").as_deref(), Some(""));
}

#[wasm_bindgen_test]
async fn outside_business_hours_the_greeting_says_when_the_team_is_back() {
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let back = now + 3 * 3600;
    let away = WidgetSettings {
        open_spans: Some(vec![(now - 7200, now - 3600), (back, back + 3600)]),
        ..WidgetSettings::default()
    };
    let app = mount_site(Locale::En, Rc::new(Stores::memory()), away);
    settle().await;
    let greeting = app.lines()[0].clone();
    let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(back as f64 * 1000.0));
    let hour = when.get_hours();
    assert!(greeting.contains("Our team is away until"), "{greeting}");
    // The visitor's own clock: the hour of `back` as this browser tells time.
    let shown = format!(
        "{}:{:02}",
        if hour.is_multiple_of(12) {
            12
        } else {
            hour % 12
        },
        when.get_minutes()
    );
    assert!(greeting.contains(&shown), "{shown} in {greeting}");

    let long = WidgetSettings {
        open_spans: Some(Vec::new()),
        ..WidgetSettings::default()
    };
    let app = mount_site(Locale::En, Rc::new(Stores::memory()), long);
    settle().await;
    assert!(
        app.lines()[0].ends_with(
            "Our team is away for now. I can still help, or you can leave them a message."
        ),
        "{:?}",
        app.lines()
    );

    let open = WidgetSettings {
        open_spans: Some(vec![(now - 60, now + 3600)]),
        ..WidgetSettings::default()
    };
    let app = mount_site(Locale::En, Rc::new(Stores::memory()), open);
    settle().await;
    assert!(!app.lines()[0].contains("away"), "{:?}", app.lines());
}

#[wasm_bindgen_test]
fn every_locale_file_has_every_string() {
    for locale in Locale::ALL {
        if let Err(e) = i18n::try_strings(locale) {
            panic!("locales/{locale}.json: {e}");
        }
    }
}

#[wasm_bindgen_test]
fn the_browser_language_wins_when_ito_speaks_it() {
    assert_eq!(choose_locale(Some("ja-JP"), Some("en")), Locale::Ja);
    assert_eq!(choose_locale(Some("fr-FR"), Some("ja")), Locale::Ja);
    assert_eq!(choose_locale(None, Some("xx")), Locale::En);
}

#[wasm_bindgen_test]
fn the_thread_trims_refuses_blanks_and_caps_length() {
    let mut thread = Thread::default();
    assert!(thread.add_visitor_message(" \n\t").is_none());
    let line = thread.add_visitor_message("  hi ").unwrap().clone();
    assert_eq!(line.id, 0);
    assert_eq!(line.entry, Entry::Visitor { text: "hi".into() });
    let long = "あ".repeat(MAX_MESSAGE_CHARS + 10);
    let line = thread.add_visitor_message(&long).unwrap();
    let Entry::Visitor { text } = &line.entry else {
        panic!()
    };
    assert_eq!((line.id, text.chars().count()), (1, MAX_MESSAGE_CHARS));
}

fn answered(thread: &Thread) -> Option<&str> {
    thread.lines().iter().rev().find_map(|l| match &l.entry {
        Entry::Answer { article, .. } => Some(article.id.as_str()),
        _ => None,
    })
}

fn server_reply(outcome: ito_assistant::Outcome, hits: &[(&str, f32)]) -> ito_assistant::Reply {
    ito_assistant::Reply {
        outcome,
        hits: hits
            .iter()
            .map(|&(id, score)| ito_assistant::ScoredArticle {
                id: id.into(),
                score,
            })
            .collect(),
    }
}

#[wasm_bindgen_test]
fn each_bot_reply_is_reported_once_with_the_question_it_replied_to() {
    let assistant = Assistant::new(shop_base());
    let mut thread = Thread::default();
    assert!(thread.open_article("password", &assistant));
    assert_eq!(
        thread.replies_after(None),
        [],
        "an article the page opened answers nothing"
    );
    thread.ask("I forgot my password, reset password", Some(&assistant));
    thread.ask("can I pay with bitcoin", Some(&assistant));
    let replies = thread.replies_after(None);
    let seen: Vec<(&str, Option<&str>, bool)> = replies
        .iter()
        .map(|r| (r.question.as_str(), r.article.as_deref(), r.unsure))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "I forgot my password, reset password",
                Some("password"),
                false
            ),
            ("can I pay with bitcoin", None, true),
        ]
    );
    let last = replies.last().unwrap().line;
    assert_eq!(thread.replies_after(Some(last)), []);
    thread.ask("shipping", Some(&assistant));
    let later = thread.replies_after(Some(last));
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].question, "shipping");

    // Questions asked before the articles arrived are answered in order, each with its own.
    let mut waiting = Thread::default();
    waiting.ask("I forgot my password, reset password", None);
    waiting.ask("can I pay with bitcoin", None);
    waiting.answer_waiting(&assistant);
    let paired: Vec<(String, bool)> = waiting
        .replies_after(None)
        .into_iter()
        .map(|r| (r.question, r.unsure))
        .collect();
    assert_eq!(
        paired,
        [
            ("I forgot my password, reset password".to_owned(), false),
            ("can I pay with bitcoin".to_owned(), true)
        ]
    );
    // An article the page opens after a question answers nothing.
    let before = waiting.last_line();
    waiting.open_article("delivery", &assistant);
    assert_eq!(waiting.replies_after(before), []);
}

/// A thread of a site whose server answers by meaning.
fn consulting_thread() -> Thread {
    let mut thread = Thread::default();
    thread.server_answers = true;
    thread
}

#[wasm_bindgen_test]
fn an_unsure_question_waits_for_the_server_and_shows_its_answer() {
    use ito_assistant::Outcome;
    let assistant = Assistant::new(shop_base());
    let mut thread = consulting_thread();
    assert!(thread.ask("the box I am waiting for is late", Some(&assistant)));
    let asked = thread.server_question().expect("the server is asked");
    assert_eq!(asked.text, "the box I am waiting for is late");
    assert_eq!(asked.rejected, None);
    let id = asked.ticket;
    assert!(thread.is_waiting(), "the typing dots cover the wait");
    assert_eq!(
        thread.lines().len(),
        1,
        "nothing is shown before the server or the wait ends"
    );
    thread.server_replied(
        id,
        Some(server_reply(Outcome::Answer, &[("delivery", 0.7)])),
        &assistant,
    );
    assert_eq!(answered(&thread), Some("delivery"));
    assert!(!thread.is_waiting());
    assert_eq!(thread.server_question(), None);
    // Late or repeated replies for a settled question change nothing.
    let before = thread.lines().to_vec();
    thread.server_replied(
        id,
        Some(server_reply(Outcome::Answer, &[("password", 0.9)])),
        &assistant,
    );
    assert_eq!(thread.lines(), &before[..]);
}

#[wasm_bindgen_test]
fn a_slow_gone_or_confused_server_leaves_the_browsers_own_answer() {
    let assistant = Assistant::new(shop_base());
    let browser_only = {
        let mut thread = Thread::default();
        thread.ask("the box I am waiting for is late", Some(&assistant));
        thread.lines().to_vec()
    };
    for reply in [
        None,
        Some(server_reply(
            ito_assistant::Outcome::Answer,
            &[("no-such-article", 0.9)],
        )),
    ] {
        let mut thread = consulting_thread();
        thread.ask("the box I am waiting for is late", Some(&assistant));
        let id = thread.server_question().unwrap().ticket;
        thread.server_replied(id, reply, &assistant);
        assert_eq!(thread.lines(), &browser_only[..]);
    }
}

#[wasm_bindgen_test]
fn a_sure_answer_needs_no_server_and_later_questions_wait_their_turn() {
    let assistant = Assistant::new(shop_base());
    let mut thread = consulting_thread();
    thread.ask("I forgot my password, reset password", Some(&assistant));
    assert_eq!(
        thread.server_question(),
        None,
        "a clear answer is shown at once"
    );
    assert_eq!(answered(&thread), Some("password"));

    thread.ask("the box I am waiting for is late", Some(&assistant));
    let first = thread.server_question().unwrap().ticket;
    thread.ask("reset password", Some(&assistant));
    let lines = thread.lines().len();
    assert_eq!(
        thread.lines()[lines - 1].entry,
        Entry::Visitor {
            text: "reset password".into()
        }
    );
    thread.server_replied(first, None, &assistant);
    assert_eq!(
        answered(&thread),
        Some("password"),
        "answered in order after the first"
    );
    assert!(!thread.is_waiting());
}

#[wasm_bindgen_test]
fn an_answer_that_did_not_help_asks_the_server_for_other_articles() {
    use ito_assistant::Outcome;
    use ito_protocol::chat::HandoffReason;
    let assistant = Assistant::new(shop_base());
    let mut thread = consulting_thread();
    thread.ask("I forgot my password, reset password", Some(&assistant));
    assert_eq!(
        thread.server_question(),
        None,
        "sure: the server is not asked"
    );
    let answer = thread.lines().last().unwrap().id;
    assert!(thread.give_feedback(answer, Feedback::NotHelpful));
    assert_eq!(thread.lines().last().unwrap().entry, Entry::Sorry);
    let asked = thread.server_question().expect("asked after the No");
    assert_eq!(asked.text, "I forgot my password, reset password");
    assert_eq!(
        asked.rejected.as_deref(),
        Some("password"),
        "about the others"
    );
    let ticket = asked.ticket;
    assert!(thread.is_waiting(), "the typing dots cover the wait");
    thread.server_replied(
        ticket,
        Some(server_reply(
            Outcome::Answer,
            &[("password", 0.8), ("delivery", 0.6), ("returns", 0.2)],
        )),
        &assistant,
    );
    assert!(!thread.is_waiting());
    let lines = thread.lines();
    assert_eq!(lines[lines.len() - 2].entry, Entry::Sorry, "said at once");
    let offered = lines.last().unwrap().clone();
    let Entry::Suggestions {
        choices,
        chosen: None,
    } = &offered.entry
    else {
        panic!("other articles are offered: {:?}", offered.entry)
    };
    let ids: Vec<&str> = choices.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["delivery"],
        "never the rejected one, nor a far weaker one"
    );

    // The server was asked about this question already: a No on its article is just sorry.
    assert!(thread.choose(offered.id, "delivery", &assistant));
    let second = thread.lines().last().unwrap().id;
    assert!(thread.give_feedback(second, Feedback::NotHelpful));
    assert_eq!(thread.server_question(), None);
    assert_eq!(thread.lines().last().unwrap().entry, Entry::Sorry);
    thread.request_person();
    assert_eq!(thread.handoff_reason(), HandoffReason::NotHelpful);
}

#[wasm_bindgen_test]
fn after_a_no_a_slow_unsure_or_agreeing_server_leaves_the_bot_just_sorry() {
    use ito_assistant::Outcome;
    let assistant = Assistant::new(shop_base());
    let browser_only = {
        let mut thread = Thread::default();
        thread.ask("reset password", Some(&assistant));
        let answer = thread.lines().last().unwrap().id;
        thread.give_feedback(answer, Feedback::NotHelpful);
        thread.lines().to_vec()
    };
    assert_eq!(browser_only.last().unwrap().entry, Entry::Sorry);
    for reply in [
        None,
        Some(server_reply(Outcome::Unsure, &[("delivery", 0.3)])),
        Some(server_reply(Outcome::Answer, &[("password", 0.9)])),
        Some(server_reply(Outcome::Answer, &[("no-such-article", 0.9)])),
    ] {
        let mut thread = consulting_thread();
        thread.ask("reset password", Some(&assistant));
        let answer = thread.lines().last().unwrap().id;
        thread.give_feedback(answer, Feedback::NotHelpful);
        let ticket = thread.server_question().unwrap().ticket;
        thread.server_replied(ticket, reply.clone(), &assistant);
        assert_eq!(thread.lines(), &browser_only[..], "{reply:?}");
        assert!(!thread.is_waiting());
    }

    // A question asked before the server replies: the visitor moved on, and other articles
    // for the old answer would come after it, out of place.
    let mut thread = consulting_thread();
    thread.ask("reset password", Some(&assistant));
    let answer = thread.lines().last().unwrap().id;
    thread.give_feedback(answer, Feedback::NotHelpful);
    let ticket = thread.server_question().unwrap().ticket;
    thread.ask("can i send back my order?", Some(&assistant));
    assert_eq!(answered(&thread), Some("returns"), "answered at once");
    let before = thread.lines().to_vec();
    thread.server_replied(
        ticket,
        Some(server_reply(Outcome::Answer, &[("delivery", 0.9)])),
        &assistant,
    );
    assert_eq!(thread.lines(), &before[..], "the late reply is ignored");
}

#[wasm_bindgen_test]
fn the_thread_answers_suggests_and_admits_it_is_unsure() {
    let assistant = Assistant::new(shop_base());
    let mut thread = Thread::default();
    assert!(thread.ask("can i send back my order?", Some(&assistant)));
    assert_eq!(answered(&thread), Some("returns"));

    thread.ask("shipping", Some(&assistant));
    let last = thread.lines().last().unwrap().clone();
    let Entry::Suggestions {
        choices,
        chosen: None,
    } = &last.entry
    else {
        panic!("an ambiguous question gets suggestions: {:?}", last.entry)
    };
    let ids: Vec<&str> = choices.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["delivery-cost", "delivery"], "close candidates only");
    assert!(
        !thread.choose(last.id, "password", &assistant),
        "not offered"
    );
    assert!(thread.choose(last.id, "delivery-cost", &assistant));
    assert_eq!(answered(&thread), Some("delivery-cost"));
    assert!(
        !thread.choose(last.id, "delivery", &assistant),
        "chosen once"
    );
    let revised = thread.lines().iter().find(|l| l.id == last.id).unwrap();
    assert_eq!(revised.revision, 1, "the suggestion redraws as chosen");

    thread.ask("xqzv plorb", Some(&assistant));
    assert_eq!(thread.lines().last().unwrap().entry, Entry::Unsure);
    assert_eq!(thread.misses(), 1);

    thread.ask("I want to talk to a human", Some(&assistant));
    assert_eq!(thread.lines().last().unwrap().entry, Entry::PersonRequested);
    assert!(
        !thread.request_person(),
        "asking twice in a row adds nothing"
    );
}

#[wasm_bindgen_test]
fn feedback_is_given_once_and_acknowledged() {
    let assistant = Assistant::new(shop_base());
    let mut thread = Thread::default();
    thread.ask("reset password", Some(&assistant));
    let answer = thread.lines().last().unwrap().id;
    assert!(!thread.give_feedback(0, Feedback::Helpful), "not an answer");
    assert!(thread.give_feedback(answer, Feedback::NotHelpful));
    assert!(!thread.give_feedback(answer, Feedback::Helpful), "once");
    assert_eq!(thread.lines().last().unwrap().entry, Entry::Sorry);
    assert_eq!(thread.misses(), 1);
}

#[wasm_bindgen_test]
fn frustration_gets_a_person_offered_and_the_handoff_says_why() {
    use ito_protocol::chat::HandoffReason;
    let assistant = Assistant::new(shop_base());
    let mut thread = Thread::default();
    thread.request_person();
    assert_eq!(thread.handoff_reason(), HandoffReason::Asked, "just asked");

    let mut thread = Thread::default();
    thread.ask("reset password", Some(&assistant));
    assert_ne!(
        thread.lines().last().unwrap().entry,
        Entry::Frustrated,
        "calm"
    );
    thread.ask("reset password", Some(&assistant));
    assert_eq!(
        thread.lines().last().unwrap().entry,
        Entry::Frustrated,
        "asking the same again is a sign"
    );
    thread.request_person();
    assert_eq!(thread.handoff_reason(), HandoffReason::Frustrated);

    let mut thread = Thread::default();
    thread.ask("THIS IS USELESS, WHERE IS MY ORDER", Some(&assistant));
    assert_eq!(
        thread.lines().last().unwrap().entry,
        Entry::Frustrated,
        "shouting"
    );

    let mut thread = Thread::default();
    thread.ask("reset password", Some(&assistant));
    let answer = thread.lines().last().unwrap().id;
    thread.give_feedback(answer, Feedback::NotHelpful);
    thread.request_person();
    assert_eq!(thread.handoff_reason(), HandoffReason::NotHelpful);

    let mut thread = Thread::default();
    thread.ask("xqzv plorb", Some(&assistant));
    thread.request_person();
    assert_eq!(thread.handoff_reason(), HandoffReason::Unsure);
}

#[wasm_bindgen_test]
fn questions_wait_for_the_articles_and_survive_storage() {
    let mut thread = Thread::default();
    thread.ask("return policy", None);
    thread.ask("shipping time", None);
    assert!(thread.is_waiting());
    let restored = Thread::from_json(&thread.to_json()).unwrap();
    assert_eq!(restored, thread);
    thread.answer_waiting(&Assistant::new(shop_base()));
    let answers: Vec<&str> = thread
        .lines()
        .iter()
        .filter_map(|l| match &l.entry {
            Entry::Answer { article, .. } => Some(article.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(answers, ["returns", "delivery"], "in the order asked");
    assert!(!thread.is_waiting());

    let mut offline = restored;
    offline.articles_unavailable();
    assert_eq!(offline.lines().last().unwrap().entry, Entry::Unavailable);
    assert!(Thread::from_json("{not json").is_none());
}

#[wasm_bindgen_test]
async fn an_answer_is_an_article_card_with_safe_markdown_and_feedback() {
    let app = mount(Locale::En);
    app.send("how do I return shoes?");
    settle().await;
    assert_eq!(app.count(".ito-article-card"), 1);
    let title = app
        .root
        .query_selector(".ito-article-card__title")
        .unwrap()
        .unwrap();
    assert_eq!(title.text_content().unwrap(), "How do I return an item?");
    let strong = app
        .root
        .query_selector(".ito-article-card strong")
        .unwrap()
        .unwrap();
    assert_eq!(strong.text_content().unwrap(), "30 days");
    let link = app
        .root
        .query_selector(".ito-article-card a")
        .unwrap()
        .unwrap();
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://shop.example/returns")
    );
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );

    app.click(".ito-feedback__button");
    settle().await;
    assert_eq!(app.count(".ito-feedback__button"), 0, "answered once");
    let lines = app.lines();
    assert!(
        lines[lines.len() - 2].contains("glad that helped"),
        "{lines:?}"
    );
    assert_eq!(app.count(".ito-survey"), 1, "then the survey");
    assert!(
        lines[2].contains("You found this helpful"),
        "the card keeps the verdict: {lines:?}"
    );
}

#[wasm_bindgen_test]
async fn suggestions_are_chips_that_answer_when_chosen() {
    let app = mount(Locale::En);
    app.send("shipping");
    settle().await;
    let chips = app.count(".ito-suggestions__chip");
    assert_eq!(chips, 2);
    app.click(".ito-suggestions__chip");
    settle().await;
    assert_eq!(app.count(".ito-article-card"), 1);
    assert_eq!(app.count(".ito-suggestions__chip:disabled"), chips);
    assert_eq!(app.count(".ito-suggestions__chip[aria-pressed=true]"), 1);
}

#[wasm_bindgen_test]
async fn the_bot_types_for_a_moment_before_it_answers() {
    let app = mount_full(
        Locale::En,
        Rc::new(Stores::memory()),
        WidgetSettings::default(),
        80,
    );
    app.send("return policy");
    settle().await;
    assert_eq!(app.count(".ito-article-card"), 0, "not at once");
    assert_eq!(app.count(".ito-panel__typing"), 1, "typing dots meanwhile");
    sleep(200).await;
    assert_eq!(app.count(".ito-article-card"), 1);
    assert_eq!(app.count(".ito-panel__typing"), 0);
}

#[wasm_bindgen_test]
async fn talk_to_a_person_is_always_in_reach() {
    let app = mount(Locale::En);
    app.send("zzzz qqqq");
    settle().await;
    assert_eq!(
        app.count(".ito-message-list__person"),
        1,
        "unsure offers a person"
    );
    app.click(".ito-panel__person");
    settle().await;
    let lines = app.lines();
    assert!(
        lines.last().unwrap().contains("bring in a person"),
        "{lines:?}"
    );
    app.send("are you there?");
    settle().await;
    let lines = app.lines();
    assert!(
        lines.last().unwrap().ends_with("are you there?"),
        "with a person asked for, the bot stays silent: {lines:?}"
    );
}

#[wasm_bindgen_test]
async fn before_a_handoff_the_bot_asks_what_the_site_wants_to_know() {
    use ito_protocol::site_settings::PreChatField;
    let settings = WidgetSettings {
        pre_chat: vec![PreChatField::Name, PreChatField::Email],
        ..WidgetSettings::default()
    };
    let app = mount_site(Locale::En, Rc::new(Stores::memory()), settings);
    settle().await;
    let last = |app: &Mounted| app.lines().last().unwrap().clone();
    let handed_off = |app: &Mounted| last(app).contains("you won't have to repeat anything");
    app.click(".ito-panel__person");
    settle().await;
    assert!(
        last(&app).contains("what's your name?"),
        "{:?}",
        app.lines()
    );
    app.send("Ann");
    settle().await;
    assert!(last(&app).contains("what email"), "{:?}", app.lines());
    app.send("not an address");
    settle().await;
    assert!(
        last(&app).contains("name@example.com"),
        "asked again: {:?}",
        app.lines()
    );
    assert!(!handed_off(&app));
    app.send("ann@example.com");
    settle().await;
    assert!(handed_off(&app), "{:?}", app.lines());
    let lines = app.lines();
    assert!(
        lines.iter().any(|l| l.ends_with("ann@example.com")),
        "the answers are the visitor's lines: {lines:?}"
    );
}

#[wasm_bindgen_test]
fn pre_chat_questions_skip_what_the_host_page_said() {
    use ito_protocol::site_settings::PreChatField;
    use ito_widget::context::VisitorContext;
    use ito_widget::thread::plausible_email;
    let mut context = VisitorContext::default();
    assert_eq!(context.contact(), (None, None));
    context.identify(ito_protocol::embed::Visitor {
        id: "u1".into(),
        name: Some("Ann".into()),
        email: None,
        signature: None,
        expires: None,
    });
    context.answer_pre_chat(PreChatField::Name, "Someone else".into());
    context.answer_pre_chat(PreChatField::Email, "ann@example.com".into());
    assert_eq!(
        context.contact(),
        (Some("Ann"), Some("ann@example.com")),
        "the host page's name wins; the visitor's email fills the gap"
    );
    context.visit("https://shop.example/a", "Shoes \"new\"", 1.5);
    context.set_attributes(
        serde_json::json!({"plan": "pro", "seats": 3})
            .as_object()
            .unwrap()
            .clone(),
    );
    let stored = serde_json::to_string(&context).unwrap();
    assert_eq!(
        VisitorContext::from_json(&stored),
        Some(context.clone()),
        "{stored}"
    );
    assert_eq!(
        VisitorContext::from_json(&stored),
        serde_json::from_str::<VisitorContext>(&stored).ok()
    );
    for broken in [
        "",
        "{}",
        r#"{"pages":[{"url":"u"}],"visitor":null,"attributes":{}}"#,
    ] {
        assert_eq!(VisitorContext::from_json(broken), None, "{broken}");
        assert_eq!(
            serde_json::from_str::<VisitorContext>(broken).ok(),
            None,
            "{broken}"
        );
    }

    let mut thread = Thread::default();
    thread.ask_first = vec![PreChatField::Email];
    thread.request_person();
    assert_eq!(thread.pre_chat_question(), Some(PreChatField::Email));
    assert!(!thread.with_person(), "not handed off before the answer");
    assert_eq!(
        thread.answer_pre_chat(" ann@example.com "),
        Some((PreChatField::Email, "ann@example.com".into()))
    );
    assert!(thread.with_person());
    assert!(plausible_email("a@b.co"));
    for bad in ["", "a@b", "@b.co", "a b@c.co", "a@.co", "a@co."] {
        assert!(!plausible_email(bad), "{bad}");
    }
}

#[wasm_bindgen_test]
fn a_stored_thread_reads_back_with_every_kind_of_line() {
    use ito_protocol::chat::{Author, EventKind};
    use ito_protocol::site_settings::PreChatField;
    let assistant = Assistant::new(shop_base());
    let mut thread = Thread::default();
    thread.ask("reset password", Some(&assistant));
    let answer = thread.lines().last().unwrap().id;
    thread.give_feedback(answer, Feedback::Helpful);
    thread.ask("reset password", Some(&assistant));
    let again = thread
        .lines()
        .iter()
        .rev()
        .find(|l| matches!(l.entry, Entry::Answer { .. }))
        .unwrap()
        .id;
    thread.give_feedback(again, Feedback::NotHelpful);
    thread.ask("shipping", Some(&assistant));
    let suggestion = thread.lines().last().unwrap().id;
    thread.choose(suggestion, "delivery", &assistant);
    thread.ask("xqzv plorb", Some(&assistant));
    thread.ask("waiting for articles", None);
    thread.articles_unavailable();
    thread.ask_first = vec![PreChatField::Email];
    thread.request_person();
    thread.answer_pre_chat("not an email");
    thread.answer_pre_chat("ann@example.com");
    thread.set_queue(2, Some(90), true);
    thread.apply(&EventKind::AgentJoined {
        agent_id: "a1".into(),
        name: "Kenji".into(),
    });
    let kenji = Author::Agent {
        id: "a1".into(),
        name: "Kenji".into(),
    };
    thread.apply(&EventKind::Message {
        id: "m1".parse().unwrap(),
        author: kenji.clone(),
        text: "Hi \"you\"".into(),
    });
    let file = |id: &str, name: &str, media_type: &str| ito_protocol::chat::Attachment {
        id: id.into(),
        name: name.into(),
        media_type: media_type.into(),
        size: 1234,
    };
    thread.add_file(
        &Author::Visitor,
        &file("f1", "receipt.png", "image/png"),
        "c1.1.s",
    );
    thread.add_file(
        &kenji,
        &file("f2", "label.pdf", "application/pdf"),
        "c1.1.s",
    );
    thread.apply(&EventKind::Resolved);
    thread.email_kept(false);
    thread.email_kept(true);
    thread.email_refused();
    thread.request_person();
    thread.apply(&EventKind::Ended);
    thread.restart(false);
    thread.ask("one more", None);

    let kinds: std::collections::BTreeSet<String> = thread
        .lines()
        .iter()
        .map(|l| {
            format!("{:?}", l.entry)
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds.len(), 21, "every kind of line: {kinds:?}");
    assert!(thread.lines().iter().any(|l| l.entry
        == Entry::File {
            by: Some("Kenji".into()),
            name: "label.pdf".into(),
            href: "/attachments/f2?token=c1.1.s".into(),
            image: false,
        }));
    thread.ask_first.clear();
    // What is stored reads back as it was (what replies answered is not stored: a restored
    // thread's replies were reported before the reload).
    let stored = thread.to_json();
    assert_eq!(
        Thread::from_json(&stored).map(|t| t.to_json()),
        Some(stored)
    );
    assert_eq!(
        Thread::from_json("{\"lines\":[{\"id\":0}]}"),
        None,
        "damaged"
    );
    assert_eq!(Thread::from_json("not json"), None);
}

#[wasm_bindgen_test]
fn the_survey_is_asked_once_when_the_conversation_is_over() {
    use ito_protocol::chat::EventKind;
    use ito_widget::thread::SurveyState;
    let surveys = |t: &Thread| {
        t.lines()
            .iter()
            .filter(|l| matches!(l.entry, Entry::Survey { .. }))
            .count()
    };
    let mut thread = Thread::default();
    thread.request_person();
    thread.apply(&EventKind::Resolved);
    assert_eq!(surveys(&thread), 1, "after the agent resolves");
    let line = thread.lines().last().unwrap().id;
    assert!(thread.survey_done(line, true));
    assert!(!thread.survey_done(line, false), "answered once");
    assert_eq!(
        thread.lines().last().unwrap().entry,
        Entry::Survey {
            state: SurveyState::Answered
        }
    );
    thread.request_person();
    thread.apply(&EventKind::Ended);
    assert_eq!(surveys(&thread), 1, "one survey per conversation");

    let assistant = Assistant::new(shop_base());
    let mut bot_only = Thread::default();
    bot_only.ask("reset password", Some(&assistant));
    let answer = bot_only.lines().last().unwrap().id;
    bot_only.give_feedback(answer, Feedback::Helpful);
    assert_eq!(surveys(&bot_only), 1, "the bot solved it");
}

#[wasm_bindgen_test]
async fn the_survey_takes_faces_a_scale_and_a_comment_or_a_skip() {
    let app = mount(Locale::En);
    app.send("reset password");
    settle().await;
    app.click(".ito-feedback__button");
    settle().await;
    assert_eq!(app.count(".ito-survey"), 1, "{:?}", app.lines());
    assert_eq!(app.count(".ito-survey__score"), 12, "5 faces and 7 numbers");
    let face = app
        .root
        .query_selector(".ito-survey__score")
        .unwrap()
        .unwrap();
    assert_eq!(
        face.get_attribute("aria-label").as_deref(),
        Some("1 – Very dissatisfied")
    );
    app.click(".ito-survey__scale:nth-of-type(1) .ito-survey__score:nth-of-type(4)");
    app.click(".ito-survey__scale:nth-of-type(2) .ito-survey__score:nth-of-type(6)");
    settle().await;
    let pressed = app
        .root
        .query_selector_all("[aria-pressed=true]")
        .unwrap()
        .length();
    assert_eq!(pressed, 2);
    app.click(".ito-survey__send");
    settle().await;
    assert_eq!(app.count(".ito-survey"), 0);
    assert!(
        app.lines()
            .last()
            .unwrap()
            .contains("Thank you for your feedback!"),
        "{:?}",
        app.lines()
    );
}

#[wasm_bindgen_test]
async fn hostile_articles_and_visitor_text_stay_text() {
    let app = mount(Locale::En);
    app.send("<img src=x onerror=\"window.__itoXss=5\"> gift card balance");
    settle().await;
    assert_eq!(app.count(".ito-article-card"), 1, "{:?}", app.lines());
    assert_eq!(app.count("img, script, svg:not([aria-hidden]), iframe"), 0);
    assert_eq!(
        app.count(".ito-article-card a"),
        0,
        "the javascript: link is not a link"
    );
    let lines = app.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("<script>window.__itoXss=2</script>")),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("<img src=x"),
        "the visitor's text is shown as typed"
    );
    // Give any injected handler a chance to run.
    settle().await;
    let flag = js_sys::Reflect::get(&window(), &"__itoXss".into()).unwrap();
    assert!(flag.is_undefined(), "nothing ran: {flag:?}");
}

#[wasm_bindgen_test]
async fn the_thread_survives_a_reload() {
    let stores = Rc::new(Stores::memory());
    let first = mount_with(Locale::En, stores.clone());
    settle().await;
    assert!(
        stores.persistent.get("ito.demo.thread").is_none(),
        "nothing kept for good before the first message"
    );
    assert!(stores.persistent.get("ito.demo.context").is_none());
    assert!(
        stores.visit.get("ito.demo.context").is_some(),
        "this visit's trail only"
    );
    first.send("return policy");
    settle().await;
    assert!(stores.persistent.get("ito.demo.context").is_some());
    assert!(stores.visit.get("ito.demo.context").is_none());
    let before = first.lines();
    drop(first);
    let second = mount_with(Locale::En, stores);
    settle().await;
    assert_eq!(second.lines(), before);
    assert_eq!(second.count(".ito-article-card"), 1);
}

#[wasm_bindgen_test]
fn only_exact_origins_are_used_for_the_host() {
    assert!(is_origin("https://shop.example"));
    assert!(is_origin("http://127.0.0.1:8080"));
    for bad in [
        "x",
        "",
        "https://shop.example/",
        "https://shop.example/path",
        "javascript:alert(1)",
        "*",
    ] {
        assert!(!is_origin(bad), "{bad:?} is not an origin");
    }
}

#[wasm_bindgen_test]
fn the_page_trail_keeps_web_pages_once_each_and_titles_as_text() {
    let mut context = VisitorContext::default();
    assert!(context.visit("https://shop.example/", "Home", 1.0));
    assert!(
        !context.visit("https://shop.example/", "Home", 2.0),
        "a reload is not a new visit"
    );
    assert!(!context.visit("javascript:alert(1)", "x", 3.0));
    assert!(!context.visit("file:///etc/passwd", "x", 3.0));
    let hostile = "<img src=x onerror=alert(1)> Cart";
    assert!(context.visit("https://shop.example/cart", hostile, 4.0));
    assert_eq!(
        context.pages[1].title, hostile,
        "kept as text, shown as text"
    );
    assert!(context.visit("https://shop.example/long", &"t".repeat(1000), 5.0));
    assert_eq!(context.pages[2].title.chars().count(), 200);
    for i in 0..100 {
        context.visit(&format!("https://shop.example/{i}"), "", 6.0);
    }
    assert_eq!(context.pages.len(), MAX_PAGES);
    assert_eq!(context.pages.last().unwrap().url, "https://shop.example/99");
}

#[wasm_bindgen_test]
fn identify_and_attributes_are_checked_and_merged() {
    let mut context = VisitorContext::default();
    let visitor = |id: &str| Visitor {
        id: id.into(),
        name: Some("Ann".into()),
        email: None,
        signature: None,
        expires: None,
    };
    assert!(!context.identify(visitor(" ")));
    assert!(context.identify(visitor("u-1")));
    assert_eq!(
        context.visitor.as_ref().unwrap().name.as_deref(),
        Some("Ann")
    );
    let attributes = serde_json::json!({
        "plan": "pro", "seats": 3, "trial": false, "nested": {"a": 1}, "list": [1], "": 1
    });
    let serde_json::Value::Object(map) = attributes else {
        unreachable!()
    };
    assert_eq!(context.set_attributes(map), 3);
    let serde_json::Value::Object(change) = serde_json::json!({"plan": null, "seats": 4}) else {
        unreachable!()
    };
    context.set_attributes(change);
    assert_eq!(
        serde_json::Value::Object(context.attributes.clone()),
        serde_json::json!({"seats": 4, "trial": false})
    );
}

#[wasm_bindgen_test]
fn the_outbox_keeps_messages_until_acknowledged_and_survives_storage() {
    use ito_protocol::chat::{Event, EventKind, VisitorToServer};
    use ito_widget::live::Live;

    let mut live = Live::default();
    let VisitorToServer::Send { id: first, .. } = live.send("my parcel is lost", "tab1") else {
        panic!("a send frame")
    };
    let VisitorToServer::Send { id: second, .. } = live.send("order 42", "tab1") else {
        panic!("a send frame")
    };
    assert_ne!(first, second);
    live.acknowledged(&first, 3);
    assert!(!live.is_pending(&first) && live.is_pending(&second));
    // A reload: the outbox comes back from storage and is sent again.
    let stored = serde_json::to_string(&live).unwrap();
    let restored = Live::from_json(&stored).unwrap();
    assert_eq!(
        Some(&restored),
        serde_json::from_str::<Live>(&stored).ok().as_ref()
    );
    let resend = restored.resend();
    assert_eq!(resend.len(), 1);
    assert!(
        matches!(&resend[0], VisitorToServer::Send { id, text } if *id == second && text == "order 42")
    );

    let event = |seq| Event {
        seq,
        at: 0,
        kind: EventKind::Resolved,
    };
    assert!(live.received(&event(1)) && live.received(&event(2)));
    assert!(
        !live.received(&event(2)),
        "a replayed event is not shown twice"
    );
    live.connected("token".into());
    assert!(matches!(
        live.hello(None),
        VisitorToServer::Hello { token: Some(t), last_seq: 2, .. } if t == "token"
    ));
    // Read by hand as serde reads it, and nothing else.
    let stored = serde_json::to_string(&live).unwrap();
    assert_eq!(Live::from_json(&stored), Some(live.clone()));
    assert_eq!(
        Live::from_json(&stored),
        serde_json::from_str::<Live>(&stored).ok()
    );
    for broken in [
        "",
        "[]",
        "{}",
        r#"{"token":null,"last_seq":1,"outbox":[["bad id!","x"]],"next_id":1}"#,
    ] {
        assert_eq!(Live::from_json(broken), None, "{broken}");
        assert_eq!(serde_json::from_str::<Live>(broken).ok(), None, "{broken}");
    }
    let old: &str = r#"{"token":"t","last_seq":4,"outbox":[],"next_id":2}"#;
    assert_eq!(
        Live::from_json(old),
        serde_json::from_str::<Live>(old).ok(),
        "older fields default"
    );
}

#[wasm_bindgen_test]
fn a_conversation_the_server_no_longer_has_starts_afresh_and_resends_nothing_twice() {
    use ito_protocol::chat::{Event, EventKind, VisitorToServer};
    use ito_widget::live::Live;

    let mut live = Live::default();
    let VisitorToServer::Send { id: sent, .. } = live.send("stored in the old one", "tab1") else {
        panic!("a send frame")
    };
    live.acknowledged(&sent, 4);
    let VisitorToServer::Send { id: pending, .. } = live.send("not stored yet", "tab1") else {
        panic!("a send frame")
    };
    live.connected("expired-token".into());
    let joined = Event {
        seq: 5,
        at: 0,
        kind: EventKind::HandoffRequested {
            reason: ito_protocol::chat::HandoffReason::Asked,
        },
    };
    assert!(live.received(&joined) && live.handed_off);
    live.start_afresh();
    // A hello without the token: the server starts a new conversation from event 0.
    assert!(matches!(
        live.hello(None),
        VisitorToServer::Hello {
            token: None,
            last_seq: 0,
            ..
        }
    ));
    assert!(!live.handed_off);
    // Only what the old conversation never stored is sent again, with the same id.
    let resend = live.resend();
    assert_eq!(resend.len(), 1);
    assert!(matches!(&resend[0], VisitorToServer::Send { id, .. } if *id == pending));
    assert!(
        live.is_own(&sent),
        "this browser's messages are still its own"
    );

    // The thread keeps everything shown, with a divider; a person is asked again unless a
    // request is on its way.
    let mut thread = Thread::default();
    thread.request_person();
    assert!(thread.with_person());
    let before = thread.lines().len();
    thread.restart(false);
    assert_eq!(thread.lines().len(), before + 1);
    assert!(matches!(
        thread.lines().last().unwrap().entry,
        Entry::Restarted
    ));
    assert!(!thread.with_person());
    thread.restart(false);
    assert_eq!(thread.lines().len(), before + 1, "one divider");
    thread.request_person();
    thread.restart(true);
    assert!(
        thread.with_person(),
        "the request on its way goes to the new conversation"
    );
}

#[wasm_bindgen_test]
fn reconnects_back_off_exponentially_with_jitter_and_a_cap() {
    use ito_widget::live::{FIRST_DELAY, Live, MAX_DELAY};

    let mut live = Live::default();
    let full: Vec<_> = (0..10).map(|_| live.next_delay(1.0)).collect();
    assert_eq!(full[0], FIRST_DELAY);
    assert_eq!(full[1], FIRST_DELAY * 2);
    assert_eq!(full[3], FIRST_DELAY * 8);
    assert_eq!(full[9], MAX_DELAY, "capped");
    assert_eq!(
        live.next_delay(0.0),
        std::time::Duration::ZERO,
        "jitter spreads down to zero"
    );
    live.connected("t".into());
    assert_eq!(live.next_delay(1.0), FIRST_DELAY, "a success starts over");
}

#[wasm_bindgen_test]
fn a_handoff_hands_over_the_transcript_and_shows_the_person() {
    use ito_protocol::chat::{Author, EventKind};

    let assistant = Assistant::new(shop_base());
    let mut thread = Thread::default();
    thread.ask("reset password", Some(&assistant));
    let answer = thread.lines().last().unwrap().id;
    thread.give_feedback(answer, Feedback::NotHelpful);
    thread.ask("xqzv plorb", Some(&assistant));
    assert!(!thread.with_person());
    thread.request_person();
    assert!(thread.with_person(), "messages now go to a person");

    let transcript = thread.transcript();
    let texts: Vec<&str> = transcript.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "reset password",
            "I forgot my password",
            "xqzv plorb",
            "(not sure)"
        ]
    );
    assert!(
        matches!(&transcript[1].author, Author::Bot { article: Some(a), .. } if a == "password")
    );
    assert_eq!(transcript[1].helpful, Some(false));

    thread.set_queue(3, None, false);
    thread.set_queue(2, Some(120), false);
    let queue_lines = thread
        .lines()
        .iter()
        .filter(|l| matches!(l.entry, Entry::Queue { .. }))
        .count();
    assert_eq!(queue_lines, 1, "the place is updated in place");
    assert_eq!(
        thread.lines().last().unwrap().entry,
        Entry::Queue {
            position: 2,
            wait_secs: Some(120),
            nobody_online: false
        }
    );
    assert_eq!(thread.agent_name(), None);

    let agent = Author::Agent {
        id: "a1".into(),
        name: "Kenji".into(),
    };
    assert!(thread.apply(&EventKind::AgentJoined {
        agent_id: "a1".into(),
        name: "Kenji".into()
    }));
    assert!(thread.apply(&EventKind::Message {
        id: "m1".parse().unwrap(),
        author: agent,
        text: "Let me reset it for you.".into()
    }));
    assert!(
        !thread.apply(&EventKind::Message {
            id: "v1".parse().unwrap(),
            author: Author::Visitor,
            text: "thanks".into()
        }),
        "the visitor's own words are already shown"
    );
    assert_eq!(
        thread.lines().last().unwrap().entry,
        Entry::Agent {
            name: "Kenji".into(),
            text: "Let me reset it for you.".into()
        }
    );
    assert_eq!(thread.agent_name(), Some("Kenji"));
    // Kenji hands the conversation to Ann: she takes over, and the typing is hers now.
    assert!(thread.apply(&EventKind::AgentJoined {
        agent_id: "a2".into(),
        name: "Ann".into()
    }));
    assert_eq!(
        thread.lines().last().unwrap().entry,
        Entry::AgentJoined {
            name: "Ann".into(),
            taking_over: true
        }
    );
    assert_eq!(thread.agent_name(), Some("Ann"));
    let restored = Thread::from_json(&thread.to_json()).expect("a stored thread reads back");
    assert_eq!(restored.lines(), thread.lines());
    thread.apply(&EventKind::Resolved);
    assert!(!thread.with_person(), "resolved: back to the bot");
    // An agent reopens it: the visitor is with a person again.
    thread.apply(&EventKind::AgentJoined {
        agent_id: "a2".into(),
        name: "Ann".into(),
    });
    assert!(thread.with_person(), "reopened by an agent");
    thread.apply(&EventKind::Resolved);
    assert!(!thread.with_person());
    thread.request_person();
    assert!(thread.with_person(), "asking again");
    thread.apply(&EventKind::Ended);
    assert!(!thread.with_person(), "the visitor ended it");
}

#[wasm_bindgen_test]
fn the_live_state_knows_own_messages_receipts_and_the_handoff() {
    use ito_protocol::chat::{Author, Event, EventKind, VisitorToServer};
    use ito_widget::live::Live;

    let event = |seq, kind| Event { seq, at: 0, kind };
    let mut live = Live::default();
    let VisitorToServer::Send { id: mine, .. } = live.send("hello", "tab1") else {
        panic!("a send frame")
    };
    assert!(live.is_own(&mine));
    assert!(
        !live.is_own(&"phone-1".parse().unwrap()),
        "written on another device"
    );

    assert!(live.received(&event(
        1,
        EventKind::HandoffRequested {
            reason: ito_protocol::chat::HandoffReason::Asked
        }
    )));
    assert!(live.handed_off);
    live.acknowledged(&mine, 2);
    assert!(!live.seen());
    let agent = Author::Agent {
        id: "a1".into(),
        name: "Kenji".into(),
    };
    live.agent_typing = true;
    live.received(&event(
        3,
        EventKind::Message {
            id: "a-1".parse().unwrap(),
            author: agent,
            text: "Hi".into(),
        },
    ));
    assert!(!live.agent_typing, "a message ends the typing");
    assert_eq!(
        live.read_receipt(),
        Some(VisitorToServer::Read { up_to: 3 })
    );
    assert_eq!(live.read_receipt(), None, "once per message");
    live.received(&event(
        4,
        EventKind::Read {
            by_agent: false,
            up_to: 3,
        },
    ));
    assert_eq!(
        live.read_receipt(),
        None,
        "receipts are not answered with receipts"
    );
    live.received(&event(
        5,
        EventKind::Read {
            by_agent: true,
            up_to: 2,
        },
    ));
    assert!(live.seen(), "the person read the visitor's message");
    live.received(&event(6, EventKind::Resolved));
    assert!(
        !live.handed_off,
        "a new request after this is a new handoff"
    );
}

/// `Ito('reset')` forgets, then reloads the page; whatever still runs until the reload (a live
/// token arriving, a message) must not store the forgotten visitor again.
#[wasm_bindgen_test]
async fn once_forgotten_nothing_is_stored_again_before_the_reload() {
    use ito_widget::live::Live;
    use ito_widget::persist::Persisted;
    let owner = Owner::new();
    owner.set();
    let stores = Rc::new(Stores::memory());
    let persisted = Persisted::new(stores.clone(), "demo");
    let forget = persisted.forget();
    let live = RwSignal::new(Live::default());
    persisted.keep_live(live);
    let thread = RwSignal::new(Thread::default());
    persisted.keep(thread, RwSignal::new(VisitorContext::default()));
    thread.update(|t| {
        t.add_visitor_message("where is my parcel");
    });
    live.update(|l| l.token = Some("first".into()));
    settle().await;
    let stored = |key: &str| stores.persistent.get(&format!("ito.demo.{key}"));
    assert!(stored("thread").is_some() && stored("live").is_some());

    forget();
    live.update(|l| l.token = Some("arrived after the reset".into()));
    thread.update(|t| {
        t.add_visitor_message("still typing");
    });
    settle().await;
    assert_eq!(
        [stored("thread"), stored("context"), stored("live")],
        [None, None, None]
    );
}

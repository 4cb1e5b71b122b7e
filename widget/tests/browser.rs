//! The widget in a real browser (headless Chromium through wasm-bindgen-test):
//! `cargo xtask test` runs these.

use ito_protocol::Locale;
use ito_widget::App;
use ito_widget::embed::{EmbedContext, choose_locale, is_origin};
use ito_widget::i18n;
use ito_widget::thread::{Author, MAX_MESSAGE_CHARS, Thread};
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

fn mount(locale: Locale) -> Mounted {
    let document = document();
    let root: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&root).unwrap();
    let context = EmbedContext {
        site: "demo".into(),
        host_origin: None,
        locale,
    };
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <App context=context.clone() /> }.into_any()
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
async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
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
    assert_eq!(lines.len(), 2, "{lines:?}");
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
    assert_eq!(
        (line.id, line.author, line.text.as_str()),
        (0, Author::Visitor, "hi")
    );
    let long = "あ".repeat(MAX_MESSAGE_CHARS + 10);
    let line = thread.add_visitor_message(&long).unwrap();
    assert_eq!((line.id, line.text.chars().count()), (1, MAX_MESSAGE_CHARS));
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

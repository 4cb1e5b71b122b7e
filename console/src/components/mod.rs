//! One folder per component, each with its own CSS whose class names start with the
//! component's name (`inbox__item`), linked from `index.html`.

pub mod answer_picker;
pub mod canned_replies;
pub mod context_panel;
pub mod conversation;
pub mod dashboard;
pub mod inbox;
pub mod knowledge;
pub mod learning;
pub mod settings;
pub mod sign_in;
pub mod top_bar;
pub mod transfer;
pub mod workspace;

/// "3 min" since an RFC 3339 time, from the browser's clock.
pub fn age(rfc3339: &str) -> String {
    let then = js_sys::Date::parse(rfc3339);
    if then.is_nan() {
        return String::new();
    }
    let minutes = ((js_sys::Date::now() - then) / 60_000.0).max(0.0) as u64;
    match minutes {
        0 => crate::i18n::t("time.now").to_owned(),
        1..=59 => crate::i18n::fill("time.minutes", "n", &minutes.to_string()),
        _ => crate::i18n::fill("time.hours", "n", &(minutes / 60).to_string()),
    }
}

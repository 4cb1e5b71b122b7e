use leptos::prelude::*;

/// "Attach a file", beside "End chat" while a person is in the conversation: a label around
/// a visually hidden file input, so the keyboard and screen readers reach the browser's own
/// picker. It wears the panel's action style (`ito-panel__person`), so it has no CSS of its own.
pub fn attach(
    // The picker's `accept` (the types the server takes); empty hides it.
    accept: String,
    label: &'static str,
    on_attach: Callback<web_sys::File>,
) -> impl IntoView {
    let hidden = accept.is_empty();
    view! {
        <label class="ito-panel__person" hidden=hidden>
            <input
                type="file"
                class="ito-visually-hidden"
                accept=accept
                on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = event_target(&ev);
                    if let Some(file) = input.files().and_then(|files| files.get(0)) {
                        on_attach.run(file);
                    }
                    // The same file may be picked again (after a failure).
                    input.set_value("");
                }
            />
            {label}
        </label>
    }
}

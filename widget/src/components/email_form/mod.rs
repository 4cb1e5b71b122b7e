use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlFormElement, HtmlInputElement};

use crate::i18n::EmailStrings;

/// An address for mail, offered inside the conversation: for a person's reply when nobody is
/// there to answer now, or for the transcript once the chat is over. Hidden once sent. The
/// browser checks the address (`type=email` with a dot in the domain, shaped like the
/// placeholder) and says what is wrong in its own bubble, in the browser's language: no state
/// of the widget's own, which its size budget would feel.
#[component]
pub fn EmailForm(
    /// What the form offers, in the visitor's language.
    prompt: &'static str,
    /// The field's label and the button, in the visitor's language.
    strings: EmailStrings,
    /// The address to start from (one the visitor gave before); empty when none.
    initial: String,
    /// Called with the address, once the browser finds it valid.
    on_send: Callback<String>,
) -> impl IntoView {
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        if let Some(input) = form
            .elements()
            .item(0)
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        {
            form.set_hidden(true);
            on_send.run(input.value().trim().to_owned());
        }
    };
    view! {
        <form class="ito-email-form" on:submit=submit>
            <label class="ito-email-form__label">
                {prompt}
                <input
                    class="ito-email-form__input"
                    type="email"
                    required
                    pattern=EMAIL_PATTERN
                    placeholder="name@example.com"
                    autocomplete="email"
                    aria-label=strings.label
                    value=initial
                />
            </label>
            <button type="submit" class="ito-email-form__button">{strings.send}</button>
        </form>
    }
}

/// What the server takes as an address beyond `type=email`: a dot inside the domain.
const EMAIL_PATTERN: &str = "[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+";

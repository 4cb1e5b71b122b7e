use leptos::html::Textarea;
use leptos::prelude::*;

use crate::i18n::ComposerStrings;
use crate::thread::MAX_MESSAGE_CHARS;

/// The `keyCode` browsers report for a key press that an input method (IME) is handling.
/// Safari sends the Enter that confirms a Japanese conversion with this code and
/// `isComposing == false`, so both must be checked.
const IME_PROCESS_KEY: u32 = 229;

/// Whether this key press sends the message: Enter, without Shift (a newline), and not while
/// an IME is composing (that Enter confirms the conversion).
pub fn is_send_key(ev: &web_sys::KeyboardEvent) -> bool {
    ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() && ev.key_code() != IME_PROCESS_KEY
}

/// The visitor's text box and send button.
#[component]
pub fn Composer(
    /// Label, placeholder and button text in the visitor's language.
    strings: ComposerStrings,
    /// Called with the text when the visitor sends something other than blanks.
    #[prop(into)]
    on_send: Callback<String>,
    /// Lets the parent move focus into the text box.
    #[prop(optional)]
    input_ref: NodeRef<Textarea>,
    /// Called on every keystroke that changes the text (for "typing…").
    #[prop(optional, into)]
    on_typing: Option<Callback<()>>,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let send = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            on_send.run(text);
            draft.set(String::new());
        }
    };
    view! {
        <form
            class="ito-composer"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <textarea
                class="ito-composer__input"
                rows="2"
                maxlength=MAX_MESSAGE_CHARS
                aria-label=strings.label
                placeholder=strings.placeholder
                node_ref=input_ref
                prop:value=move || draft.get()
                on:input=move |ev| {
                    draft.set(event_target_value(&ev));
                    if let Some(on_typing) = on_typing {
                        on_typing.run(());
                    }
                }
                on:keydown=move |ev| {
                    if is_send_key(&ev) {
                        ev.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <button type="submit" class="ito-composer__send">{strings.send}</button>
        </form>
    }
}

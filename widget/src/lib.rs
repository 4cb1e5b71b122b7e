//! The visitor widget: the chat panel that lives in the iframe the loader (`loader/ito.js`)
//! puts on the host page. Leptos, client-side rendered, compiled to wasm by Trunk.
//!
//! - [`embed`]: where we are embedded (site, host origin, language) and the `postMessage` link to the loader.
//! - [`i18n`]: the visible strings, from `locales/*.json`, keyed by component.
//! - [`thread`]: the conversation as plain data, without any view.
//! - [`components`]: the views, one folder each with its own CSS.

pub mod components;
pub mod embed;
pub mod i18n;
pub mod thread;

use ito_protocol::embed::{HostToWidget, WidgetToHost};
use leptos::prelude::*;

use components::composer::Composer;
use components::message_list::MessageList;
use components::panel_header::PanelHeader;
use embed::EmbedContext;
use thread::Thread;

/// The whole panel: header, conversation and composer.
#[component]
pub fn App(
    /// Where the widget is embedded and which language it speaks.
    context: EmbedContext,
) -> impl IntoView {
    let strings = i18n::strings(context.locale);
    let thread = RwSignal::new(Thread::default());
    let composer_input = NodeRef::new();
    let host = context.host_link();

    let listener = host.clone().listen(move |frame| match frame {
        HostToWidget::Open => {
            if let Some(input) = composer_input.get_untracked() {
                let input: web_sys::HtmlTextAreaElement = input;
                let _ = input.focus();
            }
        }
    });
    on_cleanup(move || {
        if let Some(listener) = listener {
            listener.remove();
        }
    });

    let close = {
        let host = host.clone();
        Callback::new(move |()| host.post(WidgetToHost::Close))
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" {
            close.run(());
        }
    };

    view! {
        <div class="ito-panel" lang=context.locale.code() on:keydown=on_keydown>
            <PanelHeader strings=strings.panel.clone() on_close=close />
            <MessageList
                greeting=strings.panel.greeting.clone()
                lines=Signal::derive(move || thread.with(|t| t.lines().to_vec()))
                strings=strings.message_list
            />
            <Composer
                strings=strings.composer
                input_ref=composer_input
                on_send=move |text: String| thread.update(|t| { t.add_visitor_message(&text); })
            />
        </div>
    }
}

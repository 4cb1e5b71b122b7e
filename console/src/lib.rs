//! The agent console, served at `/console/`: sign in, the inbox, a conversation with its
//! context, replies, and presence; the dashboard, the knowledge editor and what the bot missed.
//!
//! - [`desk`]: the console's state as plain data; every server frame goes through it (tested).
//! - [`link`]: the agent's WebSocket shell around the desk: hello, resume, backoff.
//! - [`chart`]: the dashboard charts' scales, points and bars as plain numbers (tested).
//! - [`api`]: sign-in, sign-out, who am I, knowledge bases, gaps, figures and suggestions (same-origin JSON).
//! - [`canned`]: the reply box's `/` shortcuts: what is typed, what matches, the draft after (tested).
//! - [`editing`]: the knowledge editor's form, live check and try-it, as plain data (tested).
//! - [`device`]: a user agent read as "Chrome 131 on Windows" (tested).
//! - [`i18n`]: English and Japanese words from `locales/*.json`.
//! - [`notify`]: desktop notifications and a chime on a new handoff.
//! - [`keys`]: the keyboard shortcuts, as plain data (tested).
//! - [`components`]: one folder per component with its CSS.

pub mod api;
pub mod canned;
pub mod chart;
pub mod components;
pub mod desk;
pub mod device;
pub mod editing;
pub mod i18n;
pub mod keys;
pub mod link;
pub mod notify;

use leptos::prelude::*;

use api::Me;
use components::sign_in::SignIn;
use components::workspace::Workspace;

/// The whole console: the sign-in form until an agent is signed in, then their workspace.
#[component]
pub fn App() -> impl IntoView {
    i18n::init(&window().navigator().language().unwrap_or_default());
    let _ = document()
        .document_element()
        .map(|html| html.set_attribute("lang", i18n::t("lang")));
    let me = RwSignal::new(None::<Me>);
    let checked = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        me.set(api::me().await.ok().flatten());
        checked.set(true);
    });
    let on_signed_in = Callback::new(move |agent: Me| me.set(Some(agent)));
    let on_signed_out = Callback::new(move |()| me.set(None));
    view! {
        <Show when=move || checked.get()>
            {move || match me.get() {
                Some(agent) => view! { <Workspace me=agent on_signed_out=on_signed_out /> }.into_any(),
                None => view! { <SignIn on_signed_in=on_signed_in /> }.into_any(),
            }}
        </Show>
    }
}

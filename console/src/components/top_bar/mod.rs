use ito_protocol::chat::AgentToServer;
use leptos::prelude::*;

use super::workspace::Shared;
use crate::api::{self, Me};
use crate::i18n::t;
use crate::keys::Action;
use crate::notify;

/// Where the console remembers the agent's last presence choice.
const ONLINE_KEY: &str = "ito-console-online";

/// The bar across the top: who is signed in, online or away, the connection, sign out.
#[component]
pub fn TopBar(
    /// The agent signed in.
    me: Me,
    /// Whether the agent socket is open.
    connected: RwSignal<bool>,
    /// Called once the agent signed out.
    on_signed_out: Callback<()>,
    /// Whether they answer conversations (an editor does not: no connection or presence).
    at_desk: bool,
) -> impl IntoView {
    let shared: Shared = expect_context();
    let storage = window().local_storage().ok().flatten();
    let remembered = storage
        .as_ref()
        .and_then(|s| s.get_item(ONLINE_KEY).ok().flatten())
        .is_none_or(|v| v == "1");
    shared.desk.update(|d| d.online = remembered);
    let set_online = move |online: bool| {
        shared.desk.update(|d| d.online = online);
        shared.send(&AgentToServer::Status { online });
        if let Some(storage) = window().local_storage().ok().flatten() {
            let _ = storage.set_item(ONLINE_KEY, if online { "1" } else { "0" });
        }
        // Browsers only let a click ask for notifications.
        notify::ask_permission();
    };
    let online = move || shared.desk.with(|d| d.online);
    Effect::new(move |_| {
        if shared.requested.get() == Some(Action::ToggleOnline) {
            shared.requested.set(None);
            set_online(!online());
        }
    });
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::sign_out().await;
            on_signed_out.run(());
        });
    };
    view! {
        <header class="top-bar">
            <span class="top-bar__brand">"Ito"</span>
            {at_desk.then(|| view! {
                <span class="top-bar__connection" class:top-bar__connection--down=move || !connected.get()>
                    {move || if connected.get() { t("top.connected") } else { t("top.reconnecting") }}
                </span>
                <button
                    type="button"
                    class="top-bar__presence"
                    class:top-bar__presence--online=online
                    aria-pressed=move || online().to_string()
                    title=t("keys.toggle_online")
                    on:click=move |_| set_online(!online())
                >
                    {move || if online() { t("top.online") } else { t("top.away") }}
                </button>
            })}
            <span class="top-bar__me">{me.name}</span>
            <button type="button" class="top-bar__sign-out" on:click=sign_out>
                {t("top.sign_out")}
            </button>
        </header>
    }
}

//! The agent console, served at `/console/`.
//!
//! Today it is the shell the live handoff (issue 5) fills in: sign-in, inbox and the
//! conversation view with its context panel arrive with that work.

use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(Console);
}

#[component]
fn Console() -> impl IntoView {
    view! {
        <header class="console-header">
            <span class="console-header__brand">"Ito"</span>
            <span class="console-header__section">"Agent console"</span>
        </header>
        <main class="console-main">
            <h1>"Inbox"</h1>
            <p>"No conversations yet. Handed-off chats will appear here once live handoff is built."</p>
        </main>
    }
}

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::context_panel::ContextPanel;
use super::conversation::Conversation;
use super::dashboard::Dashboard;
use super::inbox::Inbox;
use super::knowledge::Knowledge;
use super::learning::Tab;
use super::settings::Settings;
use super::top_bar::TopBar;
use crate::api::Me;
use crate::desk::Desk;
use crate::i18n::t;
use crate::keys::{self, Action};
use crate::link::AgentLink;
use ito_protocol::chat::AgentToServer;

/// What the workspace's parts share, provided as context.
#[derive(Clone, Copy)]
pub struct Shared {
    pub desk: RwSignal<Desk>,
    pub link: StoredValue<AgentLink, LocalStorage>,
    /// The last problem the server reported.
    pub problem: RwSignal<Option<String>>,
    /// A shortcut asked for this: the conversation view acts on it.
    pub requested: RwSignal<Option<Action>>,
}

impl Shared {
    pub fn send(&self, frame: &AgentToServer) {
        self.link.with_value(|link| link.send(frame));
    }

    /// Shows a conversation: its context and events come from the server.
    pub fn open(&self, conversation: ito_protocol::chat::ConversationId) {
        let known = self
            .desk
            .with_untracked(|d| d.opened.contains_key(&conversation));
        self.desk
            .update(|d| d.selected = Some(conversation.clone()));
        if !known {
            self.send(&AgentToServer::Open { conversation });
        }
        self.link.with_value(AgentLink::send_read_receipt);
    }
}

/// The signed-in agent's screen: top bar, inbox, conversation, context.
#[component]
pub fn Workspace(
    /// The agent signed in.
    me: Me,
    /// Called once the agent signed out (or the session ended).
    on_signed_out: Callback<()>,
) -> impl IntoView {
    let desk = RwSignal::new(Desk::default());
    let connected = RwSignal::new(false);
    let problem = RwSignal::new(None);
    let signed_out = RwSignal::new(false);
    let link = StoredValue::new_local(AgentLink::new(desk, connected, problem, signed_out));
    let shared = Shared {
        desk,
        link,
        problem,
        requested: RwSignal::new(None),
    };
    provide_context(shared);
    // Editors write articles and never sit at the desk: no agent socket for them.
    let editor = me.role == "editor";
    if !editor {
        link.with_value(AgentLink::connect);
    }
    on_cleanup(move || link.with_value(AgentLink::close));
    Effect::new(move |_| {
        if signed_out.get() {
            on_signed_out.run(());
        }
    });

    let on_key = window_event_listener(leptos::ev::keydown, move |ev| {
        let Some(action) = keys::action(&ev.code(), ev.alt_key(), ev.ctrl_key() || ev.meta_key())
        else {
            return;
        };
        ev.prevent_default();
        match action {
            Action::Next | Action::Previous => {
                if let Some(id) = desk
                    .try_update(|d| d.step(action == Action::Next))
                    .flatten()
                {
                    shared.open(id);
                    focus_selected();
                }
            }
            Action::ToggleOnline => shared.requested.set(Some(action)),
            _ => shared.requested.set(Some(action)),
        }
    });
    on_cleanup(move || on_key.remove());
    // Coming back to the tab counts as reading what arrived meanwhile.
    let on_focus = window_event_listener(leptos::ev::focus, move |_| {
        link.with_value(AgentLink::send_read_receipt)
    });
    on_cleanup(move || on_focus.remove());

    let admin = me.role == "admin";
    let view = RwSignal::new(if editor {
        View::Knowledge
    } else {
        View::Conversations
    });
    let knowledge_tab = RwSignal::new(Tab::Articles);
    let article_figures = Callback::new(move |()| {
        knowledge_tab.set(Tab::Figures);
        view.set(View::Knowledge);
    });
    let open_from_dashboard = Callback::new(move |id| {
        view.set(View::Conversations);
        shared.desk.update(|d| d.filter = crate::desk::Filter::All);
        shared.open(id);
    });
    let choice = move |which: View, label: &'static str| {
        view! {
            <button type="button" aria-pressed=move || (view.get() == which).to_string() on:click=move |_| view.set(which)>
                {t(label)}
            </button>
        }
    };
    view! {
        <div
            class="workspace"
            class:workspace--dashboard=move || view.get() == View::Dashboard
            class:workspace--knowledge=move || view.get() == View::Knowledge
            class:workspace--settings=move || view.get() == View::Settings
        >
            <TopBar me=me connected=connected on_signed_out=on_signed_out at_desk=!editor />
            <p class="workspace__problem" role="alert">
                {move || problem.get()}
            </p>
            {admin.then(|| view! {
                <nav class="workspace__views" aria-label=t("views.label")>
                    {choice(View::Conversations, "views.conversations")}
                    {choice(View::Dashboard, "views.dashboard")}
                    {choice(View::Knowledge, "views.knowledge")}
                    {choice(View::Settings, "views.settings")}
                </nav>
            })}
            {move || match view.get() {
                View::Conversations => view! { <Inbox /> <Conversation /> <ContextPanel /> }.into_any(),
                View::Dashboard => view! { <Dashboard on_open=open_from_dashboard on_article_figures=article_figures /> }.into_any(),
                View::Knowledge => view! { <Knowledge tab=knowledge_tab /> }.into_any(),
                View::Settings => view! { <Settings /> }.into_any(),
            }}
        </div>
    }
}

/// What the workspace shows: agents have conversations, admins also the dashboard and the
/// knowledge editor, editors only the knowledge editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Conversations,
    Dashboard,
    Knowledge,
    /// A site's canned replies and labels (admins).
    Settings,
}

/// Moves focus to the selected inbox item, so the keyboard and screen readers follow.
fn focus_selected() {
    request_animation_frame(|| {
        if let Some(item) = document()
            .query_selector(".inbox__item[aria-current='true']")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = item.focus();
        }
    });
}

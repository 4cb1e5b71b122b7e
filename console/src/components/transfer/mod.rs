use ito_protocol::chat::{AgentToServer, ConversationId};
use leptos::prelude::*;

use super::workspace::Shared;
use crate::api;
use crate::i18n::{fill, t};

/// Handing the open conversation to a teammate (online or away, if they have room), with a
/// note only agents see; the visitor is told who takes over.
#[component]
pub fn Transfer(
    /// The conversation handed over.
    conversation: ConversationId,
    /// Called once the transfer is sent, or the agent cancels.
    on_close: Callback<()>,
) -> impl IntoView {
    let shared: Shared = expect_context();
    let me = shared.desk.with_untracked(|d| d.me.clone());
    let team = LocalResource::new(api::team);
    let to = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let conversation = StoredValue::new(conversation);
    let send = move || {
        let chosen = to.get_untracked();
        if chosen.is_empty() {
            return;
        }
        let note = note.get_untracked();
        shared.send(&AgentToServer::Transfer {
            conversation: conversation.get_value(),
            to: chosen,
            note: (!note.trim().is_empty()).then_some(note),
        });
        on_close.run(());
    };
    view! {
        <form
            class="transfer"
            aria-label=t("transfer.label")
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <label>
                {t("transfer.to")}
                <select on:change=move |ev| to.set(event_target_value(&ev)) prop:value=move || to.get()>
                    <option value="">{t("transfer.choose")}</option>
                    {move || {
                        let me = me.clone();
                        team.get()
                            .and_then(Result::ok)
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|a| Some(&a.id) != me.as_ref())
                            .map(|a| {
                                let state = if a.online { t("transfer.online") } else { t("transfer.away") };
                                let label = fill("transfer.teammate", "name", &a.name)
                                    .replace("{state}", state)
                                    .replace("{open}", &a.open.to_string())
                                    .replace("{capacity}", &a.capacity.to_string());
                                let full = a.open >= a.capacity;
                                view! { <option value=a.id.clone() disabled=full>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            <label>
                {t("transfer.note")}
                <textarea rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            </label>
            <div class="transfer__actions">
                <button type="submit" class="transfer__send" disabled=move || to.get().is_empty()>
                    {t("transfer.send")}
                </button>
                <button type="button" class="transfer__cancel" on:click=move |_| on_close.run(())>
                    {t("transfer.cancel")}
                </button>
            </div>
        </form>
    }
}

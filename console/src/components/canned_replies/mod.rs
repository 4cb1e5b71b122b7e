use leptos::prelude::*;

use super::knowledge::words;
use crate::api;
use crate::i18n::t;

/// A site's canned replies, for admins: each shortcut with its text, saved (a shortcut saved
/// again replaces its text) or deleted.
#[component]
pub fn CannedReplies(
    /// The site whose replies these are.
    site: Signal<String>,
) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let replies = LocalResource::new(move || {
        version.track();
        let site = site.get();
        async move { api::canned(&site).await }
    });
    let shortcut = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let said = RwSignal::new(None::<String>);
    let save = move || {
        let (s, k, v) = (
            site.get_untracked(),
            shortcut.get_untracked(),
            text.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match api::save_canned(&s, k.trim(), &v).await {
                Ok(()) => {
                    said.set(Some(t("canned.saved").to_owned()));
                    shortcut.set(String::new());
                    text.set(String::new());
                }
                Err(e) => said.set(Some(words(e))),
            }
            version.update(|v| *v += 1);
        });
    };
    let delete = move |k: String| {
        let s = site.get_untracked();
        leptos::task::spawn_local(async move {
            if let Err(e) = api::delete_canned(&s, &k).await {
                said.set(Some(words(e)));
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <section class="canned-replies" aria-labelledby="canned-title">
            <h2 id="canned-title" class="canned-replies__title">{t("canned.label")}</h2>
            <p class="canned-replies__hint">{t("canned.hint")}</p>
            <form class="canned-replies__form" on:submit=move |ev| { ev.prevent_default(); save(); }>
                <label>
                    {t("canned.shortcut")}
                    <input type="text" prop:value=move || shortcut.get() on:input=move |ev| shortcut.set(event_target_value(&ev)) />
                </label>
                <label class="canned-replies__text">
                    {t("canned.text")}
                    <textarea rows="3" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit" class="canned-replies__save">{t("canned.save")}</button>
            </form>
            <p class="canned-replies__note" role="status">{move || said.get()}</p>
            <ul class="canned-replies__list">
                {move || replies.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|c| {
                    let (edit_shortcut, edit_text, gone) = (c.shortcut.clone(), c.text.clone(), c.shortcut.clone());
                    view! {
                        <li>
                            <strong>"/"{c.shortcut.clone()}</strong>
                            <span>{c.text.clone()}</span>
                            <button type="button" on:click=move |_| { shortcut.set(edit_shortcut.clone()); text.set(edit_text.clone()); }>
                                {t("canned.edit")}
                            </button>
                            <button type="button" on:click=move |_| delete(gone.clone())>{t("canned.delete")}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

use leptos::prelude::*;

use super::canned_replies::CannedReplies;
use super::dashboard::site_select;
use super::knowledge::words;
use crate::api;
use crate::i18n::{fill, t};

/// A site's team settings, for admins: its canned replies and its labels.
#[component]
pub fn Settings() -> impl IntoView {
    let sites = LocalResource::new(api::sites);
    let site = RwSignal::new(String::new());
    Effect::new(move |_| {
        if site.get_untracked().is_empty()
            && let Some(Ok(all)) = sites.get()
            && let Some(first) = all.first()
        {
            site.set(first.id.clone());
        }
    });
    view! {
        <main class="settings" aria-labelledby="settings-title">
            <header class="settings__controls">
                <h1 id="settings-title" class="settings__title">{t("settings.title")}</h1>
                {site_select(sites, site)}
            </header>
            <Show when=move || !site.get().is_empty()>
                <CannedReplies site=Signal::from(site) />
                <Labels site=Signal::from(site) />
            </Show>
        </main>
    }
}

/// A site's labels, for admins: add one, take one off the list (conversations keep it).
#[component]
fn Labels(
    /// The site whose labels these are.
    site: Signal<String>,
) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let labels = LocalResource::new(move || {
        version.track();
        let site = site.get();
        async move { api::labels(&site).await }
    });
    let name = RwSignal::new(String::new());
    let said = RwSignal::new(None::<String>);
    let change = move |label: String, define: bool| {
        let s = site.get_untracked();
        leptos::task::spawn_local(async move {
            match api::define_label(&s, label.trim(), define).await {
                Ok(()) => {
                    said.set(None);
                    if define {
                        name.set(String::new());
                    }
                }
                Err(e) => said.set(Some(words(e))),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <section class="settings__labels" aria-labelledby="labels-title">
            <h2 id="labels-title" class="settings__subtitle">{t("labels.label")}</h2>
            <p class="settings__hint">{t("labels.hint")}</p>
            <form on:submit=move |ev| { ev.prevent_default(); change(name.get_untracked(), true); }>
                <label>
                    {t("labels.new")}
                    <input type="text" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="settings__save">{t("labels.define")}</button>
            </form>
            <p class="settings__note" role="status">{move || said.get()}</p>
            <ul class="settings__list">
                {move || labels.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|l| {
                    let gone = l.clone();
                    view! {
                        <li>
                            <span class="settings__tag">{l.clone()}</span>
                            <button type="button" aria-label=fill("labels.undefine", "label", &l) on:click=move |_| change(gone.clone(), false)>
                                {t("canned.delete")}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

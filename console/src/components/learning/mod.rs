use leptos::prelude::*;

use super::knowledge::words;
use crate::api;
use crate::i18n::{fill, t};

/// What the knowledge section shows besides the articles: what visitors asked that the bot
/// missed, what agents' answers suggest, and how each article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Articles,
    Suggestions,
    Gaps,
    Figures,
}

/// The content gaps over a range of days: missed questions grouped by topic, largest first,
/// each with "New article from this group".
#[component]
pub fn Gaps(
    /// The site whose base it is.
    site: Signal<String>,
    /// The base's language code.
    locale: Signal<String>,
    /// The first and last day shown (`YYYY-MM-DD`).
    days: Signal<(String, String)>,
    /// Starts a new article with the group's questions as its ways of asking.
    on_new_article: Callback<Vec<String>>,
) -> impl IntoView {
    let gaps = LocalResource::new(move || {
        let (site, locale, (from, to)) = (site.get(), locale.get(), days.get());
        async move { api::gaps(&site, &locale, &from, &to).await }
    });
    view! {
        <section class="learning" aria-labelledby="gaps-title">
            <h2 id="gaps-title" class="learning__title">{t("learning.gaps")}</h2>
            <p class="learning__hint">{t("learning.gaps_hint")}</p>
            {move || match gaps.get() {
                None => view! { <p class="learning__note">{t("knowledge.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="learning__note" role="alert">{words(e)}</p> }.into_any(),
                Some(Ok(found)) if found.groups.is_empty() => {
                    view! { <p class="learning__note">{t("learning.no_gaps")}</p> }.into_any()
                }
                Some(Ok(found)) => view! {
                    <p class="learning__note">{fill("learning.missed", "n", &found.questions.to_string())}</p>
                    <ol class="learning__gaps">
                        {found.groups.into_iter().map(|gap| {
                            let questions = gap.questions.clone();
                            view! {
                                <li class="learning__gap">
                                    <span class="learning__count">{gap.count}</span>
                                    <div class="learning__examples">
                                        <strong>{gap.examples.first().cloned().unwrap_or_default()}</strong>
                                        <ul>
                                            {gap.examples.into_iter().skip(1).map(|e| view! { <li>{e}</li> }).collect_view()}
                                        </ul>
                                        <span class="learning__why">
                                            {fill("learning.unsure", "n", &gap.unsure.to_string())}" · "
                                            {fill("learning.not_helpful", "n", &gap.not_helpful.to_string())}" · "
                                            {fill("learning.handed_off", "n", &gap.handed_off.to_string())}
                                        </span>
                                    </div>
                                    <button
                                        type="button"
                                        class="learning__action"
                                        on:click=move |_| on_new_article.run(questions.clone())
                                    >
                                        {t("learning.new_article")}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any(),
            }}
        </section>
    }
}

/// The suggestions agents' answers made, each to accept (the question becomes a way of asking
/// the article, published) or dismiss.
#[component]
pub fn Suggestions(
    /// The site whose base it is.
    site: Signal<String>,
    /// The base's language code.
    locale: Signal<String>,
    /// Called after an accepted suggestion changed the draft (and perhaps what visitors get).
    on_changed: Callback<()>,
) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let open = LocalResource::new(move || {
        version.track();
        let (site, locale) = (site.get(), locale.get());
        async move { api::suggestions(&site, &locale).await }
    });
    let said = RwSignal::new(None::<String>);
    let decide = move |id: String, accept: bool| {
        let (s, l) = (site.get_untracked(), locale.get_untracked());
        leptos::task::spawn_local(async move {
            match api::decide(&s, &l, &id, accept).await {
                Ok(published) => {
                    said.set(Some(
                        match (accept, published) {
                            (false, _) => t("learning.dismissed"),
                            (true, true) => t("learning.accepted_published"),
                            (true, false) => t("learning.accepted_draft"),
                        }
                        .to_owned(),
                    ));
                    if accept {
                        on_changed.run(());
                    }
                }
                Err(e) => said.set(Some(words(e))),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <section class="learning" aria-labelledby="suggestions-title">
            <h2 id="suggestions-title" class="learning__title">{t("learning.suggestions")}</h2>
            <p class="learning__note" role="status">{move || said.get()}</p>
            {move || match open.get() {
                None => view! { <p class="learning__note">{t("knowledge.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="learning__note" role="alert">{words(e)}</p> }.into_any(),
                Some(Ok(found)) if found.is_empty() => {
                    view! { <p class="learning__note">{t("learning.no_suggestions")}</p> }.into_any()
                }
                Some(Ok(found)) => view! {
                    <ul class="learning__suggestions">
                        {found.into_iter().map(|s| {
                            let (accept_id, dismiss_id) = (s.id.clone(), s.id.clone());
                            let title = s.title.clone().unwrap_or_else(|| s.article.clone());
                            view! {
                                <li class="learning__suggestion">
                                    <p>
                                        {t("learning.asked")}" "<q>{s.question.clone()}</q>"; "
                                        {fill("learning.answered_with", "agent", &s.agent)}" "<strong>{title}</strong>
                                    </p>
                                    <p class="learning__why">{t("learning.add_as_way")}</p>
                                    <button type="button" class="learning__action" on:click=move |_| decide(accept_id.clone(), true)>
                                        {t("learning.accept")}
                                    </button>
                                    <button type="button" class="learning__dismiss" on:click=move |_| decide(dismiss_id.clone(), false)>
                                        {t("learning.dismiss")}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

/// Each article's figures over a range of days: shown, helped, did not help, handoffs right
/// after it.
#[component]
pub fn ArticleFigures(
    /// The site whose base it is.
    site: Signal<String>,
    /// The base's language code.
    locale: Signal<String>,
    /// The first and last day shown (`YYYY-MM-DD`).
    days: Signal<(String, String)>,
) -> impl IntoView {
    let figures = LocalResource::new(move || {
        let (site, locale, (from, to)) = (site.get(), locale.get(), days.get());
        async move { api::article_figures(&site, &locale, &from, &to).await }
    });
    view! {
        <section class="learning" aria-labelledby="figures-title">
            <h2 id="figures-title" class="learning__title">{t("learning.figures")}</h2>
            {move || match figures.get() {
                None => view! { <p class="learning__note">{t("knowledge.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="learning__note" role="alert">{words(e)}</p> }.into_any(),
                Some(Ok(rows)) if rows.is_empty() => {
                    view! { <p class="learning__note">{t("learning.no_figures")}</p> }.into_any()
                }
                Some(Ok(rows)) => view! {
                    <table class="learning__table">
                        <thead>
                            <tr>
                                <th scope="col">{t("learning.article")}</th>
                                <th scope="col">{t("learning.shown")}</th>
                                <th scope="col">{t("learning.helped")}</th>
                                <th scope="col">{t("learning.not_helped_column")}</th>
                                <th scope="col">{t("learning.handoffs")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr>
                                    <th scope="row">
                                        {r.title.unwrap_or_else(|| fill("learning.deleted_article", "id", &r.id))}
                                    </th>
                                    <td>{r.shown}</td>
                                    <td>{r.helped}</td>
                                    <td>{r.not_helped}</td>
                                    <td>{r.handoffs}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

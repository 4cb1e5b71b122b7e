use ito_assistant::kb::Severity;
use ito_assistant::markdown::{self, Block, Inline};
use ito_assistant::{KnowledgeBase, Outcome};
use leptos::prelude::*;

use super::dashboard::{day, day_range, site_select};
use super::learning::{ArticleFigures, Gaps, Suggestions, Tab};
use crate::api::{self, ApiError, Draft, Version};
use crate::editing::{self, Form};
use crate::i18n::{fill, t};

/// The knowledge editor: a site's articles in one language, the chosen one's form with what
/// the check finds as it is typed, its preview and what the assistant would answer from the
/// draft, saving, deleting, its versions, and publishing the draft to visitors; and beside
/// the articles, what visitors asked that the bot missed, agents' suggestions and each
/// article's figures.
#[component]
pub fn Knowledge(
    /// Which part shows: the articles, the suggestions, the gaps or the figures.
    tab: RwSignal<Tab>,
) -> impl IntoView {
    let sites = LocalResource::new(api::sites);
    let site = RwSignal::new(String::new());
    let locale = RwSignal::new(String::new());
    Effect::new(move |_| {
        if site.get_untracked().is_empty()
            && let Some(Ok(all)) = sites.get()
            && let Some(first) = all.first()
        {
            locale.set(first.locales.first().cloned().unwrap_or_default());
            site.set(first.id.clone());
        }
    });
    let draft = RwSignal::new(None::<Draft>);
    let problem = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<&'static str>);
    let reload = move || {
        let (s, l) = (site.get_untracked(), locale.get_untracked());
        if s.is_empty() || l.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::draft(&s, &l).await {
                Ok(d) => draft.set(Some(d)),
                Err(e) => problem.set(Some(words(e))),
            }
        });
    };
    Effect::new(move |_| {
        site.track();
        locale.track();
        draft.set(None);
        reload();
    });
    let base = Memo::new(move |_| {
        draft.with(|d| {
            d.as_ref().map(|d| KnowledgeBase {
                locale: locale.get_untracked(),
                synonyms: d.synonyms.clone(),
                articles: d.articles.iter().map(|v| v.article.clone()).collect(),
            })
        })
    });
    let search = RwSignal::new(String::new());
    // The article open in the form: its id as saved (None: a new one) and its version.
    let chosen = RwSignal::new(None::<(Option<String>, i64)>);
    let form = RwSignal::new(Form::default());
    let open = move |id: Option<String>| {
        let found = id.as_ref().and_then(|id| {
            draft.with_untracked(|d| {
                d.as_ref()?
                    .articles
                    .iter()
                    .find(|v| &v.article.id == id)
                    .map(|v| (Form::from_article(&v.article), v.version))
            })
        });
        let (fields, version) = found.unwrap_or_default();
        form.set(fields);
        chosen.set(Some((id, version)));
        problem.set(None);
        notice.set(None);
    };
    let from = RwSignal::new(day(27.0));
    let to = RwSignal::new(day(0.0));
    let days = Signal::derive(move || (from.get(), to.get()));
    let new_from_group = Callback::new(move |questions: Vec<String>| {
        open(None);
        form.update(|f| *f = Form::from_questions(&questions));
        tab.set(Tab::Articles);
    });
    let article = Memo::new(move |_| form.with(Form::to_article));
    let findings = Memo::new(move |_| {
        base.with(|b| {
            b.as_ref()
                .map(|b| editing::findings(b, &article.get()))
                .unwrap_or_default()
        })
    });
    let save = move |_| {
        let Some((_, version)) = chosen.get_untracked() else {
            return;
        };
        let (s, l, a) = (
            site.get_untracked(),
            locale.get_untracked(),
            article.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match api::save_article(&s, &l, &a, version).await {
                Ok(saved) => {
                    chosen.set(Some((Some(a.id.clone()), saved)));
                    notice.set(Some(t("knowledge.saved")));
                    problem.set(None);
                    reload();
                }
                Err(e) => problem.set(Some(words(e))),
            }
        });
    };
    let delete = move |_| {
        let Some((Some(id), version)) = chosen.get_untracked() else {
            return;
        };
        let (s, l) = (site.get_untracked(), locale.get_untracked());
        leptos::task::spawn_local(async move {
            match api::delete_article(&s, &l, &id, version).await {
                Ok(_) => {
                    chosen.set(None);
                    notice.set(Some(t("knowledge.deleted")));
                    reload();
                }
                Err(e) => problem.set(Some(words(e))),
            }
        });
    };
    let publish = move |_| {
        let (s, l) = (site.get_untracked(), locale.get_untracked());
        leptos::task::spawn_local(async move {
            match api::publish(&s, &l).await {
                Ok(()) => {
                    notice.set(Some(t("knowledge.published")));
                    problem.set(None);
                    reload();
                }
                Err(e) => problem.set(Some(words(e))),
            }
        });
    };
    let try_question = RwSignal::new(String::new());
    let tried = Memo::new(move |_| {
        let question = try_question.get();
        if question.trim().is_empty() {
            return None;
        }
        base.with(|b| {
            b.as_ref()
                .map(|b| editing::try_it(b, &article.get(), &question))
        })
    });
    let history = RwSignal::new(None::<Vec<Version>>);
    let show_history = move |_| {
        let Some((Some(id), _)) = chosen.get_untracked() else {
            return;
        };
        let (s, l) = (site.get_untracked(), locale.get_untracked());
        leptos::task::spawn_local(async move {
            match api::history(&s, &l, &id).await {
                Ok(versions) => history.set(Some(versions)),
                Err(e) => problem.set(Some(words(e))),
            }
        });
    };
    let restore = move |version: i64| {
        let Some((Some(id), expected)) = chosen.get_untracked() else {
            return;
        };
        let (s, l) = (site.get_untracked(), locale.get_untracked());
        leptos::task::spawn_local(async move {
            match api::restore(&s, &l, &id, version, expected).await {
                Ok(_) => {
                    history.set(None);
                    notice.set(Some(t("knowledge.restored")));
                    // The form shows the restored text once the draft is read again.
                    if let Ok(d) = api::draft(&s, &l).await {
                        draft.set(Some(d));
                        open(Some(id));
                    }
                }
                Err(e) => problem.set(Some(words(e))),
            }
        });
    };
    Effect::new(move |_| {
        chosen.track();
        history.set(None);
    });

    let field = move |label: &'static str,
                      read: fn(&Form) -> String,
                      write: fn(&mut Form, String),
                      rows: u32| {
        view! {
            <label class="knowledge__field">
                <span>{t(label)}</span>
                <textarea
                    rows=rows
                    prop:value=move || form.with(read)
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        form.update(|f| write(f, value));
                    }
                ></textarea>
            </label>
        }
    };
    view! {
        <main class="knowledge" aria-labelledby="knowledge-title">
            <header class="knowledge__controls">
                <h1 id="knowledge-title" class="knowledge__title">{t("knowledge.title")}</h1>
                {site_select(sites, site)}
                <label>
                    {t("knowledge.language")}
                    <select on:change=move |ev| locale.set(event_target_value(&ev)) prop:value=move || locale.get()>
                        {move || {
                            let current = site.get();
                            sites.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                .find(|s| s.id == current)
                                .map(|s| s.locales)
                                .unwrap_or_default()
                                .into_iter()
                                .map(|l| view! { <option value=l.clone()>{l.clone()}</option> })
                                .collect_view()
                        }}
                    </select>
                </label>
                <span class="knowledge__state">
                    {move || draft.with(|d| match d {
                        None => t("knowledge.loading").to_owned(),
                        Some(d) if d.unpublished => fill("knowledge.unpublished", "n", &d.revision.to_string()),
                        Some(d) => fill("knowledge.live", "n", &d.revision.to_string()),
                    })}
                </span>
                <button
                    type="button"
                    class="knowledge__publish"
                    disabled=move || !draft.with(|d| d.as_ref().is_some_and(|d| d.unpublished))
                    on:click=publish
                >
                    {t("knowledge.publish")}
                </button>
            </header>
            <nav class="knowledge__tabs" aria-label=t("learning.parts")>
                {[
                    (Tab::Articles, "knowledge.articles"),
                    (Tab::Suggestions, "learning.suggestions"),
                    (Tab::Gaps, "learning.gaps"),
                    (Tab::Figures, "learning.figures"),
                ].into_iter().map(|(which, label)| view! {
                    <button type="button" aria-pressed=move || (tab.get() == which).to_string() on:click=move |_| tab.set(which)>
                        {t(label)}
                    </button>
                }).collect_view()}
                <Show when=move || matches!(tab.get(), Tab::Gaps | Tab::Figures)>
                    {day_range(from, to)}
                </Show>
            </nav>
            <p class="knowledge__problem" role="alert">{move || problem.get()}</p>
            <p class="knowledge__notice" role="status">{move || notice.get()}</p>
            {move || {
                let (site, locale) = (Signal::from(site), Signal::from(locale));
                match tab.get() {
                    Tab::Articles => None,
                    Tab::Suggestions => Some(view! {
                        <div class="knowledge__learning">
                            <Suggestions site=site locale=locale on_changed=Callback::new(move |()| reload()) />
                        </div>
                    }.into_any()),
                    Tab::Gaps => Some(view! {
                        <div class="knowledge__learning">
                            <Gaps site=site locale=locale days=days on_new_article=new_from_group />
                        </div>
                    }.into_any()),
                    Tab::Figures => Some(view! {
                        <div class="knowledge__learning">
                            <ArticleFigures site=site locale=locale days=days />
                        </div>
                    }.into_any()),
                }
            }}
            <Show when=move || tab.get() == Tab::Articles>
            <nav class="knowledge__list" aria-label=t("knowledge.articles")>
                <input
                    type="search"
                    class="knowledge__search"
                    placeholder=t("knowledge.search")
                    aria-label=t("knowledge.search")
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
                <button type="button" class="knowledge__new" on:click=move |_| open(None)>
                    {t("knowledge.new")}
                </button>
                <ul>
                    {move || base.with(|b| {
                        let Some(b) = b else { return Vec::new() };
                        let query = search.get();
                        editing::matching(b, &query)
                            .into_iter()
                            .map(|a| {
                                let id = a.id.clone();
                                let current = {
                                    let id = id.clone();
                                    move || chosen.with(|c| c.as_ref().and_then(|c| c.0.as_deref()) == Some(id.as_str()))
                                };
                                view! {
                                    <li>
                                        <button
                                            type="button"
                                            class="knowledge__item"
                                            aria-current=move || current().to_string()
                                            on:click=move |_| open(Some(id.clone()))
                                        >
                                            <strong>{a.title.clone()}</strong>
                                            <span>{a.id.clone()}</span>
                                        </button>
                                    </li>
                                }
                            })
                            .collect::<Vec<_>>()
                    })}
                </ul>
            </nav>
            <Show
                when=move || chosen.with(Option::is_some)
                fallback=|| view! { <p class="knowledge__hint">{t("knowledge.choose")}</p> }
            >
                <form class="knowledge__editor" on:submit=move |ev| ev.prevent_default()>
                    <label class="knowledge__field">
                        <span>{t("knowledge.id")}</span>
                        <input
                            type="text"
                            prop:value=move || form.with(|f| f.id.clone())
                            prop:readonly=move || chosen.with(|c| c.as_ref().is_some_and(|c| c.0.is_some()))
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                form.update(|f| f.id = value);
                            }
                        />
                    </label>
                    {field("knowledge.field_title", |f| f.title.clone(), |f, v| f.title = v, 1)}
                    {field("knowledge.questions", |f| f.questions.clone(), |f, v| f.questions = v, 4)}
                    {field("knowledge.answer", |f| f.answer.clone(), |f, v| f.answer = v, 10)}
                    {field("knowledge.links", |f| f.links.clone(), |f, v| f.links = v, 2)}
                    {field("knowledge.tags", |f| f.tags.clone(), |f, v| f.tags = v, 2)}
                    {field("knowledge.follow_up", |f| f.follow_up.clone(), |f, v| f.follow_up = v, 2)}
                    <ul class="knowledge__findings" aria-label=t("knowledge.findings")>
                        {move || findings.get().into_iter().map(|f| {
                            let error = f.severity == Severity::Error;
                            view! {
                                <li class="knowledge__finding" class:knowledge__finding--error=error>
                                    {if error { t("knowledge.error") } else { t("knowledge.warning") }}
                                    " "{f.message}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <div class="knowledge__actions">
                        <button
                            type="button"
                            class="knowledge__save"
                            disabled=move || editing::has_errors(&findings.get())
                            on:click=save
                        >
                            {t("knowledge.save")}
                        </button>
                        <button type="button" class="knowledge__history-open" on:click=show_history>
                            {t("knowledge.history")}
                        </button>
                        <button type="button" class="knowledge__delete" on:click=delete>
                            {t("knowledge.delete")}
                        </button>
                    </div>
                    {move || history.get().map(|versions| view! {
                        <ol class="knowledge__history" aria-label=t("knowledge.history")>
                            {versions.into_iter().map(|v| {
                                let who = v.saved_by.clone().unwrap_or_else(|| t("knowledge.imported").to_owned());
                                let restorable = v.article.is_some();
                                let version = v.version;
                                view! {
                                    <li>
                                        {fill("knowledge.version", "n", &v.version.to_string())}
                                        " · "{who}" · "{v.saved_at.clone()}
                                        {(!restorable).then(|| view! { " · "{t("knowledge.was_deleted")} })}
                                        {restorable.then(|| view! {
                                            <button type="button" on:click=move |_| restore(version)>
                                                {t("knowledge.restore")}
                                            </button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    })}
                </form>
                <aside class="knowledge__side">
                    <section class="knowledge__preview" aria-label=t("knowledge.preview")>
                        <h2>{t("knowledge.preview")}</h2>
                        <article>
                            <h3>{move || article.get().title}</h3>
                            {move || preview(&article.get().answer)}
                        </article>
                    </section>
                    <section class="knowledge__try" aria-label=t("knowledge.try")>
                        <h2>{t("knowledge.try")}</h2>
                        <input
                            type="search"
                            placeholder=t("knowledge.try_placeholder")
                            aria-label=t("knowledge.try_placeholder")
                            prop:value=move || try_question.get()
                            on:input=move |ev| try_question.set(event_target_value(&ev))
                        />
                        {move || tried.get().map(|reply| view! {
                            <p class="knowledge__outcome">{outcome_words(reply.outcome)}</p>
                            <ol class="knowledge__hits">
                                {reply.hits.into_iter().map(|h| view! {
                                    <li>{h.id}" "<span>{format!("{:.2}", h.score)}</span></li>
                                }).collect_view()}
                            </ol>
                        })}
                    </section>
                </aside>
            </Show>
            </Show>
        </main>
    }
}

/// What an API failure means to the person at the console.
pub(crate) fn words(e: ApiError) -> String {
    match e {
        ApiError::Unauthorized => t("knowledge.signed_out").to_owned(),
        ApiError::Refused(said) => said,
        ApiError::Failed(_) => t("knowledge.failed").to_owned(),
    }
}

fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Answer => t("knowledge.outcome_answer"),
        Outcome::Suggest => t("knowledge.outcome_suggest"),
        Outcome::Unsure => t("knowledge.outcome_unsure"),
        Outcome::Handoff => t("knowledge.outcome_handoff"),
    }
}

/// The answer drawn as the widget draws it: Markdown as elements and text, never HTML.
fn preview(answer: &str) -> Vec<AnyView> {
    markdown::parse(answer)
        .into_iter()
        .map(|block| match block {
            Block::Heading(inlines) => view! { <h4>{inline(inlines)}</h4> }.into_any(),
            Block::Paragraph(inlines) => view! { <p>{inline(inlines)}</p> }.into_any(),
            Block::List { ordered, items } => {
                let items: Vec<AnyView> = items
                    .into_iter()
                    .map(|item| view! { <li>{inline(item)}</li> }.into_any())
                    .collect();
                if ordered {
                    view! { <ol>{items}</ol> }.into_any()
                } else {
                    view! { <ul>{items}</ul> }.into_any()
                }
            }
        })
        .collect()
}

fn inline(inlines: Vec<Inline>) -> Vec<AnyView> {
    inlines
        .into_iter()
        .map(|i| match i {
            Inline::Text(text) => text.into_any(),
            Inline::Code(code) => view! { <code>{code}</code> }.into_any(),
            Inline::Strong(inner) => view! { <strong>{inline(inner)}</strong> }.into_any(),
            Inline::Emphasis(inner) => view! { <em>{inline(inner)}</em> }.into_any(),
            Inline::Link { url, content } => view! {
                <a href=url target="_blank" rel="noopener noreferrer">{inline(content)}</a>
            }
            .into_any(),
        })
        .collect()
}

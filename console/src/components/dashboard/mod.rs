use ito_protocol::metrics::{Figure, Measures, Report, Site};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::chart;
use crate::i18n::t;

/// Chart box, in SVG units.
const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 120.0;

/// The words for a figure in the console's language.
fn label(figure: Figure) -> &'static str {
    match figure {
        Figure::Conversations => t("figure.conversations"),
        Figure::Handoffs => t("figure.handoffs"),
        Figure::DeflectionRate => t("figure.deflection_rate"),
        Figure::HandoffRate => t("figure.handoff_rate"),
        Figure::FirstResponseMedian => t("figure.first_response_median"),
        Figure::FirstResponseP90 => t("figure.first_response_p90"),
        Figure::CsatAnswers => t("figure.csat_answers"),
        Figure::CsatSatisfied => t("figure.csat_satisfied"),
        Figure::CsatMean => t("figure.csat_mean"),
        Figure::CesAnswers => t("figure.ces_answers"),
        Figure::CesMean => t("figure.ces_mean"),
        Figure::Resolved => t("figure.resolved"),
        Figure::FirstContactResolution => t("figure.first_contact_resolution"),
        Figure::Abandonment => t("figure.abandonment"),
    }
}

/// `days` before today in the browser's calendar, as YYYY-MM-DD.
/// The site chooser of the dashboard, the knowledge section and the settings.
pub(crate) fn site_select(
    sites: LocalResource<Result<Vec<Site>, ApiError>>,
    site: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label>
            {t("dashboard.site")}
            <select on:change=move |ev| site.set(event_target_value(&ev)) prop:value=move || site.get()>
                {move || sites.get().and_then(Result::ok).unwrap_or_default().into_iter()
                    .map(|s| view! { <option value=s.id.clone()>{s.name}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

/// The "From" and "To" day inputs of a range (the dashboard's, the knowledge section's).
pub(crate) fn day_range(from: RwSignal<String>, to: RwSignal<String>) -> impl IntoView {
    view! {
        <label>
            {t("dashboard.from")}
            <input type="date" prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev)) />
        </label>
        <label>
            {t("dashboard.to")}
            <input type="date" prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev)) />
        </label>
    }
}

/// The day `days_ago` days before today, as `YYYY-MM-DD`.
pub(crate) fn day(days_ago: f64) -> String {
    let date = js_sys::Date::new(&(js_sys::Date::now() - days_ago * 86_400_000.0).into());
    format!(
        "{:04}-{:02}-{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date()
    )
}

/// A chart over time: its figure, how to read a day's value, and a fixed top if it has one.
type Chart = (Figure, fn(&Measures) -> Option<f64>, Option<f64>);

/// The measures over time the dashboard draws.
const CHARTS: [Chart; 5] = [
    (
        Figure::Conversations,
        |m| Some(f64::from(m.conversations)),
        None,
    ),
    (
        Figure::DeflectionRate,
        |m| m.deflection_rate.map(|r| r * 100.0),
        Some(100.0),
    ),
    (
        Figure::FirstResponseMedian,
        |m| m.first_response_median_secs.map(|s| s / 60.0),
        None,
    ),
    (Figure::CsatMean, |m| m.csat_mean, Some(5.0)),
    (Figure::CesMean, |m| m.ces_mean, Some(7.0)),
];

/// A site owner's figures for a range of days: cards, charts over time, score distributions,
/// the newest comments, and the same figures as CSV.
#[component]
pub fn Dashboard(
    /// Called with a conversation to open it in the conversations view.
    on_open: Callback<ito_protocol::chat::ConversationId>,
    /// Shows each article's figures (in the knowledge section).
    on_article_figures: Callback<()>,
) -> impl IntoView {
    let sites = LocalResource::new(api::sites);
    let site = RwSignal::new(String::new());
    let from = RwSignal::new(day(27.0));
    let to = RwSignal::new(day(0.0));
    Effect::new(move |_| {
        if site.get_untracked().is_empty()
            && let Some(Ok(first)) = sites.get().map(|s| s.map(|s| s.first().cloned()))
            && let Some(first) = first
        {
            site.set(first.id);
        }
    });
    // Every conversation, or only those with one of the site's labels.
    let label = RwSignal::new(String::new());
    let labels = LocalResource::new(move || {
        let site = site.get();
        async move {
            if site.is_empty() {
                return Vec::new();
            }
            api::labels(&site).await.unwrap_or_default()
        }
    });
    let report = LocalResource::new(move || {
        let (site, from, to, label) = (site.get(), from.get(), to.get(), label.get());
        async move {
            if site.is_empty() {
                return None;
            }
            Some(
                api::metrics(&site, &from, &to, &label)
                    .await
                    .map_err(|_| ()),
            )
        }
    });
    let csv = move || api::metrics_path(&site.get(), &from.get(), &to.get(), &label.get(), true);
    view! {
        <main class="dashboard" aria-labelledby="dashboard-title">
            <header class="dashboard__controls">
                <h1 id="dashboard-title" class="dashboard__title">{t("dashboard.title")}</h1>
                {site_select(sites, site)}
                {day_range(from, to)}
                <label>
                    {t("dashboard.label")}
                    <select on:change=move |ev| label.set(event_target_value(&ev)) prop:value=move || label.get()>
                        <option value="">{t("dashboard.every_label")}</option>
                        {move || labels.get().unwrap_or_default().into_iter()
                            .map(|l| view! { <option value=l.clone()>{l.clone()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <a class="dashboard__csv" href=csv download="ito-measures.csv">{t("dashboard.csv")}</a>
                <button type="button" class="dashboard__articles" on:click=move |_| on_article_figures.run(())>
                    {t("dashboard.article_figures")}
                </button>
            </header>
            {move || match report.get() {
                None | Some(None) => view! { <p class="dashboard__note">{t("dashboard.loading")}</p> }.into_any(),
                Some(Some(Err(()))) => view! { <p class="dashboard__note" role="alert">{t("dashboard.failed")}</p> }.into_any(),
                Some(Some(Ok(report))) => view! { <Figures report=report on_open=on_open /> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn Figures(
    /// The site's measures for the chosen days.
    report: Report,
    /// Opens a commented conversation.
    on_open: Callback<ito_protocol::chat::ConversationId>,
) -> impl IntoView {
    let cards = report
        .measures
        .figures()
        .into_iter()
        .map(|(figure, value)| {
            view! {
                <div class="dashboard__card">
                    <dt>{label(figure)}</dt>
                    <dd>{if value == ito_protocol::metrics::NO_DATA { t("dashboard.no_data").to_owned() } else { value }}</dd>
                </div>
            }
        })
        .collect_view();
    let dates: Vec<String> = report.daily.iter().map(|d| d.date.clone()).collect();
    let charts = CHARTS
        .iter()
        .map(|(figure, read, top)| {
            let values: Vec<Option<f64>> = report.daily.iter().map(|d| read(&d.measures)).collect();
            let highest = values.iter().flatten().copied().fold(0.0, f64::max);
            let scale = top.map_or_else(|| chart::scale(highest), chart::scale_to);
            line_chart(label(*figure), &values, scale, &dates)
        })
        .collect_view();
    view! {
        <dl class="dashboard__cards">{cards}</dl>
        <section class="dashboard__charts" aria-label=t("dashboard.over_time")>{charts}</section>
        <section class="dashboard__charts" aria-label=t("dashboard.scores")>
            {bar_chart(t("dashboard.csat_scores"), &report.csat_scores)}
            {bar_chart(t("dashboard.ces_scores"), &report.ces_scores)}
        </section>
        <section class="dashboard__comments">
            <h2>{t("dashboard.comments")}</h2>
            {if report.comments.is_empty() {
                view! { <p class="dashboard__note">{t("dashboard.no_comments")}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {report
                            .comments
                            .into_iter()
                            .map(|c| {
                                let id: Option<ito_protocol::chat::ConversationId> = c.conversation.parse().ok();
                                let scores = format!(
                                    "CSAT {} · CES {} · {}",
                                    c.csat.map_or("–".into(), |s| s.to_string()),
                                    c.ces.map_or("–".into(), |s| s.to_string()),
                                    c.answered_at.get(..10).unwrap_or_default()
                                );
                                view! {
                                    <li>
                                        <q>{c.comment}</q>
                                        <span class="dashboard__scores">{scores}</span>
                                        {id.map(|id| view! {
                                            <button type="button" on:click=move |_| on_open.run(id.clone())>
                                                {t("dashboard.open")}
                                            </button>
                                        })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

/// A line over the days, with a labelled y axis and the first and last dates.
fn line_chart(
    title: &'static str,
    values: &[Option<f64>],
    scale: chart::Scale,
    dates: &[String],
) -> impl IntoView + use<> {
    let line = chart::points(values, WIDTH, HEIGHT, scale.max)
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let grid = scale
        .ticks
        .iter()
        .map(|tick| {
            let y = HEIGHT - tick / scale.max * HEIGHT;
            view! {
                <line class="dashboard__grid" x1="0" x2=WIDTH y1=y y2=y />
                <text class="dashboard__tick" x="-6" y=y + 4.0 text-anchor="end">{format!("{tick}")}</text>
            }
        })
        .collect_view();
    let (first, last) = (
        dates.first().cloned().unwrap_or_default(),
        dates.last().cloned().unwrap_or_default(),
    );
    view! {
        <figure class="dashboard__chart">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("-40 -10 {} {}", WIDTH + 50.0, HEIGHT + 34.0) role="img" aria-label=title>
                {grid}
                <polyline class="dashboard__line" points=line />
                <text class="dashboard__tick" x="0" y=HEIGHT + 18.0>{first}</text>
                <text class="dashboard__tick" x=WIDTH y=HEIGHT + 18.0 text-anchor="end">{last}</text>
            </svg>
        </figure>
    }
}

/// How many answers gave each score, one labelled bar per score.
fn bar_chart(title: &'static str, counts: &[u32]) -> impl IntoView + use<> {
    let highest = counts.iter().copied().max().unwrap_or(0);
    let scale = chart::scale(f64::from(highest));
    let bars = chart::bars(counts, WIDTH, HEIGHT, scale.max)
        .into_iter()
        .zip(counts)
        .enumerate()
        .map(|(i, ((x, y, w, h), count))| {
            view! {
                <rect class="dashboard__bar" x=x y=y width=w height=h />
                <text class="dashboard__tick" x=x + w / 2.0 y=y - 4.0 text-anchor="middle">{count.to_string()}</text>
                <text class="dashboard__tick" x=x + w / 2.0 y=HEIGHT + 16.0 text-anchor="middle">{(i + 1).to_string()}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="dashboard__chart">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("-10 -16 {} {}", WIDTH + 20.0, HEIGHT + 38.0) role="img" aria-label=title>
                <line class="dashboard__grid" x1="0" x2=WIDTH y1=HEIGHT y2=HEIGHT />
                {bars}
            </svg>
        </figure>
    }
}

//! What the site owner learns from, under `/api/v1/sites/{site}/kb/{locale}`, for admins and
//! editors: the content gaps (`GET gaps?from=&to=`: the questions the bot did not handle,
//! grouped by topic, largest first), each article's figures (`GET figures?from=&to=`), and
//! the suggestions agents' answers made (`GET suggestions`; `POST suggestions/{id}/accept`
//! adds the question to the article and publishes, unless the draft holds other unpublished
//! changes; `POST suggestions/{id}/dismiss`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use ito_assistant::{Article, KnowledgeBase, gaps};
use serde::{Deserialize, Serialize};

use super::HttpError;
use super::knowledge::{no_new_mistakes, publish_now, refused, writer};
use super::session::same_origin_json;
use crate::reports::report::Days;
use crate::state::AppState;
use crate::store::agents::Agent;
use crate::store::knowledge::{self, BaseKey};
use crate::store::learning::{self, Miss, Outcome, Suggestion};
use crate::store::time_text;

/// The most missed questions one gaps view groups (the newest): grouping is quadratic in the
/// worst case, and a view of more is not read.
const MAX_MISSES: i64 = 2_000;
/// Distinct questions a group carries for "new article from this group".
const GROUP_QUESTIONS: usize = 20;

#[derive(Deserialize)]
pub struct Range {
    from: String,
    to: String,
}

#[derive(Serialize)]
pub struct GapsView {
    /// Missed questions in the range (at most the newest 2,000 are grouped).
    questions: usize,
    groups: Vec<GapGroup>,
}

#[derive(Serialize)]
struct GapGroup {
    count: usize,
    examples: Vec<String>,
    /// Its distinct questions, for a new article's ways of asking.
    questions: Vec<String>,
    /// How the bot failed them.
    unsure: usize,
    not_helpful: usize,
    handed_off: usize,
    latest: String,
}

#[derive(Serialize)]
pub struct FiguresView {
    articles: Vec<FiguresRow>,
}

#[derive(Serialize)]
struct FiguresRow {
    id: String,
    /// The draft's title; `null` for an article deleted since.
    title: Option<String>,
    shown: i64,
    helped: i64,
    not_helped: i64,
    handoffs: i64,
}

#[derive(Serialize)]
pub struct SuggestionsView {
    suggestions: Vec<SuggestionView>,
}

#[derive(Serialize)]
struct SuggestionView {
    id: String,
    question: String,
    article: String,
    /// The draft's title; `null` when the article was deleted since (dismiss it).
    title: Option<String>,
    agent: String,
    conversation: String,
    created_at: String,
}

#[derive(Serialize)]
pub struct Decided {
    /// Whether the base visitors get now has the question (else it waits in the draft).
    published: bool,
}

pub async fn gaps(
    State(state): State<AppState>,
    Path((site, locale)): Path<(String, String)>,
    Query(range): Query<Range>,
    headers: HeaderMap,
) -> Result<Json<GapsView>, HttpError> {
    let (_, key) = writer(&state, &headers, &site, &locale).await?;
    let range = stored_range(&state, key, &range)?;
    let misses = learning::misses(&state.db, key, (&range.0, &range.1), MAX_MISSES)
        .await
        .map_err(HttpError::internal)?;
    let base = draft_base(&state, key).await?;
    Ok(Json(GapsView {
        questions: misses.len(),
        groups: grouped(&misses, &base),
    }))
}

/// `misses` by topic, against the words `base` already uses.
fn grouped(misses: &[Miss], base: &KnowledgeBase) -> Vec<GapGroup> {
    let background: Vec<&str> = base
        .articles
        .iter()
        .flat_map(|a| {
            std::iter::once(a.title.as_str()).chain(a.questions.iter().map(String::as_str))
        })
        .collect();
    let questions: Vec<&str> = misses.iter().map(|m| m.question.as_str()).collect();
    gaps::group(&questions, &background)
        .into_iter()
        .map(|group| {
            let members: Vec<&Miss> = group.members.iter().map(|&i| &misses[i]).collect();
            let mut distinct: Vec<String> = Vec::new();
            for miss in &members {
                let seen = distinct
                    .iter()
                    .any(|q| q.to_lowercase() == miss.question.to_lowercase());
                if !seen && distinct.len() < GROUP_QUESTIONS {
                    distinct.push(miss.question.clone());
                }
            }
            GapGroup {
                count: group.count(),
                unsure: members
                    .iter()
                    .filter(|m| m.outcome == Outcome::Unsure)
                    .count(),
                not_helpful: members.iter().filter(|m| m.helpful == Some(false)).count(),
                handed_off: members.iter().filter(|m| m.handed_off).count(),
                latest: members
                    .iter()
                    .map(|m| m.at.clone())
                    .max()
                    .unwrap_or_default(),
                examples: group.examples,
                questions: distinct,
            }
        })
        .collect()
}

pub async fn figures(
    State(state): State<AppState>,
    Path((site, locale)): Path<(String, String)>,
    Query(range): Query<Range>,
    headers: HeaderMap,
) -> Result<Json<FiguresView>, HttpError> {
    let (_, key) = writer(&state, &headers, &site, &locale).await?;
    let range = stored_range(&state, key, &range)?;
    let figures = learning::article_figures(&state.db, key, (&range.0, &range.1))
        .await
        .map_err(HttpError::internal)?;
    let base = draft_base(&state, key).await?;
    let articles = figures
        .into_iter()
        .map(|f| FiguresRow {
            title: title_in(&base, &f.article),
            id: f.article,
            shown: f.shown,
            helped: f.helped,
            not_helped: f.not_helped,
            handoffs: f.handoffs,
        })
        .collect();
    Ok(Json(FiguresView { articles }))
}

pub async fn suggestions(
    State(state): State<AppState>,
    Path((site, locale)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<SuggestionsView>, HttpError> {
    let (_, key) = writer(&state, &headers, &site, &locale).await?;
    let open = learning::open_suggestions(&state.db, key)
        .await
        .map_err(HttpError::internal)?;
    let base = draft_base(&state, key).await?;
    let suggestions = open
        .into_iter()
        .map(|s| SuggestionView {
            title: title_in(&base, &s.article),
            id: s.id,
            question: s.question,
            article: s.article,
            agent: s.agent,
            conversation: s.conversation,
            created_at: s.created_at,
        })
        .collect();
    Ok(Json(SuggestionsView { suggestions }))
}

/// Adds the suggestion's question to its article as a way of asking it (once), and publishes
/// when the draft had nothing else unpublished; otherwise the question waits in the draft, so
/// accepting never publishes someone's unfinished edit.
pub async fn accept(
    State(state): State<AppState>,
    Path((site, locale, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Json<Decided>, HttpError> {
    same_origin_json(&state.config.server, &headers)?;
    let (agent, key) = writer(&state, &headers, &site, &locale).await?;
    let suggestion = open_one(&state, key, &id).await?;
    let draft = knowledge::draft(&state.db, key).await.map_err(refused)?;
    let article = draft
        .base
        .articles
        .iter()
        .find(|a| a.id == suggestion.article)
        .cloned()
        .ok_or_else(|| {
            HttpError::BadRequest(format!(
                "article {:?} is no longer in the draft: dismiss the suggestion",
                suggestion.article
            ))
        })?;
    let was_published = !draft.unpublished();
    let learned = asked_as(&article, &suggestion.question);
    if let Some(learned) = &learned {
        no_new_mistakes(
            &draft.base,
            &draft.base.clone().with_article(learned.clone()),
        )?;
    }
    // Decided first, so of two editors deciding at once only one changes the article; a
    // save that fails leaves the suggestion open again.
    decide(&state, key, &id, true, &agent).await?;
    if let Some(learned) = learned {
        let version = draft.versions[&article.id];
        if let Err(e) = knowledge::save(&state.db, key, &learned, version, Some(&agent.id)).await {
            learning::undecide(&state.db, key.site, &id)
                .await
                .map_err(HttpError::internal)?;
            return Err(refused(e));
        }
    }
    if was_published {
        publish_now(&state, key, &agent).await?;
    }
    Ok(Json(Decided {
        published: was_published,
    }))
}

pub async fn dismiss(
    State(state): State<AppState>,
    Path((site, locale, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Json<Decided>, HttpError> {
    same_origin_json(&state.config.server, &headers)?;
    let (agent, key) = writer(&state, &headers, &site, &locale).await?;
    open_one(&state, key, &id).await?;
    decide(&state, key, &id, false, &agent).await?;
    Ok(Json(Decided { published: false }))
}

/// Open suggestion `id` of `key`'s base.
async fn open_one(state: &AppState, key: BaseKey<'_>, id: &str) -> Result<Suggestion, HttpError> {
    learning::open_suggestion(&state.db, key.site, id)
        .await
        .map_err(HttpError::internal)?
        .filter(|s| s.locale == key.locale)
        .ok_or(HttpError::NotFound("no such open suggestion"))
}

/// Decides on suggestion `id` as `agent`, or says someone did meanwhile.
async fn decide(
    state: &AppState,
    key: BaseKey<'_>,
    id: &str,
    accept: bool,
    agent: &Agent,
) -> Result<(), HttpError> {
    if learning::decide(&state.db, key.site, id, accept, &agent.id)
        .await
        .map_err(HttpError::internal)?
    {
        Ok(())
    } else {
        Err(HttpError::Conflict(
            "someone decided on this suggestion meanwhile".into(),
        ))
    }
}

/// `article` with `question` as one more way of asking it, or `None` if it already has it
/// (as its title or a question, ignoring case and spacing).
fn asked_as(article: &Article, question: &str) -> Option<Article> {
    let plain = |text: &str| {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let wanted = plain(question);
    let known = std::iter::once(&article.title)
        .chain(&article.questions)
        .any(|q| plain(q) == wanted);
    (!known).then(|| {
        let mut learned = article.clone();
        learned.questions.push(question.trim().to_owned());
        learned
    })
}

/// The range's days in the site's time zone as stored time texts, `to` excluded.
fn stored_range(
    state: &AppState,
    key: BaseKey<'_>,
    range: &Range,
) -> Result<(String, String), HttpError> {
    let site = state.config.site(key.site).ok_or(HttpError::UnknownSite)?;
    let (from, to) = Days::parse(&range.from, &range.to)
        .and_then(|days| days.millis(&site.time_zone))
        .map_err(|e| HttpError::BadRequest(e.to_string()))?;
    Ok((time_text(from), time_text(to)))
}

async fn draft_base(state: &AppState, key: BaseKey<'_>) -> Result<KnowledgeBase, HttpError> {
    Ok(knowledge::draft(&state.db, key)
        .await
        .map_err(refused)?
        .base)
}

fn title_in(base: &KnowledgeBase, id: &str) -> Option<String> {
    base.articles
        .iter()
        .find(|a| a.id == id)
        .map(|a| a.title.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_is_learned_once() {
        let article = Article {
            id: "payment-methods".into(),
            title: "Ways to pay".into(),
            questions: vec!["Can I pay by card?".into()],
            answer: "Cards and bank transfer.".into(),
            tags: Vec::new(),
            links: Vec::new(),
            follow_up: Vec::new(),
        };
        let learned = asked_as(&article, " can I pay with  bitcoin ").expect("a new way of asking");
        assert_eq!(
            learned.questions,
            ["Can I pay by card?", "can I pay with  bitcoin"]
        );
        assert_eq!(asked_as(&learned, "Can I pay with bitcoin"), None);
        assert_eq!(asked_as(&article, "ways to PAY"), None);
    }
}

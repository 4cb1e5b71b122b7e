//! The console's knowledge-base editor, for admins and editors, under
//! `/api/v1/sites/{site}/kb/{locale}`: the draft (`GET`), an article saved (`PUT
//! articles/{id}` with the version it started from), deleted (`DELETE`), its versions
//! (`GET articles/{id}/history`) and an earlier one restored (`POST articles/{id}/restore`),
//! and the draft published (`POST publish`), which visitors get at once. A change that would
//! add a mistake `ito assistant check` finds is refused in words, as is publishing a draft
//! with any; a save over someone else's newer version is a 409.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use ito_assistant::kb::{Finding, Severity, lint};
use ito_assistant::{Article, KnowledgeBase};
use ito_protocol::Locale;
use serde::{Deserialize, Serialize};

use super::HttpError;
use super::session::{current_agent, same_origin_json};
use crate::state::AppState;
use crate::store::agents::{Agent, Role};
use crate::store::knowledge::{self, ArticleVersion, BaseKey, KnowledgeStoreError};

#[derive(Serialize)]
pub struct DraftView {
    revision: i64,
    published_revision: Option<i64>,
    /// Whether something saved is not yet what visitors get.
    unpublished: bool,
    synonyms: Vec<Vec<String>>,
    articles: Vec<Versioned>,
    /// What `ito assistant check` finds in the draft.
    findings: Vec<Finding>,
}

#[derive(Serialize)]
struct Versioned {
    version: i64,
    article: Article,
}

#[derive(Deserialize)]
pub struct Save {
    /// The version the editor started from: 0 for a new article.
    version: i64,
    article: Article,
}

#[derive(Deserialize)]
pub struct Expected {
    version: i64,
}

#[derive(Deserialize)]
pub struct Restore {
    /// The version whose content comes back.
    version: i64,
    /// The article's newest version, as the editor saw it.
    expected: i64,
}

#[derive(Serialize)]
pub struct Saved {
    version: i64,
}

#[derive(Serialize)]
pub struct Published {
    revision: i64,
    /// The ETag browsers now revalidate against.
    etag: String,
}

#[derive(Serialize)]
pub struct HistoryView {
    versions: Vec<VersionView>,
}

#[derive(Serialize)]
struct VersionView {
    version: i64,
    /// `null`: this version deleted the article.
    article: Option<Article>,
    /// The name of who saved it; `null` for an import from the command line.
    saved_by: Option<String>,
    saved_at: String,
}

pub async fn draft(
    State(state): State<AppState>,
    Path((site, locale)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<DraftView>, HttpError> {
    let (_, key) = writer(&state, &headers, &site, &locale).await?;
    let draft = knowledge::draft(&state.db, key).await.map_err(refused)?;
    let findings = lint(&draft.base);
    let unpublished = draft.unpublished();
    let articles = draft
        .base
        .articles
        .into_iter()
        .map(|article| Versioned {
            version: draft.versions[&article.id],
            article,
        })
        .collect();
    Ok(Json(DraftView {
        revision: draft.revision,
        published_revision: draft.published_revision,
        unpublished,
        synonyms: draft.base.synonyms,
        articles,
        findings,
    }))
}

pub async fn save(
    State(state): State<AppState>,
    Path((site, locale, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(save): Json<Save>,
) -> Result<Json<Saved>, HttpError> {
    same_origin_json(&state.config.server, &headers)?;
    let (agent, key) = writer(&state, &headers, &site, &locale).await?;
    if save.article.id != id {
        return Err(HttpError::BadRequest(format!(
            "the article's id {:?} is not the {id:?} of its address",
            save.article.id
        )));
    }
    let mut article = save.article;
    article.answer = article.answer.trim().to_owned();
    let before = current(&state, key).await?;
    no_new_mistakes(&before, &before.clone().with_article(article.clone()))?;
    let version = knowledge::save(&state.db, key, &article, save.version, Some(&agent.id))
        .await
        .map_err(refused)?;
    Ok(Json(Saved { version }))
}

pub async fn delete(
    State(state): State<AppState>,
    Path((site, locale, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(expected): Json<Expected>,
) -> Result<Json<Saved>, HttpError> {
    same_origin_json(&state.config.server, &headers)?;
    let (agent, key) = writer(&state, &headers, &site, &locale).await?;
    let before = current(&state, key).await?;
    let mut after = before.clone();
    after.articles.retain(|a| a.id != id);
    if after.articles.is_empty() {
        return Err(HttpError::BadRequest(
            "a knowledge base keeps at least one article".into(),
        ));
    }
    no_new_mistakes(&before, &after)?;
    let version = knowledge::delete(&state.db, key, &id, expected.version, Some(&agent.id))
        .await
        .map_err(refused)?;
    Ok(Json(Saved { version }))
}

pub async fn history(
    State(state): State<AppState>,
    Path((site, locale, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Json<HistoryView>, HttpError> {
    let (_, key) = writer(&state, &headers, &site, &locale).await?;
    let versions = knowledge::history(&state.db, key, &id)
        .await
        .map_err(refused)?;
    if versions.is_empty() {
        return Err(HttpError::NotFound("no such article"));
    }
    let mut views = Vec::with_capacity(versions.len());
    for ArticleVersion {
        version,
        article,
        saved_by,
        saved_at,
        ..
    } in versions
    {
        let saved_by = match saved_by {
            Some(agent) => crate::store::agents::name_of(&state.db, &agent)
                .await
                .map_err(HttpError::internal)?,
            None => None,
        };
        views.push(VersionView {
            version,
            article,
            saved_by,
            saved_at,
        });
    }
    Ok(Json(HistoryView { versions: views }))
}

pub async fn restore(
    State(state): State<AppState>,
    Path((site, locale, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(restore): Json<Restore>,
) -> Result<Json<Saved>, HttpError> {
    same_origin_json(&state.config.server, &headers)?;
    let (agent, key) = writer(&state, &headers, &site, &locale).await?;
    let old = knowledge::history(&state.db, key, &id)
        .await
        .map_err(refused)?
        .into_iter()
        .find(|v| v.version == restore.version)
        .and_then(|v| v.article)
        .ok_or_else(|| {
            HttpError::BadRequest(format!(
                "article {id:?} has no version {} with content",
                restore.version
            ))
        })?;
    let before = current(&state, key).await?;
    no_new_mistakes(&before, &before.clone().with_article(old))?;
    let version = knowledge::restore(
        &state.db,
        key,
        &id,
        restore.version,
        restore.expected,
        Some(&agent.id),
    )
    .await
    .map_err(refused)?;
    Ok(Json(Saved { version }))
}

pub async fn publish(
    State(state): State<AppState>,
    Path((site, locale)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Published>, HttpError> {
    same_origin_json(&state.config.server, &headers)?;
    let (agent, key) = writer(&state, &headers, &site, &locale).await?;
    let draft = current(&state, key).await?;
    let errors = errors_of(&draft);
    if !errors.is_empty() {
        return Err(HttpError::BadRequest(format!(
            "the draft cannot be published: {}",
            errors.join("; ")
        )));
    }
    let (revision, etag) = publish_now(&state, key, &agent).await?;
    Ok(Json(Published { revision, etag }))
}

/// Publishes `key`'s draft as `agent` and serves it here at once: the revision and the ETag
/// browsers now revalidate against.
pub(super) async fn publish_now(
    state: &AppState,
    key: BaseKey<'_>,
    agent: &Agent,
) -> Result<(i64, String), HttpError> {
    let revision = knowledge::publish(&state.db, key, Some(&agent.id))
        .await
        .map_err(refused)?;
    state.refresh_bases().await.map_err(HttpError::internal)?;
    let bases = state.bases.current();
    let site = state.config.site(key.site).ok_or(HttpError::UnknownSite)?;
    let etag = bases
        .for_visitor(site, key.locale)
        .map(|b| b.etag.clone())
        .unwrap_or_default();
    Ok((revision, etag))
}

/// The signed-in admin or editor, and the base the path names (one `ito.toml` gives the site).
pub(super) async fn writer<'a>(
    state: &AppState,
    headers: &HeaderMap,
    site: &'a str,
    locale: &str,
) -> Result<(Agent, BaseKey<'a>), HttpError> {
    let agent = current_agent(state, headers).await?;
    if agent.role != Role::Admin.as_str() && agent.role != Role::Editor.as_str() {
        return Err(HttpError::Forbidden(
            "knowledge bases are edited by admins and editors",
        ));
    }
    let config = state.config.site(site).ok_or(HttpError::UnknownSite)?;
    let locale: Locale = locale
        .parse()
        .map_err(|_| HttpError::NotFound("no such language"))?;
    if !config.knowledge_base.contains_key(&locale) {
        return Err(HttpError::NotFound(
            "this site has no knowledge base in that language",
        ));
    }
    Ok((agent, BaseKey { site, locale }))
}

async fn current(state: &AppState, key: BaseKey<'_>) -> Result<KnowledgeBase, HttpError> {
    Ok(knowledge::draft(&state.db, key)
        .await
        .map_err(refused)?
        .base)
}

/// Refuses a change that makes the draft worse: an error `after` has that `before` has not
/// (a change may leave the draft's older mistakes for their own edits).
pub(super) fn no_new_mistakes(
    before: &KnowledgeBase,
    after: &KnowledgeBase,
) -> Result<(), HttpError> {
    let before = errors_of(before);
    let new: Vec<String> = errors_of(after)
        .into_iter()
        .filter(|e| !before.contains(e))
        .collect();
    if new.is_empty() {
        Ok(())
    } else {
        Err(HttpError::BadRequest(new.join("; ")))
    }
}

fn errors_of(base: &KnowledgeBase) -> Vec<String> {
    lint(base)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("article {:?}: {}", f.article, f.message))
        .collect()
}

pub(super) fn refused(e: KnowledgeStoreError) -> HttpError {
    match e {
        KnowledgeStoreError::Conflict { .. } | KnowledgeStoreError::AlreadyExists(_) => {
            HttpError::Conflict(e.to_string())
        }
        KnowledgeStoreError::NoSuchArticle(_) => HttpError::NotFound("no such article"),
        KnowledgeStoreError::NoSuchBase { .. } => {
            HttpError::NotFound("this site has no knowledge base in that language")
        }
        KnowledgeStoreError::NoSuchVersion { .. } => HttpError::BadRequest(e.to_string()),
        KnowledgeStoreError::Corrupt(_) | KnowledgeStoreError::Db(_) => HttpError::internal(e),
    }
}

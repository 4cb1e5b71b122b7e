//! What the bot did with visitors' questions, and what agents' answers suggest: the rows the
//! site owner's content gaps, per-article figures and suggestions are read from.
//!
//! Bot turns are the widget's reports (one per bot reply, kept once per conversation and
//! line). A suggestion is made when an agent answers a handed-off visitor with an article;
//! an editor accepts or dismisses it once.

use ito_protocol::Locale;
use ito_protocol::chat::ConversationId;

use super::knowledge::BaseKey;
use super::{Store, random_hex, sql, with_pool};

/// The most bot turns kept per conversation: a widget reports one per question, and a
/// script reporting forever fills nothing.
pub const MAX_TURNS_PER_CONVERSATION: i64 = 200;

/// What the bot did with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It answered with an article.
    Answered,
    /// It offered several articles.
    Suggested,
    /// It found nothing it trusted.
    Unsure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Suggested => "suggested",
            Outcome::Unsure => "unsure",
        }
    }

    fn parse(text: &str) -> Outcome {
        match text {
            "answered" => Outcome::Answered,
            "suggested" => Outcome::Suggested,
            _ => Outcome::Unsure,
        }
    }
}

/// One bot reply as the widget reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn<'a> {
    pub line: u32,
    pub locale: Locale,
    pub question: &'a str,
    /// The article answered with (only for [`Outcome::Answered`]).
    pub article: Option<&'a str>,
    pub outcome: Outcome,
}

/// A question the bot did not handle: it was unsure, its answer got "No", or the visitor
/// asked for a person right after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub question: String,
    pub outcome: Outcome,
    pub article: Option<String>,
    pub helpful: Option<bool>,
    pub handed_off: bool,
    pub at: String,
}

/// How one article did over a range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleFigures {
    pub article: String,
    /// Shown as the bot's answer.
    pub shown: i64,
    pub helped: i64,
    pub not_helped: i64,
    /// The visitor asked for a person right after it.
    pub handoffs: i64,
}

/// "Asked `question`; the agent answered with `article`."
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub id: String,
    pub locale: Locale,
    pub question: String,
    pub article: String,
    pub conversation: String,
    /// The agent who answered, by name.
    pub agent: String,
    pub created_at: String,
}

/// Keeps `turn` for `conversation` of `site`, once per line and at most
/// [`MAX_TURNS_PER_CONVERSATION`]. Returns whether it was new.
pub async fn record_turn(
    store: &Store,
    conversation: &ConversationId,
    site: &str,
    turn: &Turn<'_>,
) -> Result<bool, sqlx::Error> {
    let done = with_pool!(store, |pool, PG| {
        sqlx::query(
        "INSERT INTO bot_turns (conversation_id, line, site, locale, question, article_id, outcome)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE (SELECT COUNT(*) FROM bot_turns WHERE conversation_id = $1) < $8
         ON CONFLICT (conversation_id, line) DO NOTHING",
    )
    .bind(conversation.as_str())
    .bind(i64::from(turn.line))
    .bind(site)
    .bind(turn.locale.code())
    .bind(turn.question)
    .bind(turn.article)
    .bind(turn.outcome.as_str())
    .bind(MAX_TURNS_PER_CONVERSATION)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

/// The visitor's verdict on the answer on `line`. Returns whether there was such an answer.
pub async fn rate_turn(
    store: &Store,
    conversation: &ConversationId,
    line: u32,
    helpful: bool,
) -> Result<bool, sqlx::Error> {
    let done = with_pool!(store, |pool, PG| sqlx::query(
        "UPDATE bot_turns SET helpful = $3
         WHERE conversation_id = $1 AND line = $2 AND outcome = 'answered'",
    )
    .bind(conversation.as_str())
    .bind(i64::from(line))
    .bind(helpful)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// The visitor of `conversation` asked for a person: their last bot reply led there.
pub async fn mark_handed_off(
    store: &Store,
    conversation: &ConversationId,
) -> Result<(), sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query(
        "UPDATE bot_turns SET handed_off = TRUE
         WHERE conversation_id = $1
           AND line = (SELECT MAX(line) FROM bot_turns WHERE conversation_id = $1)",
    )
    .bind(conversation.as_str())
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The questions the bot did not handle in `key`'s base between `from` and `to` (stored time
/// texts, `to` excluded), newest first, at most `limit`. Turns kept without their words (a
/// site with `keep_bot_questions = false`) are left out.
pub async fn misses(
    store: &Store,
    key: BaseKey<'_>,
    (from, to): (&str, &str),
    limit: i64,
) -> Result<Vec<Miss>, sqlx::Error> {
    type Row = (String, String, Option<String>, Option<bool>, bool, String);
    let rows: Vec<Row> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT question, outcome, article_id, helpful, handed_off, at FROM bot_turns
         WHERE site = $1 AND locale = $2 AND at >= $3 AND at < $4 AND question <> ''
           AND (outcome = 'unsure' OR helpful = FALSE OR handed_off)
         ORDER BY at DESC LIMIT $5",
    )
    .bind(key.site)
    .bind(key.locale.code())
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(question, outcome, article, helpful, handed_off, at)| Miss {
                question,
                outcome: Outcome::parse(&outcome),
                article,
                helpful,
                handed_off,
                at,
            },
        )
        .collect())
}

/// Each article's figures in `key`'s base between `from` and `to`, most shown first.
pub async fn article_figures(
    store: &Store,
    key: BaseKey<'_>,
    (from, to): (&str, &str),
) -> Result<Vec<ArticleFigures>, sqlx::Error> {
    type Row = (String, i64, i64, i64, i64);
    let rows: Vec<Row> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT article_id, COUNT(*),
                SUM(CASE WHEN helpful = TRUE THEN 1 ELSE 0 END),
                SUM(CASE WHEN helpful = FALSE THEN 1 ELSE 0 END),
                SUM(CASE WHEN handed_off THEN 1 ELSE 0 END)
         FROM bot_turns
         WHERE site = $1 AND locale = $2 AND at >= $3 AND at < $4
           AND outcome = 'answered' AND article_id IS NOT NULL
         GROUP BY article_id ORDER BY COUNT(*) DESC, article_id",
    )
    .bind(key.site)
    .bind(key.locale.code())
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(article, shown, helped, not_helped, handoffs)| ArticleFigures {
                article,
                shown,
                helped,
                not_helped,
                handoffs,
            },
        )
        .collect())
}

/// What a new suggestion says.
#[derive(Debug, Clone, Copy)]
pub struct NewSuggestion<'a> {
    pub key: BaseKey<'a>,
    pub question: &'a str,
    pub article: &'a str,
    pub conversation: &'a ConversationId,
    pub agent: &'a str,
}

/// Keeps a suggestion, once per conversation and article. Returns whether it was new.
pub async fn suggest(store: &Store, new: NewSuggestion<'_>) -> Result<bool, sqlx::Error> {
    let done = with_pool!(store, |pool, PG| {
        sqlx::query(
        "INSERT INTO kb_suggestions (id, site, locale, question, article_id, conversation_id, agent_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (conversation_id, article_id) DO NOTHING",
    )
    .bind(random_hex(12))
    .bind(new.key.site)
    .bind(new.key.locale.code())
    .bind(new.question)
    .bind(new.article)
    .bind(new.conversation.as_str())
    .bind(new.agent)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

type SuggestionRow = (String, String, String, String, String, String, String);

fn suggestion(
    (id, locale, question, article, conversation, agent, created_at): SuggestionRow,
) -> Suggestion {
    Suggestion {
        id,
        locale: locale.parse().unwrap_or_default(),
        question,
        article,
        conversation,
        agent,
        created_at,
    }
}

/// The suggestions for `key`'s base nobody has decided on, newest first.
pub async fn open_suggestions(
    store: &Store,
    key: BaseKey<'_>,
) -> Result<Vec<Suggestion>, sqlx::Error> {
    let rows: Vec<SuggestionRow> = with_pool!(store, |pool, PG| {
        sqlx::query_as(
        "SELECT s.id, s.locale, s.question, s.article_id, s.conversation_id, a.name, s.created_at
         FROM kb_suggestions s JOIN agents a ON a.id = s.agent_id
         WHERE s.site = $1 AND s.locale = $2 AND s.status = 'open'
         ORDER BY s.created_at DESC, s.id",
    )
    .bind(key.site)
    .bind(key.locale.code())
    .fetch_all(pool)
    .await
    })?;
    Ok(rows.into_iter().map(suggestion).collect())
}

/// The open suggestion `id` of `site`, if there is one.
pub async fn open_suggestion(
    store: &Store,
    site: &str,
    id: &str,
) -> Result<Option<Suggestion>, sqlx::Error> {
    let row: Option<SuggestionRow> = with_pool!(store, |pool, PG| {
        sqlx::query_as(
        "SELECT s.id, s.locale, s.question, s.article_id, s.conversation_id, a.name, s.created_at
         FROM kb_suggestions s JOIN agents a ON a.id = s.agent_id
         WHERE s.site = $1 AND s.id = $2 AND s.status = 'open'",
    )
    .bind(site)
    .bind(id)
    .fetch_optional(pool)
    .await
    })?;
    Ok(row.map(suggestion))
}

/// Makes accepted suggestion `id` of `site` open again (its change could not be saved).
pub async fn undecide(store: &Store, site: &str, id: &str) -> Result<(), sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query(
        "UPDATE kb_suggestions SET status = 'open', decided_by = NULL, decided_at = NULL
         WHERE site = $1 AND id = $2 AND status = 'accepted'",
    )
    .bind(site)
    .bind(id)
    .execute(pool)
    .await
    .map(drop))
}

/// Accepts or dismisses open suggestion `id` of `site` as `by`. Returns whether it was still
/// open (two editors deciding at once: one decides, the other is told).
pub async fn decide(
    store: &Store,
    site: &str,
    id: &str,
    accepted: bool,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let done = with_pool!(store, |pool, PG| sqlx::query(sql(
        PG,
        "UPDATE kb_suggestions
         SET status = $3, decided_by = $4, decided_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE site = $1 AND id = $2 AND status = 'open'",
        "UPDATE kb_suggestions SET status = $3, decided_by = $4, decided_at = ito_now()
         WHERE site = $1 AND id = $2 AND status = 'open'",
    ))
    .bind(site)
    .bind(id)
    .bind(if accepted { "accepted" } else { "dismissed" })
    .bind(by)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

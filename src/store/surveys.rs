//! Survey answers and the facts the measures are computed from, in SQLite. A survey is
//! accepted once per conversation, only for a conversation that asked for it (an agent
//! resolved it, the visitor ended it, or the visitor said the bot solved it), with scores in
//! range; every refusal says why.

use crate::store::{Store, sql, with_pool};
use ito_protocol::chat::ConversationId;

use crate::reports::measures::{Facts, Millis};
use crate::reports::report::Comment;

/// The longest comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error("CSAT is a score from 1 to 5, not {0}")]
    CsatOutOfRange(u8),
    #[error("CES is a score from 1 to 7, not {0}")]
    CesOutOfRange(u8),
    #[error("a survey needs a score or a comment")]
    Empty,
    #[error("no conversation {0}")]
    UnknownConversation(ConversationId),
    #[error("conversation {0} has not asked for a survey: it is not resolved")]
    NotAsked(ConversationId),
    #[error("conversation {0} already has its survey answer")]
    AlreadyAnswered(ConversationId),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What a visitor answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub csat: Option<u8>,
    pub ces: Option<u8>,
    pub comment: Option<String>,
}

impl Answer {
    fn check(mut self) -> Result<Answer, SurveyError> {
        if let Some(csat) = self.csat.filter(|s| !(1..=5).contains(s)) {
            return Err(SurveyError::CsatOutOfRange(csat));
        }
        if let Some(ces) = self.ces.filter(|s| !(1..=7).contains(s)) {
            return Err(SurveyError::CesOutOfRange(ces));
        }
        self.comment = self
            .comment
            .map(|c| c.trim().chars().take(MAX_COMMENT_CHARS).collect::<String>())
            .filter(|c| !c.is_empty());
        if self.csat.is_none() && self.ces.is_none() && self.comment.is_none() {
            return Err(SurveyError::Empty);
        }
        Ok(self)
    }
}

/// The visitor said the bot's answer solved it: the conversation counts as deflected (unless
/// a person is asked for) and asks for a survey. Saying it twice changes nothing.
pub async fn bot_resolved(store: &Store, conversation: &ConversationId) -> Result<(), SurveyError> {
    let updated = with_pool!(store, |pool, PG| sqlx::query(sql(
        PG,
        "UPDATE conversations
         SET bot_resolved_at = COALESCE(bot_resolved_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         WHERE id = $1",
        "UPDATE conversations SET bot_resolved_at = COALESCE(bot_resolved_at, ito_now())
         WHERE id = $1",
    ))
    .bind(conversation.as_str())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if updated == 0 {
        return Err(SurveyError::UnknownConversation(conversation.clone()));
    }
    Ok(())
}

/// Stores the survey answer of `conversation`, once, if it asked for one.
pub async fn record(
    store: &Store,
    conversation: &ConversationId,
    answer: Answer,
) -> Result<(), SurveyError> {
    let answer = answer.check()?;
    let asked: Option<bool> = with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT status IN ('resolved', 'ended') OR bot_resolved_at IS NOT NULL
         FROM conversations WHERE id = $1",
    )
    .bind(conversation.as_str())
    .fetch_optional(pool)
    .await)?;
    match asked {
        None => return Err(SurveyError::UnknownConversation(conversation.clone())),
        Some(false) => return Err(SurveyError::NotAsked(conversation.clone())),
        Some(true) => {}
    }
    let inserted = with_pool!(store, |pool, PG| sqlx::query(
        "INSERT INTO surveys (conversation_id, csat, ces, comment) VALUES ($1, $2, $3, $4)",
    )
    .bind(conversation.as_str())
    .bind(answer.csat.map(i64::from))
    .bind(answer.ces.map(i64::from))
    .bind(&answer.comment)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()));
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(SurveyError::AlreadyAnswered(conversation.clone()))
        }
        other => Ok(other.map(drop)?),
    }
}

/// The newest comments of `site`'s surveys answered in `from..to` (Unix milliseconds).
pub async fn latest_comments(
    store: &Store,
    site: &str,
    from: Millis,
    to: Millis,
    limit: u32,
) -> Result<Vec<Comment>, sqlx::Error> {
    type Row = (String, String, Option<i64>, Option<i64>, String);
    let rows: Vec<Row> = with_pool!(store, |pool, PG| {
        sqlx::query_as(sql(
        PG,
        "SELECT s.conversation_id, s.answered_at, s.csat, s.ces, s.comment
         FROM surveys s JOIN conversations c ON c.id = s.conversation_id
         WHERE c.site = $1 AND s.comment IS NOT NULL
           AND CAST((julianday(s.answered_at) - 2440587.5) * 86400000 AS INTEGER) BETWEEN $2 AND $3 - 1
         ORDER BY s.answered_at DESC LIMIT $4",
        "SELECT s.conversation_id, s.answered_at, s.csat, s.ces, s.comment
         FROM surveys s JOIN conversations c ON c.id = s.conversation_id
         WHERE c.site = $1 AND s.comment IS NOT NULL
           AND (EXTRACT(EPOCH FROM s.answered_at::timestamptz) * 1000)::bigint BETWEEN $2 AND $3 - 1
         ORDER BY s.answered_at DESC LIMIT $4",
    ))
    .bind(site)
    .bind(from)
    .bind(to)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(conversation, answered_at, csat, ces, comment)| Comment {
            conversation,
            answered_at,
            csat: csat.map(|s| s as u8),
            ces: ces.map(|s| s as u8),
            comment,
        })
        .collect())
}

/// The part of the facts query both dialects share: from the conversations `c` and their
/// events `e` (each backend reads its own JSON), each conversation's facts.
macro_rules! facts_from_events {
    () => {
        "
         f AS (
             SELECT c.id, c.started,
                    CAST(CASE WHEN c.bot_resolved_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS by_bot,
                    (SELECT MIN(at) FROM e WHERE e.id = c.id AND handoff) AS handed_off,
                    (SELECT joined_by FROM e WHERE e.id = c.id AND joined_by IS NOT NULL
                     ORDER BY at LIMIT 1) AS agent,
                    (SELECT MIN(at) FROM e WHERE e.id = c.id AND joined_by IS NOT NULL) AS joined,
                    (SELECT MIN(at) FROM e WHERE e.id = c.id AND from_agent) AS answered,
                    (SELECT MIN(at) FROM e WHERE e.id = c.id AND resolved) AS resolved,
                    (SELECT MIN(at) FROM e WHERE e.id = c.id AND ended) AS ended
             FROM c)
         SELECT f.started, f.by_bot, f.handed_off, f.agent, f.joined, f.answered, f.resolved,
                f.ended,
                (SELECT MIN(at) FROM e WHERE e.id = f.id AND handoff AND at > f.resolved),
                s.csat, s.ces
         FROM f LEFT JOIN surveys s ON s.conversation_id = f.id
         WHERE f.started >= $2 AND f.started < $3 AND (CAST($4 AS TEXT) IS NULL OR f.agent = $4)
         ORDER BY f.started"
    };
}

/// The facts of every conversation of `site` started in `from..to` (Unix milliseconds),
/// optionally only those `agent` took first, and only those with `label`.
pub async fn facts(
    store: &Store,
    site: &str,
    from: Millis,
    to: Millis,
    agent: Option<&str>,
    label: Option<&str>,
) -> Result<Vec<Facts>, sqlx::Error> {
    type Row = (
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    // Event times come from the events themselves (milliseconds, server clock); the first of
    // each kind counts. A reopening is a request for a person after the first resolution.
    let rows: Vec<Row> = with_pool!(store, |pool, PG| {
        sqlx::query_as(sql(
            PG,
            concat!(
                "WITH c AS (
                     SELECT id, bot_resolved_at,
                            CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER) AS started
                     FROM conversations WHERE site = $1
                       AND (CAST($5 AS TEXT) IS NULL OR id IN (SELECT conversation_id FROM conversation_labels
                                                 WHERE label = $5))),
                 e AS (
                     SELECT conversation_id AS id, at,
                            json_type(body, '$.handoff_requested') IS NOT NULL AS handoff,
                            json_extract(body, '$.agent_joined.agent_id') AS joined_by,
                            json_type(body, '$.message.author.agent') IS NOT NULL AS from_agent,
                            body = '\"resolved\"' AS resolved,
                            body = '\"ended\"' AS ended
                     FROM events WHERE conversation_id IN (SELECT id FROM c)),",
                facts_from_events!()
            ),
            concat!(
                "WITH c AS (
                     SELECT id, bot_resolved_at,
                            (EXTRACT(EPOCH FROM created_at::timestamptz) * 1000)::bigint AS started
                     FROM conversations WHERE site = $1
                       AND (CAST($5 AS TEXT) IS NULL OR id IN (SELECT conversation_id FROM conversation_labels
                                                 WHERE label = $5))),
                 e AS (
                     SELECT conversation_id AS id, at,
                            body -> 'handoff_requested' IS NOT NULL AS handoff,
                            body -> 'agent_joined' ->> 'agent_id' AS joined_by,
                            body -> 'message' -> 'author' -> 'agent' IS NOT NULL AS from_agent,
                            body = '\"resolved\"'::jsonb AS resolved,
                            body = '\"ended\"'::jsonb AS ended
                     FROM events WHERE conversation_id IN (SELECT id FROM c)),",
                facts_from_events!()
            ),
        ))
    .bind(site)
    .bind(from)
    .bind(to)
    .bind(agent)
    .bind(label)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(
                started,
                by_bot,
                handed_off,
                agent,
                joined,
                answered,
                resolved,
                ended,
                reopened,
                csat,
                ces,
            )| Facts {
                started_at: started,
                resolved_by_bot: by_bot.unwrap_or(0) != 0,
                handed_off_at: handed_off,
                agent,
                agent_joined_at: joined,
                first_agent_message_at: answered,
                resolved_at: resolved,
                ended_at: ended,
                reopened_at: reopened,
                csat: csat.map(|s| s as u8),
                ces: ces.map(|s| s as u8),
            },
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use ito_protocol::chat::{
        Author, ConversationStatus, EventKind, HandoffContext, HandoffReason,
    };

    use super::*;
    use crate::reports::measures::measure;
    use crate::store::events;

    const MIN: Millis = 60_000;
    /// 2026-11-02T00:00:00Z: the day the seeded conversations start.
    const DAY_START: Millis = 1_793_577_600_000;

    async fn store() -> (tempfile::TempDir, Store) {
        let (dir, pool) = crate::store::testing::fresh().await.unwrap();
        with_pool!(&pool, |p, _PG| sqlx::query("INSERT INTO agents (id, email, name, password_hash) VALUES ('ann', 'ann@x.example', 'Ann', 'x'), ('bob', 'bob@x.example', 'Bob', 'x')")
            .execute(p)
            .await.map(drop))
            .unwrap();
        (dir, pool)
    }

    /// A conversation started `offset` after the day's start.
    async fn started(store: &Store, offset: Millis) -> ConversationId {
        let (_, id) = events::start_conversation(store, "demo").await.unwrap();
        with_pool!(store, |pool, _PG| sqlx::query(
            "UPDATE conversations SET created_at = $1 WHERE id = $2",
        )
        .bind(crate::store::time_text(DAY_START + offset))
        .bind(id.as_str())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
        .unwrap();
        id
    }

    async fn event(store: &Store, id: &ConversationId, at: Millis, kind: EventKind) {
        events::append(store, id, &kind, DAY_START + at)
            .await
            .unwrap();
    }

    /// Handed off at `at`, taken by `agent` `wait` later, first answer `answer` later.
    async fn handoff(
        store: &Store,
        id: &ConversationId,
        at: Millis,
        agent: Option<(&str, Millis)>,
    ) {
        events::request_handoff(store, id, HandoffReason::Asked, &HandoffContext::default())
            .await
            .unwrap();
        event(
            store,
            id,
            at,
            EventKind::HandoffRequested {
                reason: HandoffReason::Asked,
            },
        )
        .await;
        if let Some((agent, wait)) = agent {
            events::claim(store, id, agent).await.unwrap();
            let joined = EventKind::AgentJoined {
                agent_id: agent.into(),
                name: agent.into(),
            };
            event(store, id, at + wait, joined).await;
            let reply = EventKind::Message {
                id: format!("r{at}").parse().unwrap(),
                author: Author::Agent {
                    id: agent.into(),
                    name: agent.into(),
                },
                text: "Hello".into(),
            };
            event(store, id, at + wait, reply).await;
        }
    }

    async fn resolve(store: &Store, id: &ConversationId, at: Millis) {
        events::close(store, id, ConversationStatus::Resolved)
            .await
            .unwrap();
        event(store, id, at, EventKind::Resolved).await;
    }

    fn answer(csat: Option<u8>, ces: Option<u8>) -> Answer {
        Answer {
            csat,
            ces,
            comment: None,
        }
    }

    #[tokio::test]
    async fn measures_from_a_seeded_store_equal_the_figures_by_hand() {
        let (_dir, pool) = store().await;
        // 1, 2: the bot solved it; survey 5/7 on the first.
        let one = started(&pool, 0).await;
        bot_resolved(&pool, &one).await.unwrap();
        record(&pool, &one, answer(Some(5), Some(7))).await.unwrap();
        let two = started(&pool, MIN).await;
        bot_resolved(&pool, &two).await.unwrap();
        // 3: with the bot only, unsolved.
        started(&pool, 2 * MIN).await;
        // 4: Ann answers after 2 minutes and resolves; survey 4/5.
        let four = started(&pool, 3 * MIN).await;
        handoff(&pool, &four, 4 * MIN, Some(("ann", 2 * MIN))).await;
        resolve(&pool, &four, 10 * MIN).await;
        record(&pool, &four, answer(Some(4), Some(5)))
            .await
            .unwrap();
        // 5: Bob answers after 6 minutes, resolves, and it is reopened a day later; survey 2/-.
        let five = started(&pool, 4 * MIN).await;
        handoff(&pool, &five, 5 * MIN, Some(("bob", 6 * MIN))).await;
        resolve(&pool, &five, 20 * MIN).await;
        record(&pool, &five, answer(Some(2), None)).await.unwrap();
        handoff(&pool, &five, 24 * 60 * MIN, None).await;
        // 6: handed off, the visitor leaves before anyone joins.
        let six = started(&pool, 5 * MIN).await;
        handoff(&pool, &six, 6 * MIN, None).await;
        events::close(&pool, &six, ConversationStatus::Ended)
            .await
            .unwrap();
        event(&pool, &six, 9 * MIN, EventKind::Ended).await;
        // The next day: outside the range.
        started(&pool, 24 * 60 * MIN + 1).await;

        let day = |agent| {
            facts(
                &pool,
                "demo",
                DAY_START,
                DAY_START + 24 * 60 * MIN,
                agent,
                None,
            )
        };
        let m = measure(&day(None).await.unwrap());
        assert_eq!(m.conversations, 6);
        assert_eq!(m.handoffs, 3);
        assert_eq!(m.deflection_rate, Some(2.0 / 6.0));
        assert_eq!(m.handoff_rate, Some(3.0 / 6.0));
        // Responses: 2 and 6 minutes; nearest rank: median 2 min, p90 6 min.
        assert_eq!(m.first_response_median_secs, Some(120.0));
        assert_eq!(m.first_response_p90_secs, Some(360.0));
        assert_eq!(m.csat_answers, 3);
        assert_eq!(m.csat_satisfied_share, Some(2.0 / 3.0));
        assert_eq!(m.csat_mean, Some(11.0 / 3.0));
        assert_eq!(m.ces_mean, Some(6.0));
        assert_eq!(m.resolved, 2);
        assert_eq!(
            m.first_contact_resolution,
            Some(0.5),
            "five was reopened within a week"
        );
        assert_eq!(m.abandonment, Some(1.0 / 3.0));

        let ann = measure(&day(Some("ann")).await.unwrap());
        assert_eq!((ann.conversations, ann.csat_mean), (1, Some(4.0)));
    }

    #[tokio::test]
    async fn surveys_are_refused_out_of_range_twice_unknown_or_unasked() {
        let (_dir, pool) = store().await;
        let open = started(&pool, 0).await;
        let done = started(&pool, 0).await;
        bot_resolved(&pool, &done).await.unwrap();
        let refusal = |r: Result<(), SurveyError>| r.unwrap_err().to_string();
        assert_eq!(
            refusal(record(&pool, &done, answer(Some(6), None)).await),
            "CSAT is a score from 1 to 5, not 6"
        );
        assert_eq!(
            refusal(record(&pool, &done, answer(None, Some(0))).await),
            "CES is a score from 1 to 7, not 0"
        );
        assert_eq!(
            refusal(record(&pool, &done, answer(None, None)).await),
            "a survey needs a score or a comment"
        );
        assert!(
            refusal(record(&pool, &open, answer(Some(5), None)).await).contains("not resolved")
        );
        let nobody: ConversationId = "nobody".parse().unwrap();
        assert_eq!(
            refusal(record(&pool, &nobody, answer(Some(5), None)).await),
            "no conversation nobody"
        );
        let with_comment = Answer {
            comment: Some("  quick and kind ".into()),
            ..answer(Some(5), Some(6))
        };
        record(&pool, &done, with_comment).await.unwrap();
        assert!(refusal(record(&pool, &done, answer(Some(1), None)).await).contains("already has"));
        let kept: String = with_pool!(&pool, |p, _PG| sqlx::query_scalar(
            "SELECT comment FROM surveys"
        )
        .fetch_one(p)
        .await)
        .unwrap();
        assert_eq!(kept, "quick and kind");
    }
}

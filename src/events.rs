//! Conversations and their numbered events in SQLite: the part of the store that makes "nothing
//! lost, nothing doubled" true. An event is appended in one immediate transaction that bumps the
//! conversation's `last_seq`, inserts the event and, for a message, claims its client id; the
//! caller acknowledges only after that commit. A resent message finds its id taken and gets
//! the original sequence number back, with nothing stored twice.

use ito_protocol::chat::{
    ClientId, ConversationId, Event, EventKind, HandoffContext, HandoffReason, Seq,
    WaitingConversation,
};
use sqlx::SqlitePool;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no conversation {0}")]
    UnknownConversation(ConversationId),
    #[error("stored event {seq} of conversation {conversation} cannot be read: {source}")]
    Corrupt {
        conversation: ConversationId,
        seq: Seq,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub seq: Seq,
    /// The message id was already stored: this was a resend, and `seq` is the original's.
    pub duplicate: bool,
}

/// A new visitor and their first conversation on `site`.
pub async fn start_conversation(
    pool: &SqlitePool,
    site: &str,
) -> Result<(String, ConversationId), StoreError> {
    let mut tx = pool.begin().await?;
    let visitor: String = sqlx::query_scalar(
        "INSERT INTO visitors (id, site) VALUES (lower(hex(randomblob(12))), ?) RETURNING id",
    )
    .bind(site)
    .fetch_one(&mut *tx)
    .await?;
    let conversation: String = sqlx::query_scalar(
        "INSERT INTO conversations (id, site, visitor_id)
         VALUES (lower(hex(randomblob(12))), ?, ?) RETURNING id",
    )
    .bind(site)
    .bind(&visitor)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let conversation = conversation
        .parse()
        .expect("24 hex digits make a conversation id");
    Ok((visitor, conversation))
}

/// The site a conversation belongs to, if it exists.
pub async fn site_of(
    pool: &SqlitePool,
    conversation: &ConversationId,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT site FROM conversations WHERE id = ?")
            .bind(conversation.as_str())
            .fetch_optional(pool)
            .await?,
    )
}

/// Who has a conversation after a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This agent has it now.
    Won,
    /// Another agent took it first (their id), or it is not waiting for anyone.
    Taken(Option<String>),
}

/// Puts a conversation in its site's queue (it was with the bot), keeping why and what the
/// widget knew. A second request while it waits only updates the context.
pub async fn request_handoff(
    pool: &SqlitePool,
    conversation: &ConversationId,
    reason: HandoffReason,
    context: &HandoffContext,
) -> Result<(), StoreError> {
    let reason = serde_json::to_value(reason).expect("reasons serialize");
    // Stored as the protocol's name for it, e.g. "not_helpful".
    let context = serde_json::to_string(context).expect("contexts serialize");
    sqlx::query(
        "UPDATE conversations SET handoff_reason = ?, handoff_context = ?,
             status = CASE status WHEN 'bot' THEN 'waiting' ELSE status END,
             handed_off_at = COALESCE(handed_off_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         WHERE id = ?",
    )
    .bind(reason.as_str())
    .bind(context)
    .bind(conversation.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

/// A stored handoff reason (the protocol's name for it) read back.
fn parse_reason(stored: String) -> Result<HandoffReason, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(stored))
}

/// Why and with what context a conversation was handed off, if it was.
pub async fn handoff_of(
    pool: &SqlitePool,
    conversation: &ConversationId,
) -> Result<Option<(HandoffReason, HandoffContext)>, StoreError> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT handoff_reason, handoff_context FROM conversations WHERE id = ?")
            .bind(conversation.as_str())
            .fetch_optional(pool)
            .await?;
    let Some((Some(reason), Some(context))) = row else {
        return Ok(None);
    };
    let corrupt = |source| StoreError::Corrupt {
        conversation: conversation.clone(),
        seq: 0,
        source,
    };
    let reason = parse_reason(reason).map_err(corrupt)?;
    let context = serde_json::from_str(&context).map_err(corrupt)?;
    Ok(Some((reason, context)))
}

/// A waiting conversation's place in its site's queue, from 1; `None` once it is not waiting.
pub async fn queue_position(
    pool: &SqlitePool,
    conversation: &ConversationId,
) -> Result<Option<u32>, StoreError> {
    let position: Option<i64> = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM conversations w
                 WHERE w.site = c.site AND w.status = 'waiting'
                   AND (w.handed_off_at, w.id) <= (c.handed_off_at, c.id))
         FROM conversations c WHERE c.id = ? AND c.status = 'waiting'",
    )
    .bind(conversation.as_str())
    .fetch_optional(pool)
    .await?;
    Ok(position.map(|p| p as u32))
}

/// Every waiting conversation, oldest first.
pub async fn waiting(pool: &SqlitePool) -> Result<Vec<WaitingConversation>, StoreError> {
    let rows: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, site, handoff_reason, handed_off_at FROM conversations
         WHERE status = 'waiting' ORDER BY handed_off_at, id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, site, reason, since)| {
            Some(WaitingConversation {
                conversation: id.parse().ok()?,
                site,
                reason: reason.and_then(|r| parse_reason(r).ok()),
                since,
            })
        })
        .collect())
}

/// Gives a waiting conversation to `agent`. One statement decides, so of two agents claiming
/// at once exactly one wins.
pub async fn claim(
    pool: &SqlitePool,
    conversation: &ConversationId,
    agent: &str,
) -> Result<Claim, StoreError> {
    let won: Option<String> = sqlx::query_scalar(
        "UPDATE conversations SET status = 'assigned', agent_id = ?
         WHERE id = ? AND status = 'waiting' RETURNING id",
    )
    .bind(agent)
    .bind(conversation.as_str())
    .fetch_optional(pool)
    .await?;
    if won.is_some() {
        return Ok(Claim::Won);
    }
    let holder: Option<Option<String>> =
        sqlx::query_scalar("SELECT agent_id FROM conversations WHERE id = ?")
            .bind(conversation.as_str())
            .fetch_optional(pool)
            .await?;
    match holder {
        None => Err(StoreError::UnknownConversation(conversation.clone())),
        Some(holder) => Ok(Claim::Taken(holder)),
    }
}

/// The agent a conversation is assigned to, if any.
pub async fn assignee(
    pool: &SqlitePool,
    conversation: &ConversationId,
) -> Result<Option<String>, StoreError> {
    let holder: Option<Option<String>> = sqlx::query_scalar(
        "SELECT agent_id FROM conversations WHERE id = ? AND status = 'assigned'",
    )
    .bind(conversation.as_str())
    .fetch_optional(pool)
    .await?;
    Ok(holder.flatten())
}

/// Marks a conversation resolved by its agent.
pub async fn resolve(pool: &SqlitePool, conversation: &ConversationId) -> Result<(), StoreError> {
    sqlx::query("UPDATE conversations SET status = 'resolved' WHERE id = ?")
        .bind(conversation.as_str())
        .execute(pool)
        .await?;
    Ok(())
}

/// Appends an event and returns its number once it is durable. A message whose client id is
/// already stored is not stored again: the original's number comes back, marked duplicate.
pub async fn append(
    pool: &SqlitePool,
    conversation: &ConversationId,
    kind: &EventKind,
    at: i64,
) -> Result<Appended, StoreError> {
    // IMMEDIATE takes the write lock first, so concurrent appends queue instead of failing
    // when two of them read the same last_seq.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if let EventKind::Message { id, .. } = kind
        && let Some(seq) = stored_message(&mut tx, conversation, id).await?
    {
        return Ok(Appended {
            seq,
            duplicate: true,
        });
    }
    let seq: Option<i64> = sqlx::query_scalar(
        "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
    )
    .bind(conversation.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let seq = seq.ok_or_else(|| StoreError::UnknownConversation(conversation.clone()))?;
    let body = serde_json::to_string(kind).expect("events always serialize");
    sqlx::query("INSERT INTO events (conversation_id, seq, at, body) VALUES (?, ?, ?, ?)")
        .bind(conversation.as_str())
        .bind(seq)
        .bind(at)
        .bind(body)
        .execute(&mut *tx)
        .await?;
    if let EventKind::Message { id, .. } = kind {
        sqlx::query("INSERT INTO message_ids (conversation_id, client_id, seq) VALUES (?, ?, ?)")
            .bind(conversation.as_str())
            .bind(id.as_str())
            .bind(seq)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Appended {
        seq: seq as Seq,
        duplicate: false,
    })
}

async fn stored_message(
    tx: &mut sqlx::SqliteConnection,
    conversation: &ConversationId,
    id: &ClientId,
) -> Result<Option<Seq>, StoreError> {
    let seq: Option<i64> = sqlx::query_scalar(
        "SELECT seq FROM message_ids WHERE conversation_id = ? AND client_id = ?",
    )
    .bind(conversation.as_str())
    .bind(id.as_str())
    .fetch_optional(tx)
    .await?;
    Ok(seq.map(|s| s as Seq))
}

/// The events after `after`, oldest first, at most `limit`: what a reconnecting client missed.
pub async fn events_after(
    pool: &SqlitePool,
    conversation: &ConversationId,
    after: Seq,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT seq, at, body FROM events WHERE conversation_id = ? AND seq > ?
         ORDER BY seq LIMIT ?",
    )
    .bind(conversation.as_str())
    .bind(after as i64)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(seq, at, body)| {
            let kind = serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                conversation: conversation.clone(),
                seq: seq as Seq,
                source,
            })?;
            Ok(Event {
                seq: seq as Seq,
                at,
                kind,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use ito_protocol::chat::Author;

    use super::*;
    use crate::db;

    fn message(id: &str, text: &str) -> EventKind {
        EventKind::Message {
            id: id.parse().unwrap(),
            author: Author::Visitor,
            text: text.into(),
        }
    }

    async fn fresh() -> (tempfile::TempDir, SqlitePool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(&dir.path().join("ito.sqlite3")).await.unwrap();
        (dir, pool)
    }

    #[tokio::test]
    async fn a_resent_message_is_stored_once_and_gets_its_original_number() {
        let (_dir, pool) = fresh().await;
        let (_, conversation) = start_conversation(&pool, "demo").await.unwrap();
        let first = append(&pool, &conversation, &message("m1", "hello"), 1)
            .await
            .unwrap();
        let other = append(&pool, &conversation, &message("m2", "again"), 2)
            .await
            .unwrap();
        let resent = append(&pool, &conversation, &message("m1", "hello"), 3)
            .await
            .unwrap();
        assert_eq!(
            first,
            Appended {
                seq: 1,
                duplicate: false
            }
        );
        assert_eq!(other.seq, 2);
        assert_eq!(
            resent,
            Appended {
                seq: 1,
                duplicate: true
            }
        );
        let all = events_after(&pool, &conversation, 0, 100).await.unwrap();
        assert_eq!(all.len(), 2, "stored once");
        assert_eq!(all[0].kind, message("m1", "hello"));
    }

    #[tokio::test]
    async fn a_reconnecting_client_gets_exactly_what_it_missed() {
        let (_dir, pool) = fresh().await;
        let (_, conversation) = start_conversation(&pool, "demo").await.unwrap();
        for i in 1..=5 {
            append(&pool, &conversation, &message(&format!("m{i}"), "x"), i)
                .await
                .unwrap();
        }
        append(&pool, &conversation, &EventKind::Resolved, 6)
            .await
            .unwrap();
        let missed = events_after(&pool, &conversation, 3, 100).await.unwrap();
        let seqs: Vec<Seq> = missed.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [4, 5, 6]);
        assert_eq!(missed[2].kind, EventKind::Resolved);
        assert!(
            events_after(&pool, &conversation, 6, 100)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            events_after(&pool, &conversation, 0, 2)
                .await
                .unwrap()
                .len(),
            2
        );
    }

    #[tokio::test]
    async fn concurrent_appends_get_distinct_contiguous_numbers() {
        let (_dir, pool) = fresh().await;
        let (_, conversation) = start_conversation(&pool, "demo").await.unwrap();
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let (pool, conversation) = (pool.clone(), conversation.clone());
                // Every third one is a resend of an earlier id: stored once whatever the order.
                let id = format!("m{}", i - i % 3);
                tokio::spawn(async move {
                    append(&pool, &conversation, &message(&id, "x"), i)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut fresh_seqs = BTreeSet::new();
        for task in tasks {
            let appended = task.await.unwrap();
            if !appended.duplicate {
                assert!(fresh_seqs.insert(appended.seq), "numbers are never shared");
            }
        }
        assert_eq!(
            fresh_seqs,
            (1..=8).collect(),
            "8 distinct ids, numbered 1 to 8"
        );
    }

    #[tokio::test]
    async fn of_two_simultaneous_claims_exactly_one_wins() {
        let (_dir, pool) = fresh().await;
        for agent in ["a1", "a2"] {
            sqlx::query(
                "INSERT INTO agents (id, email, name, password_hash) VALUES (?, ?, ?, 'x')",
            )
            .bind(agent)
            .bind(format!("{agent}@shop.example"))
            .bind(agent)
            .execute(&pool)
            .await
            .unwrap();
        }
        let (_, conversation) = start_conversation(&pool, "demo").await.unwrap();
        assert_eq!(
            claim(&pool, &conversation, "a1").await.unwrap(),
            Claim::Taken(None),
            "nothing to claim while the bot has it"
        );
        request_handoff(
            &pool,
            &conversation,
            HandoffReason::Asked,
            &HandoffContext::default(),
        )
        .await
        .unwrap();
        let (first, second) = tokio::join!(
            claim(&pool, &conversation, "a1"),
            claim(&pool, &conversation, "a2")
        );
        let outcomes = [first.unwrap(), second.unwrap()];
        assert_eq!(
            outcomes.iter().filter(|c| **c == Claim::Won).count(),
            1,
            "{outcomes:?}"
        );
        let winner = assignee(&pool, &conversation).await.unwrap().unwrap();
        let loser_saw = outcomes.iter().find(|c| **c != Claim::Won).unwrap();
        assert_eq!(loser_saw, &Claim::Taken(Some(winner)));
    }

    #[tokio::test]
    async fn committed_events_survive_a_restart_and_unknown_conversations_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ito.sqlite3");
        let conversation = {
            let pool = db::open(&path).await.unwrap();
            let (_, conversation) = start_conversation(&pool, "demo").await.unwrap();
            append(&pool, &conversation, &message("m1", "kept"), 1)
                .await
                .unwrap();
            // No close: a kill must not lose what was acknowledged.
            drop(pool);
            conversation
        };
        let pool = db::open(&path).await.unwrap();
        let events = events_after(&pool, &conversation, 0, 10).await.unwrap();
        assert_eq!(events[0].kind, message("m1", "kept"));
        let unknown: ConversationId = "nope".parse().unwrap();
        let err = append(&pool, &unknown, &message("m1", "x"), 1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownConversation(_)), "{err}");
    }
}

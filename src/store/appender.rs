//! Group commit for the chat's events. Every append in the server goes through one task that
//! takes whatever appends are waiting, runs them in one transaction (each in its own savepoint,
//! so one failing append fails alone), commits once, and only then answers each caller. The
//! guarantee is unchanged (nothing is acknowledged before it is durable) while a thousand
//! messages a second cost a few dozen disk syncs instead of a thousand.

use std::collections::HashMap;

use ito_protocol::chat::{ConversationId, EventKind, Seq};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};

use crate::store::events::{self, APPEND_TURN, Appended, StatusChange, StoreError};
use crate::store::notices::{CHANNEL, Notice};
use crate::store::{BeginWrite, Conn, Store, with_pool};

/// Appends committed together at most: bounds one transaction's length.
const MAX_BATCH: usize = 256;

struct Request {
    conversation: ConversationId,
    /// Stored with the event, or the event is not stored at all.
    change: Option<StatusChange>,
    kind: EventKind,
    at: i64,
    /// `None`: the change did not apply (already claimed, already closed); nothing stored.
    reply: oneshot::Sender<Result<Option<Appended>, StoreError>>,
}

/// Writers on PostgreSQL, which takes several transactions at once (SQLite has one writer).
const POSTGRES_WRITERS: usize = 4;

/// The handle appends are sent through; cloned handles share the writer tasks.
#[derive(Debug, Clone)]
pub struct Appender {
    /// One per writer; a conversation always goes to the same one, so its appends stay in order.
    writers: Vec<mpsc::Sender<Request>>,
}

impl Appender {
    /// Starts the writer tasks for `store` (they end when the last handle is dropped); on
    /// PostgreSQL each batch's commits are announced to the other nodes as from `node`.
    pub fn start(store: Store, node: &str) -> Appender {
        let count = match store {
            Store::Sqlite(_) => 1,
            Store::Postgres(_) => POSTGRES_WRITERS,
        };
        let writers = (0..count)
            .map(|_| {
                let (requests, incoming) = mpsc::channel(4 * MAX_BATCH);
                tokio::spawn(write_batches(store.clone(), node.to_owned(), incoming));
                requests
            })
            .collect();
        Appender { writers }
    }

    fn writer_of(&self, conversation: &ConversationId) -> &mpsc::Sender<Request> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        conversation.hash(&mut hasher);
        &self.writers[hasher.finish() as usize % self.writers.len()]
    }

    /// Appends an event; returns once it is durable, as [`events::append`] does.
    pub async fn append(
        &self,
        conversation: &ConversationId,
        kind: EventKind,
        at: i64,
    ) -> Result<Appended, StoreError> {
        let appended = self.request(conversation, None, kind, at).await?;
        Ok(appended.expect("an append without a change always stores its event"))
    }

    /// Applies `change` and appends `kind` in one transaction; `None` when the change did not
    /// apply, and then nothing is stored.
    pub async fn append_if(
        &self,
        conversation: &ConversationId,
        change: StatusChange,
        kind: EventKind,
        at: i64,
    ) -> Result<Option<Appended>, StoreError> {
        self.request(conversation, Some(change), kind, at).await
    }

    async fn request(
        &self,
        conversation: &ConversationId,
        change: Option<StatusChange>,
        kind: EventKind,
        at: i64,
    ) -> Result<Option<Appended>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            conversation: conversation.clone(),
            change,
            kind,
            at,
            reply,
        };
        let gone = || StoreError::NotStored("the writer has stopped".into());
        self.writer_of(conversation)
            .send(request)
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn write_batches(store: Store, node: String, mut incoming: mpsc::Receiver<Request>) {
    while let Some(first) = incoming.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match incoming.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        // SQLite: in turn with the other appends of this process (see `APPEND_TURN`).
        let _turn = match store {
            Store::Sqlite(_) => Some(APPEND_TURN.lock().await),
            Store::Postgres(_) => None,
        };
        match write(&store, &node, &batch).await {
            Ok(results) => {
                for (request, result) in batch.into_iter().zip(results) {
                    let _ = request.reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, appends = batch.len(), "a batch of events was not stored");
                for request in batch {
                    let _ = request
                        .reply
                        .send(Err(StoreError::NotStored(e.to_string())));
                }
            }
        }
    }
}

type Results = Vec<Result<Option<Appended>, StoreError>>;

/// One transaction for the batch. On PostgreSQL a batch of plain appends (no status change)
/// is one statement; should that fail, the batch is written again one append at a time, so an
/// append that fails fails alone.
async fn write(store: &Store, node: &str, batch: &[Request]) -> Result<Results, sqlx::Error> {
    if let Store::Postgres(pool) = store
        && batch.iter().all(|request| request.change.is_none())
    {
        match write_plain(pool, node, batch).await {
            Ok(results) => return Ok(results),
            // Not after a failed commit: it may have committed, and writing again would double.
            Err(Failed::AtCommit(e)) => return Err(e),
            Err(Failed::BeforeCommit(e)) => {
                tracing::debug!(error = %e, "a batch of appends is written again one by one")
            }
        }
    }
    write_one_by_one(store, node, batch).await
}

enum Failed {
    BeforeCommit(sqlx::Error),
    AtCommit(sqlx::Error),
}

async fn write_plain(pool: &PgPool, node: &str, batch: &[Request]) -> Result<Results, Failed> {
    if let [only] = batch {
        return match append_single(pool, node, only).await {
            Ok(result) => Ok(vec![result]),
            // Refused by the database: nothing was stored.
            Err(e @ sqlx::Error::Database(_)) => Err(Failed::BeforeCommit(e)),
            // The connection failed: the statement may have committed.
            Err(e) => Err(Failed::AtCommit(e)),
        };
    }
    let mut tx = pool.begin_write().await.map_err(Failed::BeforeCommit)?;
    let conversations: Vec<&ConversationId> = batch.iter().map(|r| &r.conversation).collect();
    let written = async {
        events::lock_for_append(Conn::from(&mut *tx), &conversations).await?;
        let results = append_plain(&mut tx, batch).await?;
        announce(Conn::from(&mut *tx), node, batch, &results).await?;
        Ok(results)
    }
    .await
    .map_err(Failed::BeforeCommit)?;
    tx.commit().await.map_err(Failed::AtCommit)?;
    Ok(written)
}

/// A batch of one (the most common): one statement, its own transaction, that also tells the
/// other nodes (one round trip in all). Without arrays, which PostgreSQL would plan again at
/// nearly every call. No row lock first: should another node store the same message
/// meanwhile, the statement fails on its id and the batch is written again one by one, locked.
async fn append_single(
    pool: &PgPool,
    node: &str,
    request: &Request,
) -> Result<Result<Option<Appended>, StoreError>, sqlx::Error> {
    let body = serde_json::to_string(&request.kind).expect("events always serialize");
    let row: Option<(i64, bool)> = sqlx::query_as(APPEND_ONE)
        .bind(request.conversation.as_str())
        .bind(message_id(&request.kind))
        .bind(request.at)
        .bind(body)
        .bind(CHANNEL)
        .bind(node)
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some((seq, duplicate)) => Ok(Some(Appended {
            seq: seq as Seq,
            duplicate,
        })),
        None => Err(StoreError::UnknownConversation(
            request.conversation.clone(),
        )),
    })
}

/// One append: `$1` conversation, `$2` client id or null, `$3` time, `$4` body; a new event is
/// announced on channel `$5` as from node `$6`, in [`Notice`]'s form. Returns (number,
/// resent), or nothing for an unknown conversation.
const APPEND_ONE: &str = "
WITH resent AS (
    SELECT seq FROM message_ids WHERE conversation_id = $1 AND client_id = $2
), bumped AS (
    UPDATE conversations SET last_seq = last_seq + 1
    WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM resent)
    RETURNING last_seq
), stored_events AS (
    INSERT INTO events (conversation_id, seq, at, body)
    SELECT $1, last_seq, $3, $4::jsonb FROM bumped
), stored_ids AS (
    INSERT INTO message_ids (conversation_id, client_id, seq)
    SELECT $1, $2, last_seq FROM bumped WHERE $2 IS NOT NULL
), announced AS (
    SELECT pg_notify($5, json_build_object(
        'node', $6::text, 'commits', json_build_array(json_build_array($1::text, last_seq))
    )::text) FROM bumped
)
SELECT seq, true FROM resent
UNION ALL
SELECT last_seq, false FROM bumped, announced";

/// Every append of the batch in one statement, with the rows of its conversations locked
/// ([`events::lock_for_append`]): resent messages get their stored numbers, the others are
/// numbered after each conversation's `last_seq` in the batch's order.
async fn append_plain(tx: &mut PgConnection, batch: &[Request]) -> Result<Results, sqlx::Error> {
    // A message sent twice within the batch is stored once: the statement sees only what was
    // committed before it, not its own rows.
    let mut first_of: HashMap<(&str, &str), usize> = HashMap::new();
    let mut same_as = Vec::with_capacity(batch.len());
    let mut unique = Vec::new();
    for (n, request) in batch.iter().enumerate() {
        let original = message_id(&request.kind)
            .and_then(|id| first_of.get(&(request.conversation.as_str(), id)).copied());
        if original.is_none() {
            if let Some(id) = message_id(&request.kind) {
                first_of.insert((request.conversation.as_str(), id), n);
            }
            unique.push(n);
        }
        same_as.push(original);
    }
    let column = |f: &dyn Fn(&Request) -> Option<String>| -> Vec<Option<String>> {
        unique.iter().map(|&n| f(&batch[n])).collect()
    };
    let conversation_ids = column(&|r| Some(r.conversation.as_str().to_owned()));
    let client_ids = column(&|r| message_id(&r.kind).map(str::to_owned));
    let bodies =
        column(&|r| Some(serde_json::to_string(&r.kind).expect("events always serialize")));
    let times: Vec<i64> = unique.iter().map(|&n| batch[n].at).collect();
    let rows: Vec<(i64, i64, bool)> = sqlx::query_as(APPEND_BATCH)
        .bind(conversation_ids)
        .bind(client_ids)
        .bind(times)
        .bind(bodies)
        .fetch_all(&mut *tx)
        .await?;
    let mut landed: HashMap<usize, Appended> = HashMap::new();
    for (ordinal, seq, duplicate) in rows {
        let appended = Appended {
            seq: seq as Seq,
            duplicate,
        };
        landed.insert(unique[ordinal as usize - 1], appended);
    }
    Ok(batch
        .iter()
        .enumerate()
        .map(|(n, request)| {
            let (original, resent) = match same_as[n] {
                Some(original) => (original, true),
                None => (n, false),
            };
            match landed.get(&original) {
                Some(appended) => Ok(Some(Appended {
                    seq: appended.seq,
                    duplicate: appended.duplicate || resent,
                })),
                None => Err(StoreError::UnknownConversation(
                    request.conversation.clone(),
                )),
            }
        })
        .collect())
}

/// Appends in one statement: `$1..$4` are the columns (conversation, client id or null, time,
/// body); returns (position in the columns from 1, number, resent).
const APPEND_BATCH: &str = "
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
        WITH ORDINALITY AS t (conversation_id, client_id, at, body, n)
), resent AS (
    SELECT i.n, m.seq FROM input i
    JOIN message_ids m ON m.conversation_id = i.conversation_id AND m.client_id = i.client_id
), fresh AS (
    SELECT i.*, row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.n) AS k
    FROM input i WHERE i.n NOT IN (SELECT n FROM resent)
), counts AS (
    SELECT conversation_id, count(*) AS added FROM fresh GROUP BY conversation_id
), bumped AS (
    UPDATE conversations c SET last_seq = c.last_seq + counts.added
    FROM counts WHERE c.id = counts.conversation_id
    RETURNING c.id, c.last_seq - counts.added AS base
), numbered AS (
    SELECT f.n, f.conversation_id, f.client_id, f.at, f.body, b.base + f.k AS seq
    FROM fresh f JOIN bumped b ON b.id = f.conversation_id
), stored_events AS (
    INSERT INTO events (conversation_id, seq, at, body)
    SELECT conversation_id, seq, at, body::jsonb FROM numbered
), stored_ids AS (
    INSERT INTO message_ids (conversation_id, client_id, seq)
    SELECT conversation_id, client_id, seq FROM numbered WHERE client_id IS NOT NULL
)
SELECT n, seq, true FROM resent
UNION ALL
SELECT n, seq, false FROM numbered";

fn message_id(kind: &EventKind) -> Option<&str> {
    kind.client_id().map(|id| id.as_str())
}

/// Tells the other nodes of the batch's new events, inside its transaction on PostgreSQL:
/// they hear of them once committed, never before. Nothing on SQLite (one node).
async fn announce(
    tx: Conn<'_>,
    node: &str,
    batch: &[Request],
    results: &Results,
) -> Result<(), sqlx::Error> {
    let Conn::Postgres(tx) = tx else {
        return Ok(());
    };
    let commits: Vec<_> = batch
        .iter()
        .zip(results)
        .filter_map(|(request, result)| match result {
            Ok(Some(appended)) if !appended.duplicate => {
                Some((request.conversation.clone(), appended.seq))
            }
            _ => None,
        })
        .collect();
    for payload in Notice::commit_payloads(node, &commits) {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The batch in one transaction, each append in a savepoint of its own.
async fn write_one_by_one(
    store: &Store,
    node: &str,
    batch: &[Request],
) -> Result<Results, sqlx::Error> {
    with_pool!(store, |pool, _PG| {
        let mut tx = pool.begin_write().await?;
        let conversations: Vec<&ConversationId> = batch.iter().map(|r| &r.conversation).collect();
        events::lock_for_append(Conn::from(&mut *tx), &conversations).await?;
        let mut results = Vec::with_capacity(batch.len());
        for request in batch {
            let mut savepoint = tx.begin().await?;
            let result = append_one(Conn::from(&mut *savepoint), request).await;
            if matches!(result, Ok(Some(_))) {
                savepoint.commit().await?;
            } else {
                savepoint.rollback().await?;
            }
            results.push(result);
        }
        announce(Conn::from(&mut *tx), node, batch, &results).await?;
        tx.commit().await?;
        Ok(results)
    })
}

/// One request inside its savepoint: the change first, then (if it applied) the event.
async fn append_one(mut tx: Conn<'_>, request: &Request) -> Result<Option<Appended>, StoreError> {
    if let Some(change) = &request.change
        && !events::change_in(tx.reborrow(), &request.conversation, change).await?
    {
        return Ok(None);
    }
    events::append_in(tx, &request.conversation, &request.kind, request.at)
        .await
        .map(Some)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use ito_protocol::chat::Author;

    use super::*;

    fn message(id: &str) -> EventKind {
        EventKind::Message {
            id: id.parse().unwrap(),
            author: Author::Visitor,
            text: format!("text of {id}"),
        }
    }

    #[tokio::test]
    async fn on_postgresql_each_new_event_is_announced_once_to_the_other_nodes() {
        let (_dir, store) = crate::store::testing::fresh().await.unwrap();
        let Store::Postgres(pool) = &store else {
            eprintln!("skipped: announcing is PostgreSQL's (one node on SQLite)");
            return;
        };
        let mut listener = crate::store::notices::Listener::start(pool).await.unwrap();
        let (_, conversation) = events::start_conversation(&store, "demo").await.unwrap();
        let appender = Appender::start(store.clone(), "node-a");
        let first = appender
            .append(&conversation, message("m1"), 0)
            .await
            .unwrap();
        let resent = appender
            .append(&conversation, message("m1"), 0)
            .await
            .unwrap();
        assert!(resent.duplicate);
        let second = appender
            .append(&conversation, message("m2"), 0)
            .await
            .unwrap();
        for seq in [first.seq, second.seq] {
            // A payload that is not a notice is skipped by `next`: a timeout, not a hang.
            let heard = tokio::time::timeout(std::time::Duration::from_secs(10), listener.next())
                .await
                .expect("a notice for each new event")
                .unwrap();
            let crate::store::notices::Heard::Notice(notice) = heard else {
                panic!("{heard:?}");
            };
            assert_eq!(notice.node, "node-a");
            assert_eq!(
                notice.commits,
                vec![(conversation.clone(), seq)],
                "the resend is not announced"
            );
        }
    }

    #[tokio::test]
    async fn concurrent_appends_are_committed_together_numbered_once_and_failures_stay_alone() {
        let (_dir, pool) = crate::store::testing::fresh().await.unwrap();
        let (_, conversation) = events::start_conversation(&pool, "demo").await.unwrap();
        let appender = Appender::start(pool.clone(), "test");
        let unknown: ConversationId = "nobody".parse().unwrap();
        let appends = (0..50).map(|n| {
            let (appender, conversation, unknown) =
                (appender.clone(), conversation.clone(), unknown.clone());
            tokio::spawn(async move {
                // Every tenth names a conversation that does not exist; every message is sent
                // twice, as a client resending after a lost acknowledgement would.
                let target = if n % 10 == 0 { unknown } else { conversation };
                let id = format!("m{}", n / 2);
                appender.append(&target, message(&id), 0).await
            })
        });
        let mut stored = BTreeSet::new();
        let mut refused = 0;
        for append in appends.collect::<Vec<_>>() {
            match append.await.unwrap() {
                Ok(appended) => {
                    stored.insert(appended.seq);
                }
                Err(StoreError::UnknownConversation(_)) => refused += 1,
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!(refused, 5);
        let events = events::events_after(&pool, &conversation, 0, 1000)
            .await
            .unwrap();
        let seqs: Vec<_> = events.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "contiguous"
        );
        assert_eq!(
            stored,
            seqs.iter().copied().collect(),
            "every answer is a stored event"
        );
        let ids: BTreeSet<_> = events
            .iter()
            .map(|e| match &e.kind {
                EventKind::Message { id, .. } => id.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ids.len(), events.len(), "a resent message is stored once");
    }
}

//! Group commit for the chat's events. Every append in the server goes through one task that
//! takes whatever appends are waiting, runs them in one transaction (each in its own savepoint,
//! so one failing append fails alone), commits once, and only then answers each caller. The
//! guarantee is unchanged (nothing is acknowledged before it is durable) while a thousand
//! messages a second cost a few dozen disk syncs instead of a thousand.

use ito_protocol::chat::{ConversationId, EventKind};
use sqlx::Connection;
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

/// One transaction for the batch; each append in a savepoint of its own.
async fn write(
    store: &Store,
    node: &str,
    batch: &[Request],
) -> Result<Vec<Result<Option<Appended>, StoreError>>, sqlx::Error> {
    with_pool!(store, |pool, PG| {
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
        if PG {
            // Inside the transaction: the other nodes hear of these events once they are
            // committed, never before.
            let commits: Vec<_> = batch
                .iter()
                .zip(&results)
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
        }
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

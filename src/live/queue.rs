//! Each site's queue as last read: every waiting conversation's place and the recent waits,
//! read from the store once per move of the queue and shared by every waiting visitor. Before,
//! each waiter counted the queue itself at each move: n waiters, n counts of n rows.
//!
//! Also the sweep, which keeps the queue honest: it takes out abandoned conversations (a
//! handoff whose visitor has had no connection for `queue_abandon_secs` and never wrote to the
//! person; a left message is kept for the next agent, however long that takes), puts back what
//! a removed agent still had, and purges expired agent sessions.

use crate::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ito_protocol::chat::{ConversationId, ConversationStatus};

use crate::state::AppState;
use crate::store::events::{self, StoreError};

/// One site's queue at one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Places from 1.
    places: HashMap<ConversationId, u32>,
    /// Seconds the site's last visitors waited (what expected waits come from).
    pub recent_waits: Vec<u64>,
}

impl Snapshot {
    pub fn place(&self, conversation: &ConversationId) -> Option<u32> {
        self.places.get(conversation).copied()
    }
}

/// The newest snapshot per site, with the number of queue moves it was read after.
#[derive(Debug, Default)]
pub struct QueueBoard {
    sites: Mutex<HashMap<String, Board>>,
}

#[derive(Debug, Default)]
struct Board {
    /// Bumped at every move of the site's queue.
    moves: u64,
    snapshot: Option<(u64, Arc<Snapshot>)>,
}

impl QueueBoard {
    /// The queue moved: the next reader reads it again.
    pub fn moved(&self, site: &str) {
        let mut sites = self.sites.lock().expect("queue board lock");
        let board = sites.entry(site.to_owned()).or_default();
        board.moves += 1;
    }

    /// The site's queue now: the shared snapshot if nothing moved since it was read, else a
    /// fresh read (two readers racing may both read; neither gets anything stale).
    pub async fn snapshot(&self, store: &Store, site: &str) -> Result<Arc<Snapshot>, StoreError> {
        let moves = {
            let mut sites = self.sites.lock().expect("queue board lock");
            let board = sites.entry(site.to_owned()).or_default();
            match &board.snapshot {
                Some((read_after, snapshot)) if *read_after == board.moves => {
                    return Ok(Arc::clone(snapshot));
                }
                _ => board.moves,
            }
        };
        let waiting = events::waiting_on(store, site).await?;
        let snapshot = Arc::new(Snapshot {
            places: waiting.into_iter().zip(1..).collect(),
            recent_waits: events::recent_waits(store, site).await?,
        });
        let mut sites = self.sites.lock().expect("queue board lock");
        let board = sites.entry(site.to_owned()).or_default();
        if board.moves == moves {
            board.snapshot = Some((moves, Arc::clone(&snapshot)));
        }
        Ok(snapshot)
    }
}

/// How often the sweep looks for abandoned conversations: a tenth of the limit, within 1 to
/// 30 seconds.
fn sweep_every(state: &AppState) -> std::time::Duration {
    let limit = state.config.server.limits.queue_abandon();
    (limit / 10).clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(30),
    )
}

/// Runs the sweep for as long as the server runs.
pub fn start_sweeping(state: AppState) {
    tokio::spawn(async move {
        let mut gone_since: HashMap<ConversationId, tokio::time::Instant> = HashMap::new();
        let mut every = tokio::time::interval(sweep_every(&state));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = sweep(&state, &mut gone_since).await {
                tracing::error!(cause = %e, "the abandoned-queue sweep failed; it will try again");
            }
        }
    });
}

/// One sweep: notes which waiting visitors have no connection since when, and closes (as
/// ended: counted in abandonment) those gone longer than the limit who wrote nothing to the
/// person.
async fn sweep(
    state: &AppState,
    gone_since: &mut HashMap<ConversationId, tokio::time::Instant>,
) -> Result<(), StoreError> {
    requeue_from_removed_agents(state).await?;
    let purged = crate::store::agents::purge_expired_sessions(
        &state.db,
        crate::live::dispatch::now_millis() / 1000,
    )
    .await?;
    if purged > 0 {
        tracing::info!(purged, "expired agent sessions purged");
    }
    let limit = state.config.server.limits.queue_abandon();
    let now = tokio::time::Instant::now();
    let silent = events::waiting_without_words(&state.db).await?;
    gone_since.retain(|conversation, _| silent.contains(conversation));
    let connected = crate::live::visitors::connected_anywhere(state, &silent).await?;
    for conversation in silent {
        if connected.contains(&conversation) {
            gone_since.remove(&conversation);
            continue;
        }
        let since = *gone_since.entry(conversation.clone()).or_insert(now);
        if now.duration_since(since) >= limit {
            tracing::info!(%conversation, "the visitor left the queue: abandoned");
            crate::live::dispatch::close(state, &conversation, ConversationStatus::Ended).await?;
            gone_since.remove(&conversation);
        }
    }
    Ok(())
}

/// Conversations a removed agent still had go back to the queue and to whoever is free.
async fn requeue_from_removed_agents(state: &AppState) -> Result<(), StoreError> {
    let orphans = events::assigned_to_removed(&state.db).await?;
    crate::live::dispatch::requeue(state, orphans, "its agent was removed").await
}

//! The live chat across nodes. Each node's [`crate::live::hub::Hub`] tells its own
//! connections; the bus carries the same hints to the other nodes of a PostgreSQL database
//! (`store::notices`) and applies theirs here: commits, typing, queue moves, presence. On
//! SQLite there is one node and the bus is silent.
//!
//! Nothing depends on a notice arriving: events are read from the store by sequence number
//! (the announced ones once per node, into the hub, before its connections are woken), so when
//! this node's listening connection drops, every local connection and queue is told to read
//! again once listening is back, exactly as after a lagged channel.

use std::collections::HashMap;
use std::time::Duration;

use ito_protocol::chat::{ConversationId, Event, HandoffReason, Seq};
use tokio::sync::mpsc;

use crate::live::dispatch;
use crate::state::AppState;
use crate::store::Store;
use crate::store::cluster::{self, SeatRow};
use crate::store::events;
use crate::store::notices::{self, Heard, Listener, Notice};

/// Hints waiting to be sent; beyond this they are dropped (each is only a hint).
const OUTGOING: usize = 1024;

/// How often a node refreshes its seats (well inside `cluster::SEAT_TIMEOUT_SECS`).
const SEAT_REFRESH: Duration = Duration::from_secs(5);

/// Before listening again after the connection dropped.
const RETRY: Duration = Duration::from_secs(1);

/// This node's way to the others.
#[derive(Debug, Clone)]
pub struct Bus {
    node: String,
    outgoing: Option<mpsc::Sender<Notice>>,
    /// Held by each refresh of this node's seats; `true` once the node has left, after which
    /// no refresh may bring its row back.
    left: std::sync::Arc<tokio::sync::Mutex<bool>>,
}

impl Bus {
    /// The bus of node `node`: on PostgreSQL a task sends its notices in order.
    pub fn start(store: &Store, node: &str) -> Bus {
        let outgoing = match store {
            Store::Sqlite(_) => None,
            Store::Postgres(pool) => {
                let (sender, mut waiting) = mpsc::channel::<Notice>(OUTGOING);
                let pool = pool.clone();
                tokio::spawn(async move {
                    while let Some(notice) = waiting.recv().await {
                        if let Err(e) = notices::send(&pool, &notice).await {
                            tracing::warn!(error = %e, "a notice to the other nodes was not sent");
                        }
                    }
                });
                Some(sender)
            }
        };
        Bus {
            node: node.to_owned(),
            outgoing,
            left: Default::default(),
        }
    }

    /// This node stops cleanly: its seats and visitor connections leave the database at once
    /// (see `cluster::leave`), and no refresh still under way brings them back.
    pub async fn leave(&self, store: &Store) -> Result<(), sqlx::Error> {
        let mut left = self.left.lock().await;
        *left = true;
        cluster::leave(store, &self.node).await
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    fn tell(&self, fill: impl FnOnce(&mut Notice)) {
        let Some(outgoing) = &self.outgoing else {
            return;
        };
        let mut notice = Notice::from(&self.node);
        fill(&mut notice);
        if outgoing.try_send(notice).is_err() {
            tracing::warn!("notices to the other nodes are backed up: one was dropped");
        }
    }

    pub fn typing(&self, conversation: &ConversationId, by_agent: bool, typing: bool) {
        self.tell(|n| n.typing.push((conversation.clone(), by_agent, typing)));
    }

    pub fn queue_moved(&self, site: &str) {
        self.tell(|n| n.queues.push(site.to_owned()));
    }

    pub fn presence_changed(&self) {
        self.tell(|n| n.presence = true);
    }
}

/// On PostgreSQL: listens to the other nodes, and keeps this node's seats in the database and
/// the others' in memory. Runs for as long as the server.
pub fn start(state: AppState) {
    if let Store::Postgres(_) = state.db {
        tokio::spawn(listen(state.clone()));
        tokio::spawn(keep_seats(state));
    }
}

async fn listen(state: AppState) {
    let Store::Postgres(pool) = &state.db else {
        return;
    };
    let (commits, heard_of) = mpsc::unbounded_channel();
    tokio::spawn(read_commits(state.clone(), heard_of));
    // A closed pool is the server stopping: nothing to say.
    while !pool.is_closed() {
        let mut listener = match Listener::start(pool).await {
            Ok(listener) => listener,
            Err(_) if pool.is_closed() => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen to the other nodes; trying again");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        // Listening (again): whatever was said while nobody listened is in the store.
        read_everything_again(&state);
        loop {
            match listener.next().await {
                Ok(Heard::Notice(notice)) => apply(&state, notice, &commits),
                Ok(Heard::Lost) => {
                    tracing::warn!("the connection listening to the other nodes dropped");
                    break;
                }
                Err(_) if pool.is_closed() => return,
                Err(e) => {
                    tracing::warn!(error = %e, "listening to the other nodes failed");
                    break;
                }
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// What another node said, told to this node's connections (its commits once read).
fn apply(state: &AppState, notice: Notice, commits: &mpsc::UnboundedSender<Commits>) {
    if notice.node == state.bus.node() {
        return;
    }
    if !notice.commits.is_empty() {
        let _ = commits.send(notice.commits);
    }
    for (conversation, by_agent, typing) in &notice.typing {
        state.hub.typing(conversation, *by_agent, *typing);
    }
    for site in &notice.queues {
        dispatch::site_queue_moved_here(state, site);
    }
    if notice.presence {
        // Their seats are in the database already: read them now rather than at the next refresh.
        state.presence.changed.notify_one();
    }
}

type Commits = Vec<(ConversationId, Seq)>;

/// Reads the events other nodes committed, for the conversations listened to here: all that
/// were announced meanwhile in one query, kept in the hub for every local reader. An event
/// that could not be read is only announced: its readers go to the store themselves.
async fn read_commits(state: AppState, mut heard_of: mpsc::UnboundedReceiver<Commits>) {
    let Store::Postgres(pool) = &state.db else {
        return;
    };
    while let Some(mut wanted) = heard_of.recv().await {
        while let Ok(more) = heard_of.try_recv() {
            wanted.extend(more);
        }
        wanted.retain(|(conversation, _)| state.hub.is_listened(conversation));
        if wanted.is_empty() {
            continue;
        }
        let read = events::events_at(pool, &wanted).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "events announced by another node were not read");
            Vec::new()
        });
        let mut by_conversation: HashMap<ConversationId, Vec<Event>> = HashMap::new();
        for (conversation, event) in read {
            by_conversation.entry(conversation).or_default().push(event);
        }
        for (conversation, seq) in wanted {
            let found = by_conversation
                .get(&conversation)
                .is_some_and(|events| events.iter().any(|e| e.seq == seq));
            if !found {
                state.hub.committed(&conversation, seq);
            }
        }
        for (conversation, events) in by_conversation {
            state.hub.stored(&conversation, events);
        }
    }
}

fn read_everything_again(state: &AppState) {
    state.hub.everyone_read_again();
    for site in &state.config.sites {
        dispatch::site_queue_moved_here(state, site.id.as_str());
    }
    state.presence.changed.notify_one();
}

/// Copies this node's seats to the database at every change and every few seconds, and who is
/// online elsewhere back; a change either way moves every queue here (expected waits).
async fn keep_seats(state: AppState) {
    let mut last_told: Vec<(u64, String, bool)> = Vec::new();
    loop {
        let left = state.bus.left.lock().await;
        if *left {
            return;
        }
        let seats = state.presence.seats();
        let rows: Vec<SeatRow> = seats
            .iter()
            .map(|(connection, agent, online)| SeatRow {
                connection: *connection as i64,
                agent: agent.clone(),
                online: *online,
            })
            .collect();
        match cluster::refresh(&state.db, state.bus.node(), &rows).await {
            Ok(refreshed) => {
                let ours_changed = {
                    let mut sorted = seats.clone();
                    sorted.sort();
                    let changed = sorted != last_told;
                    last_told = sorted;
                    changed
                };
                if ours_changed {
                    state.bus.presence_changed();
                }
                // Who is online first: the requeued must not go back to a dead node's agent.
                let elsewhere_changed = state.presence.set_elsewhere(refreshed.online_elsewhere);
                let orphans: Vec<_> = refreshed
                    .orphaned
                    .into_iter()
                    .filter_map(|(id, reason)| {
                        let reason = reason
                            .and_then(|r| serde_json::from_value(serde_json::Value::String(r)).ok())
                            .unwrap_or(HandoffReason::Asked);
                        Some((id.parse().ok()?, reason))
                    })
                    .collect();
                if !orphans.is_empty() {
                    if let Err(e) =
                        dispatch::requeue(&state, orphans, "its agent's node died").await
                    {
                        tracing::warn!(error = %e, "conversations of a dead node's agents were not requeued");
                    }
                } else if elsewhere_changed {
                    dispatch::all_queues_moved_here(&state);
                    if let Err(e) = dispatch::assign_waiting(&state).await {
                        tracing::warn!(error = %e, "an assignment round failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "this node's seats could not be refreshed"),
        }
        drop(left);
        tokio::select! {
            _ = tokio::time::sleep(SEAT_REFRESH) => {}
            _ = state.presence.changed.notified() => {}
        }
    }
}

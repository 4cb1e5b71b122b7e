//! What the nodes of one PostgreSQL database share beyond the events: their agents' seats
//! (presence), refreshed every few seconds and swept when a node stops refreshing, and the
//! lock that lets one assignment round run at a time across all nodes. On SQLite there is one
//! node, whose memory already knows all of this: these do nothing there.

use std::collections::HashSet;

use super::Store;

/// A node whose seats were not refreshed for this long is taken for dead.
pub const SEAT_TIMEOUT_SECS: i64 = 30;

/// The advisory lock of assignment rounds: one key for every site, because an agent's
/// capacity counts the conversations of all sites.
const ASSIGNMENT_LOCK: i64 = 0x6974_6f5f_6173_7367; // "ito_asg"

/// One open console connection of this node, as presence counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRow {
    pub connection: i64,
    pub agent: String,
    pub online: bool,
}

/// Replaces this node's seats with `seats` (refreshing their time), sweeps the seats of nodes
/// silent for [`SEAT_TIMEOUT_SECS`], and returns the agents online on other nodes. Times are
/// the database's.
pub async fn sync_seats(
    store: &Store,
    node: &str,
    seats: &[SeatRow],
) -> Result<HashSet<String>, sqlx::Error> {
    let Store::Postgres(pool) = store else {
        return Ok(HashSet::new());
    };
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM seats WHERE node = $1")
        .bind(node)
        .execute(&mut *tx)
        .await?;
    for seat in seats {
        sqlx::query(
            "INSERT INTO seats (node, connection, agent_id, online, last_seen)
             VALUES ($1, $2, $3, $4, now())",
        )
        .bind(node)
        .bind(seat.connection)
        .bind(&seat.agent)
        .bind(seat.online)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM seats WHERE last_seen < now() - make_interval(secs => $1)")
        .bind(SEAT_TIMEOUT_SECS as f64)
        .execute(&mut *tx)
        .await?;
    let elsewhere: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT agent_id FROM seats WHERE online AND node <> $1")
            .bind(node)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(elsewhere.into_iter().collect())
}

/// Held while an assignment round runs: on PostgreSQL a transaction holding the round's
/// advisory lock (released at its end, never a session lock left behind in a pooled
/// connection); on SQLite nothing (the node's own mutex serialises rounds).
pub struct Round(Option<sqlx::Transaction<'static, sqlx::Postgres>>);

impl Round {
    /// Waits until no other node runs a round, then holds the lock.
    pub async fn begin(store: &Store) -> Result<Round, sqlx::Error> {
        let Store::Postgres(pool) = store else {
            return Ok(Round(None));
        };
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ASSIGNMENT_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(Round(Some(tx)))
    }

    /// Lets the next round (on any node) start.
    pub async fn end(self) -> Result<(), sqlx::Error> {
        match self.0 {
            Some(tx) => tx.commit().await,
            None => Ok(()),
        }
    }
}

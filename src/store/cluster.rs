//! What the nodes of one PostgreSQL database share beyond the events: their agents' seats
//! (presence), refreshed every few seconds and swept when a node stops refreshing, and the
//! lock that lets one assignment round run at a time across all nodes. On SQLite there is one
//! node, whose memory already knows all of this: these do nothing there.

use std::collections::HashSet;

use super::Store;

/// A node not refreshed for this long is taken for dead.
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

/// Makes this node known (at start-up), so its seats and connections may name it.
pub async fn register_node(store: &Store, node: &str) -> Result<(), sqlx::Error> {
    let Store::Postgres(pool) = store else {
        return Ok(());
    };
    sqlx::query("INSERT INTO nodes (node, last_seen) VALUES ($1, now())")
        .bind(node)
        .execute(pool)
        .await
        .map(drop)
}

/// This node stops (a clean shutdown): its seats and visitor connections go at once rather
/// than after the node timeout, and the other nodes are told to read presence again. Its
/// consoles and visitors reconnect, through the load balancer, to another node.
pub async fn leave(store: &Store, node: &str) -> Result<(), sqlx::Error> {
    let Store::Postgres(pool) = store else {
        return Ok(());
    };
    sqlx::query("DELETE FROM nodes WHERE node = $1")
        .bind(node)
        .execute(pool)
        .await?;
    let mut notice = super::notices::Notice::from(node);
    notice.presence = true;
    super::notices::send(pool, &notice).await
}

/// What one refresh learnt.
#[derive(Debug, Default)]
pub struct Refreshed {
    /// Agents online at a console of another node.
    pub online_elsewhere: HashSet<String>,
    /// Conversations assigned to agents whose only consoles were on nodes found dead now, and
    /// why they were handed off: they go back to the queue.
    pub orphaned: Vec<(String, Option<String>)>,
}

/// Refreshes this node (and replaces its seats with `seats`), deletes the nodes silent for
/// [`SEAT_TIMEOUT_SECS`] with their seats and connections, and says who is online elsewhere.
pub async fn refresh(
    store: &Store,
    node: &str,
    seats: &[SeatRow],
) -> Result<Refreshed, sqlx::Error> {
    let Store::Postgres(pool) = store else {
        return Ok(Refreshed::default());
    };
    let mut tx = pool.begin().await?;
    // A node deleted as dead while it was only slow comes back here.
    sqlx::query(
        "INSERT INTO nodes (node, last_seen) VALUES ($1, now())
         ON CONFLICT (node) DO UPDATE SET last_seen = now()",
    )
    .bind(node)
    .execute(&mut *tx)
    .await?;
    let connections: Vec<i64> = seats.iter().map(|seat| seat.connection).collect();
    sqlx::query("DELETE FROM seats WHERE node = $1 AND NOT (connection = ANY($2))")
        .bind(node)
        .bind(&connections)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO seats (node, connection, agent_id, online)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::boolean[])
         ON CONFLICT (node, connection)
         DO UPDATE SET agent_id = excluded.agent_id, online = excluded.online",
    )
    .bind(node)
    .bind(&connections)
    .bind(
        seats
            .iter()
            .map(|seat| seat.agent.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(seats.iter().map(|seat| seat.online).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let stranded: Vec<String> = sqlx::query_scalar(
        "DELETE FROM seats WHERE node IN (
             SELECT node FROM nodes WHERE last_seen < now() - make_interval(secs => $1))
         RETURNING agent_id",
    )
    .bind(SEAT_TIMEOUT_SECS as f64)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM nodes WHERE last_seen < now() - make_interval(secs => $1)")
        .bind(SEAT_TIMEOUT_SECS as f64)
        .execute(&mut *tx)
        .await?;
    let orphaned: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, handoff_reason FROM conversations
         WHERE status = 'assigned' AND agent_id = ANY($1)
           AND agent_id NOT IN (SELECT agent_id FROM seats)",
    )
    .bind(&stranded)
    .fetch_all(&mut *tx)
    .await?;
    let online_elsewhere: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT agent_id FROM seats WHERE online AND node <> $1")
            .bind(node)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(Refreshed {
        online_elsewhere: online_elsewhere.into_iter().collect(),
        orphaned,
    })
}

/// Counts a new connection of `conversation`'s visitor on `node`, unless the conversation
/// already has `limit` on all nodes together. Always true on SQLite (counted in memory).
pub async fn open_visitor_connection(
    store: &Store,
    node: &str,
    connection: i64,
    conversation: &str,
    limit: usize,
) -> Result<bool, sqlx::Error> {
    let Store::Postgres(pool) = store else {
        return Ok(true);
    };
    let mut tx = pool.begin().await?;
    // Two tabs connecting to two nodes at once are counted one after the other.
    sqlx::query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE")
        .bind(conversation)
        .execute(&mut *tx)
        .await?;
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM visitor_connections WHERE conversation_id = $1")
            .bind(conversation)
            .fetch_one(&mut *tx)
            .await?;
    if open >= limit as i64 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO visitor_connections (node, connection, conversation_id) VALUES ($1, $2, $3)",
    )
    .bind(node)
    .bind(connection)
    .bind(conversation)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn close_visitor_connection(
    store: &Store,
    node: &str,
    connection: i64,
) -> Result<(), sqlx::Error> {
    let Store::Postgres(pool) = store else {
        return Ok(());
    };
    sqlx::query("DELETE FROM visitor_connections WHERE node = $1 AND connection = $2")
        .bind(node)
        .bind(connection)
        .execute(pool)
        .await
        .map(drop)
}

/// Which of `conversations` have a visitor connection open on any node (`None` on SQLite:
/// ask memory).
pub async fn connected_anywhere(
    store: &Store,
    conversations: &[&str],
) -> Result<Option<Vec<String>>, sqlx::Error> {
    let Store::Postgres(pool) = store else {
        return Ok(None);
    };
    sqlx::query_scalar(
        "SELECT DISTINCT conversation_id FROM visitor_connections WHERE conversation_id = ANY($1)",
    )
    .bind(conversations)
    .fetch_all(pool)
    .await
    .map(Some)
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

//! A visitor's open connections to their conversation, counted in this node's memory and, with
//! several nodes (PostgreSQL), in the database too, so `connections_per_visitor` holds across
//! nodes and a waiting visitor connected to any node is not taken for gone.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use ito_protocol::chat::ConversationId;

use crate::live::limits::Slot;
use crate::state::AppState;
use crate::store::{Store, StoreError, cluster};

/// Numbers this node's connections for the database's rows.
static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// One open visitor connection's place; dropping it gives the place back, here and in the
/// database.
pub struct VisitorSlot {
    _here: Slot<ConversationId>,
    counted: Option<(Store, String, i64)>,
}

impl Drop for VisitorSlot {
    fn drop(&mut self) {
        if let Some((store, node, connection)) = self.counted.take() {
            tokio::spawn(async move {
                if let Err(e) = cluster::close_visitor_connection(&store, &node, connection).await {
                    tracing::warn!(error = %e, "a closed visitor connection is still counted until its node's next sweep");
                }
            });
        }
    }
}

/// A place for one more connection of `conversation`'s visitor, unless they have
/// `connections_per_visitor` open already (on all nodes together).
pub async fn open(
    state: &AppState,
    conversation: &ConversationId,
) -> Result<Option<VisitorSlot>, StoreError> {
    let limit = state.config.server.limits.connections_per_visitor;
    let Some(here) = state.visitor_connections.take(conversation.clone(), limit) else {
        return Ok(None);
    };
    let counted = match &state.db {
        Store::Sqlite(_) => None,
        store => {
            let connection = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed) as i64;
            let node = state.bus.node();
            if !cluster::open_visitor_connection(
                store,
                node,
                connection,
                conversation.as_str(),
                limit,
            )
            .await?
            {
                return Ok(None);
            }
            Some((store.clone(), node.to_owned(), connection))
        }
    };
    Ok(Some(VisitorSlot {
        _here: here,
        counted,
    }))
}

/// Which of `conversations` have a visitor connection open on any node (one query).
pub async fn connected_anywhere(
    state: &AppState,
    conversations: &HashSet<ConversationId>,
) -> Result<HashSet<ConversationId>, StoreError> {
    let ids: Vec<&str> = conversations.iter().map(|c| c.as_str()).collect();
    Ok(match cluster::connected_anywhere(&state.db, &ids).await? {
        Some(connected) => connected
            .into_iter()
            .filter_map(|id| id.parse().ok())
            .collect(),
        None => conversations
            .iter()
            .filter(|c| state.visitor_connections.open(c) > 0)
            .cloned()
            .collect(),
    })
}

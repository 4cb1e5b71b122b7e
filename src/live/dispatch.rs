//! The shell around `routing`: giving conversations to agents, by hand or automatically, and
//! closing them, each with the event that tells both sides and a nudge to every queue
//! listener. The rules themselves (who, how long) are plain functions in `routing`.

use ito_protocol::chat::{
    AgentRef, ClientId, ConversationId, ConversationStatus, Event, EventKind, Seq,
};

use crate::live::routing;
use crate::state::AppState;
use crate::store::cluster::Round;
use crate::store::events::{self, Claim, StatusChange, StoreError};

/// Milliseconds since the Unix epoch: the time stamp of stored events.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Appends an event and tells the conversation's listeners (unless it was a resend).
pub async fn append(
    state: &AppState,
    conversation: &ConversationId,
    kind: EventKind,
) -> Result<events::Appended, StoreError> {
    let at = now_millis();
    let appended = state
        .appender
        .append(conversation, kind.clone(), at)
        .await?;
    if !appended.duplicate {
        let event = Event {
            seq: appended.seq,
            at,
            kind,
        };
        state.hub.stored(conversation, vec![event]);
    }
    Ok(appended)
}

/// Applies a status change together with the event that tells of it (one transaction) and
/// tells the listeners; `None` when the change did not apply.
pub async fn change(
    state: &AppState,
    conversation: &ConversationId,
    change: StatusChange,
    kind: EventKind,
) -> Result<Option<Seq>, StoreError> {
    let at = now_millis();
    let appended = state
        .appender
        .append_if(conversation, change, kind.clone(), at)
        .await?;
    if let Some(appended) = appended {
        let event = Event {
            seq: appended.seq,
            at,
            kind,
        };
        state.hub.stored(conversation, vec![event]);
    }
    Ok(appended.map(|a| a.seq))
}

/// The events of `conversation` after `after` that a connection woken by the commit of
/// `heard` (0: "read again") is to send: from memory when they are all there, else at most
/// `limit` from the store.
pub async fn missed(
    state: &AppState,
    conversation: &ConversationId,
    after: Seq,
    heard: Seq,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    match state.hub.recent(conversation, after, heard) {
        Some(events) => Ok(events),
        None => events::events_after(&state.db, conversation, after, limit).await,
    }
}

/// Gives a waiting conversation to `agent`; on a win the visitor is told who joined (in the
/// same transaction as the claim) and every queue listener that the queue moved.
pub async fn take(
    state: &AppState,
    conversation: &ConversationId,
    agent: &AgentRef,
) -> Result<Claim, StoreError> {
    let joined = EventKind::AgentJoined {
        agent_id: agent.id.clone(),
        name: agent.name.clone(),
    };
    let claim = StatusChange::Claim {
        agent: agent.id.clone(),
    };
    if change(state, conversation, claim, joined).await?.is_none() {
        return events::holder(&state.db, conversation)
            .await
            .map(Claim::Taken);
    }
    queue_moved(state, conversation).await?;
    Ok(Claim::Won)
}

/// What became of a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transferred {
    /// The conversation is `to`'s now (the visitor was told, the note kept).
    Done,
    /// Refused, and why, in words for the agent.
    Refused(String),
}

/// Hands `from`'s conversation to agent `to`, online or not, if they have room, with
/// `note` kept as a private note for them. Inside an assignment round, so an automatic
/// assignment cannot fill the same room meanwhile.
pub async fn transfer(
    state: &AppState,
    conversation: &ConversationId,
    from: &AgentRef,
    to: &str,
    note: Option<(ClientId, String)>,
) -> Result<Transferred, StoreError> {
    let here = state.assigning.lock().await;
    let round = Round::begin(&state.db).await?;
    let loads = events::agent_loads(&state.db).await?;
    let target = match routing::transfer_to(&loads, &from.id, to) {
        Ok((load, name)) => AgentRef {
            id: load.id.clone(),
            name: name.clone(),
        },
        Err(refused) => {
            round.end().await?;
            return Ok(Transferred::Refused(refused.to_string()));
        }
    };
    let joined = EventKind::AgentJoined {
        agent_id: target.id.clone(),
        name: target.name.clone(),
    };
    let change_to = StatusChange::Transfer {
        from: from.id.clone(),
        to: target.id.clone(),
    };
    let moved = change(state, conversation, change_to, joined).await?;
    round.end().await?;
    drop(here);
    if moved.is_none() {
        return Ok(Transferred::Refused(
            "this conversation is not assigned to you".to_owned(),
        ));
    }
    if let Some((id, text)) = note {
        let note = EventKind::Note {
            id,
            author: ito_protocol::chat::Author::Agent {
                id: from.id.clone(),
                name: from.name.clone(),
            },
            text,
        };
        append(state, conversation, note).await?;
    }
    queue_moved(state, conversation).await?;
    // The room the transfer freed takes the next waiting visitor.
    assign_waiting(state).await?;
    Ok(Transferred::Done)
}

/// Closes an open conversation (`Resolved` or `Ended`) with its event, in one transaction,
/// then lets the agent's freed capacity take the next waiting visitor. Closing twice stores
/// nothing more.
pub async fn close(
    state: &AppState,
    conversation: &ConversationId,
    how: ConversationStatus,
) -> Result<Option<Seq>, StoreError> {
    let kind = match how {
        ConversationStatus::Ended => EventKind::Ended,
        _ => EventKind::Resolved,
    };
    let Some(seq) = change(state, conversation, StatusChange::Close(how), kind).await? else {
        return Ok(None);
    };
    queue_moved(state, conversation).await?;
    assign_waiting(state).await?;
    Ok(Some(seq))
}

async fn queue_moved(state: &AppState, conversation: &ConversationId) -> Result<(), StoreError> {
    if let Some(site) = events::site_of(&state.db, conversation).await? {
        site_queue_moved(state, &site);
    }
    Ok(())
}

/// `site`'s queue moved: here and on the other nodes.
pub fn site_queue_moved(state: &AppState, site: &str) {
    site_queue_moved_here(state, site);
    state.bus.queue_moved(site);
}

/// `site`'s queue moved: the board reads it again, then this node's listeners are told (in
/// that order, so nobody told reads the old queue).
pub fn site_queue_moved_here(state: &AppState, site: &str) {
    state.queues.moved(site);
    state.hub.queue_changed(site);
}

/// Every site's queue may have moved (an agent came online or left): waiting visitors
/// recompute their expected wait and consoles refresh their inbox, on every node.
pub fn all_queues_moved(state: &AppState) {
    for site in &state.config.sites {
        site_queue_moved(state, site.id.as_str());
    }
}

/// [`all_queues_moved`] on this node only (another node said so already).
pub fn all_queues_moved_here(state: &AppState) {
    for site in &state.config.sites {
        site_queue_moved_here(state, site.id.as_str());
    }
}

/// The visitor (`by_agent` false) or the agent started or stopped typing: not stored, told
/// to the conversation's listeners here and on the other nodes.
pub fn typing(state: &AppState, conversation: &ConversationId, by_agent: bool, typing: bool) {
    state.hub.typing(conversation, by_agent, typing);
    state.bus.typing(conversation, by_agent, typing);
}

/// Puts conversations whose agent is gone back in the queue, at their old place, and gives
/// them to whoever is free (`why` goes to the log).
pub async fn requeue(
    state: &AppState,
    orphans: Vec<(ConversationId, ito_protocol::chat::HandoffReason)>,
    why: &str,
) -> Result<(), StoreError> {
    if orphans.is_empty() {
        return Ok(());
    }
    for (conversation, reason) in orphans {
        let requested = EventKind::HandoffRequested { reason };
        if change(state, &conversation, StatusChange::Requeue, requested)
            .await?
            .is_some()
        {
            tracing::info!(%conversation, "back in the queue: {why}");
        }
    }
    all_queues_moved(state);
    assign_waiting(state).await
}

/// Gives waiting conversations, oldest first, to the online agents with the most room, until
/// one of them runs out. One assignment round at a time, on this node and across nodes, so two
/// rounds never both count the same free seat.
pub async fn assign_waiting(state: &AppState) -> Result<(), StoreError> {
    let _here = state.assigning.lock().await;
    let round = Round::begin(&state.db).await?;
    let assigned = assign_in_round(state).await;
    round.end().await?;
    assigned
}

async fn assign_in_round(state: &AppState) -> Result<(), StoreError> {
    let waiting = events::waiting(&state.db).await?;
    if waiting.is_empty() {
        return Ok(());
    }
    let (mut loads, names): (Vec<_>, Vec<_>) = events::agent_loads(&state.db)
        .await?
        .into_iter()
        .map(|(mut load, name)| {
            load.online = state.presence.is_online(&load.id);
            (load, name)
        })
        .unzip();
    for conversation in waiting {
        let Some(chosen) = routing::pick(&loads).map(|a| a.id.clone()) else {
            return Ok(());
        };
        let at = loads
            .iter()
            .position(|a| a.id == chosen)
            .expect("picked from loads");
        let agent = AgentRef {
            id: chosen,
            name: names[at].clone(),
        };
        if take(state, &conversation, &agent).await? == Claim::Won {
            loads[at].open += 1;
        }
    }
    Ok(())
}

/// A waiting conversation's place in `site`'s queue and the seconds it should expect to wait
/// (if anything can honestly be said), from the site's shared snapshot of its queue.
pub async fn place_in_queue(
    state: &AppState,
    site: &str,
    conversation: &ConversationId,
) -> Result<Option<(u32, Option<u32>)>, StoreError> {
    let snapshot = state.queues.snapshot(&state.db, site).await?;
    let Some(position) = snapshot.place(conversation) else {
        return Ok(None);
    };
    let online = state.presence.online_agents();
    let wait = routing::expected_wait(position, &snapshot.recent_waits, online);
    let hours = state.config.site(site).and_then(|s| s.hours.as_ref());
    let wait = routing::within_hours(wait, jiff::Timestamp::now(), hours);
    Ok(Some((position, wait)))
}

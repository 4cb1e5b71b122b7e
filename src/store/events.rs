//! Conversations and their numbered events in SQLite: the part of the store that makes "nothing
//! lost, nothing doubled" true. An event is appended in one immediate transaction that bumps the
//! conversation's `last_seq`, inserts the event and, for a message, claims its client id; the
//! caller acknowledges only after that commit. A resent message finds its id taken and gets
//! the original sequence number back, with nothing stored twice.

use ito_protocol::chat::{
    AgentRef, ConversationId, ConversationStatus, EarlierConversation, Event, EventKind,
    HandoffContext, HandoffReason, InboxEntry, Seq, VisitorIdentity,
};

use super::{BeginWrite, Conn, Store, random_hex, sql, with_conn, with_pool};
use crate::live::routing::AgentLoad;

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
    /// A batch of appends could not be committed (each waiting append gets this).
    #[error("the events could not be stored: {0}")]
    NotStored(String),
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
    store: &Store,
    site: &str,
) -> Result<(String, ConversationId), StoreError> {
    let visitor = random_hex(12);
    let conversation = random_hex(12);
    with_pool!(store, |pool, _PG| {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO visitors (id, site) VALUES ($1, $2)")
            .bind(&visitor)
            .bind(site)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO conversations (id, site, visitor_id) VALUES ($1, $2, $3)")
            .bind(&conversation)
            .bind(site)
            .bind(&visitor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    });
    let conversation = conversation
        .parse()
        .expect("24 hex digits make a conversation id");
    Ok((visitor, conversation))
}

/// The newest conversation of the verified visitor `external_id` on `site`.
pub async fn latest_of_verified(
    store: &Store,
    site: &str,
    external_id: &str,
) -> Result<Option<ConversationId>, StoreError> {
    let id: Option<String> = with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT c.id FROM conversations c JOIN visitors v ON v.id = c.visitor_id
         WHERE v.site = $1 AND v.external_id = $2 AND v.verified
         ORDER BY c.created_at DESC, c.rowid DESC LIMIT 1",
    )
    .bind(site)
    .bind(external_id)
    .fetch_optional(pool)
    .await)?;
    Ok(id.and_then(|id| id.parse().ok()))
}

/// Records who the visitor of `conversation` is. A verified visitor already known on this
/// site gets this device's conversations, so their history is one; a claim never overwrites
/// a verified visitor.
pub async fn identify(
    store: &Store,
    conversation: &ConversationId,
    who: &VisitorIdentity,
) -> Result<(), StoreError> {
    with_pool!(store, |pool, PG| {
        let mut tx = pool.begin_write().await?;
        let row: Option<(String, String, bool, Option<String>)> = sqlx::query_as(sql(
            PG,
            "SELECT c.visitor_id, c.site, v.verified, v.external_id
             FROM conversations c JOIN visitors v ON v.id = c.visitor_id WHERE c.id = $1",
            // Two devices of one person identifying at once are taken in turn.
            "SELECT c.visitor_id, c.site, v.verified, v.external_id
             FROM conversations c JOIN visitors v ON v.id = c.visitor_id WHERE c.id = $1
             FOR UPDATE",
        ))
        .bind(conversation.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let (visitor, site, verified, external_id) =
            row.ok_or_else(|| StoreError::UnknownConversation(conversation.clone()))?;
        if verified && external_id != who.id {
            // Someone else's verified conversation is never relabelled or moved (shared
            // devices: the chat layer starts a conversation of their own instead).
            return Ok(());
        }
        let known: Option<String> = match (&who.id, who.verified) {
            (Some(external_id), true) => {
                sqlx::query_scalar(
                    "SELECT id FROM visitors WHERE site = $1 AND external_id = $2 AND verified",
                )
                .bind(&site)
                .bind(external_id)
                .fetch_optional(&mut *tx)
                .await?
            }
            _ => None,
        };
        let target = match known {
            Some(known) if known != visitor => {
                sqlx::query("UPDATE conversations SET visitor_id = $1 WHERE visitor_id = $2")
                    .bind(&known)
                    .bind(&visitor)
                    .execute(&mut *tx)
                    .await?;
                known
            }
            _ => visitor,
        };
        sqlx::query(
            "UPDATE visitors SET external_id = $1, name = COALESCE($2, name),
                 email = COALESCE($3, email), verified = $4
             WHERE id = $5 AND (NOT verified OR $6)",
        )
        .bind(&who.id)
        .bind(&who.name)
        .bind(&who.email)
        .bind(who.verified)
        .bind(&target)
        .bind(who.verified)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    });
    Ok(())
}

/// The visitor's own answers (the pre-chat form): kept where nothing is known yet, never over
/// what the host page said.
pub async fn remember_contact(
    store: &Store,
    conversation: &ConversationId,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<(), StoreError> {
    with_pool!(store, |pool, PG| sqlx::query(
        "UPDATE visitors SET name = COALESCE(name, $1), email = COALESCE(email, $2)
         WHERE id = (SELECT visitor_id FROM conversations WHERE id = $3)",
    )
    .bind(name)
    .bind(email)
    .bind(conversation.as_str())
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// The address the visitor gave for mail, in place of one they gave before; an address the
/// host page vouched for (a verified visitor's) stays.
pub async fn set_email(
    store: &Store,
    conversation: &ConversationId,
    email: &str,
) -> Result<(), StoreError> {
    with_pool!(store, |pool, PG| sqlx::query(sql(
        PG,
        "UPDATE visitors SET email = CASE WHEN verified = 1 THEN COALESCE(email, $1) ELSE $1 END
         WHERE id = (SELECT visitor_id FROM conversations WHERE id = $2)",
        "UPDATE visitors SET email = CASE WHEN verified THEN COALESCE(email, $1) ELSE $1 END
         WHERE id = (SELECT visitor_id FROM conversations WHERE id = $2)",
    ))
    .bind(email)
    .bind(conversation.as_str())
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Who the visitor of `conversation` said they are, if they said anything.
pub async fn visitor_of(
    store: &Store,
    conversation: &ConversationId,
) -> Result<Option<VisitorIdentity>, StoreError> {
    type Row = (Option<String>, Option<String>, Option<String>, bool);
    let row: Option<Row> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT v.external_id, v.name, v.email, v.verified
         FROM conversations c JOIN visitors v ON v.id = c.visitor_id WHERE c.id = $1",
    )
    .bind(conversation.as_str())
    .fetch_optional(pool)
    .await)?;
    Ok(row
        .filter(|(id, name, email, _)| id.is_some() || name.is_some() || email.is_some())
        .map(|(id, name, email, verified)| VisitorIdentity {
            id,
            name,
            email,
            verified,
        }))
}

/// The site a conversation belongs to, if it exists.
pub async fn site_of(
    store: &Store,
    conversation: &ConversationId,
) -> Result<Option<String>, StoreError> {
    Ok(with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT site FROM conversations WHERE id = $1"
    )
    .bind(conversation.as_str())
    .fetch_optional(pool)
    .await)?)
}

/// Who has a conversation after a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This agent has it now.
    Won,
    /// Another agent took it first (their id), or it is not waiting for anyone.
    Taken(Option<String>),
}

/// Puts a conversation in its site's queue (without its event: for seeding and tests; the
/// server hands off through the appender). See [`StatusChange::Handoff`].
pub async fn request_handoff(
    store: &Store,
    conversation: &ConversationId,
    reason: HandoffReason,
    context: &HandoffContext,
) -> Result<bool, StoreError> {
    let change = StatusChange::handoff(reason, context);
    with_pool!(store, |pool, _PG| {
        change_in(
            Conn::from(&mut *pool.acquire().await?),
            conversation,
            &change,
        )
        .await
    })
}

/// A stored reason or status (the protocol's name for it, e.g. `not_helpful`) read back.
fn parse_name<T: serde::de::DeserializeOwned>(stored: String) -> Result<T, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(stored))
}

/// Why and with what context a conversation was handed off, if it was.
pub async fn handoff_of(
    store: &Store,
    conversation: &ConversationId,
) -> Result<Option<(HandoffReason, HandoffContext)>, StoreError> {
    let row: Option<(Option<String>, Option<String>)> =
        with_pool!(store, |pool, PG| sqlx::query_as(sql(
            PG,
            "SELECT handoff_reason, handoff_context FROM conversations WHERE id = $1",
            "SELECT handoff_reason, handoff_context::text FROM conversations WHERE id = $1",
        ))
        .bind(conversation.as_str())
        .fetch_optional(pool)
        .await)?;
    let Some((Some(reason), Some(context))) = row else {
        return Ok(None);
    };
    let corrupt = |source| StoreError::Corrupt {
        conversation: conversation.clone(),
        seq: 0,
        source,
    };
    let reason = parse_name(reason).map_err(corrupt)?;
    let context = serde_json::from_str(&context).map_err(corrupt)?;
    Ok(Some((reason, context)))
}

/// Every open conversation (waiting or assigned), oldest handoff first, with who has it, the
/// visitor's name and their latest words (from the chat, else from the bot transcript).
/// What both backends' inbox queries read from: the open conversations, oldest handoff first.
macro_rules! inbox_from {
    () => {
        "
         FROM conversations c
         JOIN visitors v ON v.id = c.visitor_id
         LEFT JOIN agents a ON a.id = c.agent_id
         WHERE c.status IN ('waiting', 'assigned')
         ORDER BY c.handed_off_at, c.id"
    };
}

pub async fn inbox(store: &Store) -> Result<Vec<InboxEntry>, StoreError> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = with_pool!(store, |pool, PG| sqlx::query_as(sql(
        PG,
        concat!(
            "SELECT c.id, c.site, c.status, c.agent_id, a.name, c.handoff_reason, c.handed_off_at,
                v.name,
                COALESCE(
                    (SELECT json_extract(e.body, '$.message.text') FROM events e
                     WHERE e.conversation_id = c.id
                       AND json_extract(e.body, '$.message.author') = 'visitor'
                     ORDER BY e.seq DESC LIMIT 1),
                    (SELECT json_extract(t.value, '$.text')
                     FROM json_each(c.handoff_context, '$.transcript') t
                     WHERE json_extract(t.value, '$.author') = 'visitor'
                     ORDER BY t.key DESC LIMIT 1))",
            inbox_from!()
        ),
        concat!(
            "SELECT c.id, c.site, c.status, c.agent_id, a.name, c.handoff_reason, c.handed_off_at,
                v.name,
                COALESCE(
                    (SELECT e.body -> 'message' ->> 'text' FROM events e
                     WHERE e.conversation_id = c.id
                       AND e.body -> 'message' ->> 'author' = 'visitor'
                     ORDER BY e.seq DESC LIMIT 1),
                    (SELECT t.line ->> 'text'
                     FROM jsonb_array_elements(c.handoff_context -> 'transcript')
                          WITH ORDINALITY AS t (line, n)
                     WHERE t.line ->> 'author' = 'visitor'
                     ORDER BY t.n DESC LIMIT 1))",
            inbox_from!()
        ),
    ))
    .fetch_all(pool)
    .await)?;
    let mut labels = super::labels::of_open(store).await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, site, status, agent_id, agent_name, reason, since, visitor, preview)| {
                Some(InboxEntry {
                    labels: labels.remove(&id).unwrap_or_default(),
                    conversation: id.parse().ok()?,
                    site,
                    status: parse_name(status).ok()?,
                    agent: agent_id
                        .zip(agent_name)
                        .map(|(id, name)| AgentRef { id, name }),
                    reason: reason.and_then(|r| parse_name(r).ok()),
                    since,
                    visitor,
                    preview: preview.map(|p| p.chars().take(PREVIEW_CHARS).collect()),
                })
            },
        )
        .collect())
}

/// The conversations waiting for a person, oldest handoff first.
pub async fn waiting(store: &Store) -> Result<Vec<ConversationId>, StoreError> {
    let ids: Vec<String> = with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT id FROM conversations WHERE status = 'waiting' ORDER BY handed_off_at, id",
    )
    .fetch_all(pool)
    .await)?;
    Ok(ids.into_iter().filter_map(|id| id.parse().ok()).collect())
}

/// Conversations still assigned to agents who were removed, with why they were handed off.
pub async fn assigned_to_removed(
    store: &Store,
) -> Result<Vec<(ConversationId, HandoffReason)>, StoreError> {
    let rows: Vec<(String, Option<String>)> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT c.id, c.handoff_reason FROM conversations c JOIN agents a ON a.id = c.agent_id
         WHERE c.status = 'assigned' AND a.removed_at IS NOT NULL",
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, reason)| {
            let reason = reason
                .and_then(|r| parse_name(r).ok())
                .unwrap_or(HandoffReason::Asked);
            Some((id.parse().ok()?, reason))
        })
        .collect())
}

/// One site's waiting conversations in queue order (place 1 first).
pub async fn waiting_on(store: &Store, site: &str) -> Result<Vec<ConversationId>, StoreError> {
    let ids: Vec<String> = with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT id FROM conversations WHERE site = $1 AND status = 'waiting'
         ORDER BY handed_off_at, id",
    )
    .bind(site)
    .fetch_all(pool)
    .await)?;
    Ok(ids.into_iter().filter_map(|id| id.parse().ok()).collect())
}

/// Waiting conversations whose visitor has written nothing since their latest handoff: only
/// these may be abandoned (a message left for the person waits for one).
pub async fn waiting_without_words(
    store: &Store,
) -> Result<std::collections::HashSet<ConversationId>, StoreError> {
    let ids: Vec<String> = with_pool!(store, |pool, PG| sqlx::query_scalar(sql(
        PG,
        "SELECT c.id FROM conversations c
         WHERE c.status = 'waiting' AND NOT EXISTS (
             SELECT 1 FROM events e
             WHERE e.conversation_id = c.id
               AND json_extract(e.body, '$.message.author') = 'visitor'
               AND e.seq > (SELECT COALESCE(MAX(h.seq), 0) FROM events h
                            WHERE h.conversation_id = c.id
                              AND json_type(h.body, '$.handoff_requested') IS NOT NULL))",
        "SELECT c.id FROM conversations c
         WHERE c.status = 'waiting' AND NOT EXISTS (
             SELECT 1 FROM events e
             WHERE e.conversation_id = c.id
               AND e.body -> 'message' ->> 'author' = 'visitor'
               AND e.seq > (SELECT COALESCE(MAX(h.seq), 0) FROM events h
                            WHERE h.conversation_id = c.id
                              AND h.body -> 'handoff_requested' IS NOT NULL))",
    ))
    .fetch_all(pool)
    .await)?;
    Ok(ids.into_iter().filter_map(|id| id.parse().ok()).collect())
}

/// How much of the visitor's latest words the inbox shows.
const PREVIEW_CHARS: usize = 140;

/// Where a conversation stands and who has it.
pub async fn status_of(
    store: &Store,
    conversation: &ConversationId,
) -> Result<(ConversationStatus, Option<AgentRef>), StoreError> {
    let row: Option<(String, Option<String>, Option<String>)> =
        with_pool!(store, |pool, PG| sqlx::query_as(
            "SELECT c.status, c.agent_id, a.name FROM conversations c
         LEFT JOIN agents a ON a.id = c.agent_id WHERE c.id = $1",
        )
        .bind(conversation.as_str())
        .fetch_optional(pool)
        .await)?;
    let (status, agent_id, agent_name) =
        row.ok_or_else(|| StoreError::UnknownConversation(conversation.clone()))?;
    let status = parse_name(status).map_err(|source| StoreError::Corrupt {
        conversation: conversation.clone(),
        seq: 0,
        source,
    })?;
    let agent = agent_id
        .zip(agent_name)
        .map(|(id, name)| AgentRef { id, name });
    Ok((status, agent))
}

/// The same visitor's other conversations, newest first, at most 20.
pub async fn earlier(
    store: &Store,
    conversation: &ConversationId,
) -> Result<Vec<EarlierConversation>, StoreError> {
    let rows: Vec<(String, String, String, Option<String>)> =
        with_pool!(store, |pool, PG| sqlx::query_as(sql(
            PG,
            "SELECT o.id, o.created_at, o.status,
                (SELECT json_extract(e.body, '$.message.text') FROM events e
                 WHERE e.conversation_id = o.id
                   AND json_extract(e.body, '$.message.author') = 'visitor'
                 ORDER BY e.seq LIMIT 1)
         FROM conversations c JOIN conversations o
           ON o.visitor_id = c.visitor_id AND o.id != c.id
         WHERE c.id = $1 ORDER BY o.created_at DESC LIMIT 20",
            "SELECT o.id, o.created_at, o.status,
                (SELECT e.body -> 'message' ->> 'text' FROM events e
                 WHERE e.conversation_id = o.id
                   AND e.body -> 'message' ->> 'author' = 'visitor'
                 ORDER BY e.seq LIMIT 1)
         FROM conversations c JOIN conversations o
           ON o.visitor_id = c.visitor_id AND o.id != c.id
         WHERE c.id = $1 ORDER BY o.created_at DESC LIMIT 20",
        ))
        .bind(conversation.as_str())
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, started, status, first_words)| {
            Some(EarlierConversation {
                conversation: id.parse().ok()?,
                started,
                status: parse_name(status).ok()?,
                first_words: first_words.map(|w| w.chars().take(PREVIEW_CHARS).collect()),
            })
        })
        .collect())
}

/// Every agent (with their name) with their capacity and how many open conversations they
/// have now, for routing. `online` is left false: presence lives in memory, not here.
pub async fn agent_loads(store: &Store) -> Result<Vec<(AgentLoad, String)>, StoreError> {
    let rows: Vec<(String, String, i64, i64)> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT a.id, a.name, a.capacity,
                (SELECT COUNT(*) FROM conversations c
                 WHERE c.agent_id = a.id AND c.status = 'assigned')
         FROM agents a WHERE a.removed_at IS NULL AND a.role <> 'editor' ORDER BY a.id",
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, capacity, open)| {
            let load = AgentLoad {
                id,
                online: false,
                capacity: capacity as u32,
                open: open as u32,
            };
            (load, name)
        })
        .collect())
}

/// How long, in seconds, the site's last 20 visitors to get a person waited for one.
pub async fn recent_waits(store: &Store, site: &str) -> Result<Vec<u64>, StoreError> {
    let waits: Vec<f64> = with_pool!(store, |pool, PG| {
        sqlx::query_scalar(sql(
        PG,
        "SELECT (julianday(assigned_at) - julianday(handed_off_at)) * 86400.0
         FROM conversations
         WHERE site = $1 AND assigned_at IS NOT NULL AND handed_off_at IS NOT NULL
         ORDER BY assigned_at DESC LIMIT 20",
        "SELECT EXTRACT(EPOCH FROM assigned_at::timestamptz - handed_off_at::timestamptz)::float8
         FROM conversations
         WHERE site = $1 AND assigned_at IS NOT NULL AND handed_off_at IS NOT NULL
         ORDER BY assigned_at DESC LIMIT 20",
    ))
    .bind(site)
    .fetch_all(pool)
    .await
    })?;
    Ok(waits
        .into_iter()
        .map(|w| w.max(0.0).round() as u64)
        .collect())
}

/// A change of a conversation's status, stored in the same transaction as the event that
/// tells of it (see [`crate::store::appender::Appender::append_if`]): either both are stored or
/// neither, so a retry after a failure is never a silent no-op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    /// A waiting conversation given to an agent (told by `AgentJoined`).
    Claim { agent: String },
    /// An open conversation resolved by its agent or ended by the visitor.
    Close(ConversationStatus),
    /// A conversation with the bot (or a closed one, asked again) joins its site's queue
    /// with why and what the widget knew (`context` as JSON); one already waiting or with
    /// an agent is left as it is (told by `HandoffRequested`).
    Handoff {
        reason: HandoffReason,
        context: String,
    },
    /// An assigned conversation whose agent was removed goes back to the queue, at its old
    /// place (told by `HandoffRequested`, as a visitor's widget understands it).
    Requeue,
    /// An agent's conversation handed to another agent (told by `AgentJoined`); a
    /// conversation no longer theirs is left as it is.
    Transfer { from: String, to: String },
    /// A resolved or ended conversation opened again by an agent, as theirs (told by
    /// `AgentJoined`).
    Reopen { agent: String },
}

impl StatusChange {
    pub fn handoff(reason: HandoffReason, context: &HandoffContext) -> StatusChange {
        StatusChange::Handoff {
            reason,
            context: serde_json::to_string(context).expect("contexts serialize"),
        }
    }
}

/// Applies `change` inside the caller's transaction; whether it applied (a conversation
/// already claimed or closed is left as it is).
pub(crate) async fn change_in(
    tx: Conn<'_>,
    conversation: &ConversationId,
    change: &StatusChange,
) -> Result<bool, StoreError> {
    let changed = with_conn!(tx, |c, PG| match change {
        StatusChange::Claim { agent } => {
            sqlx::query(sql(
                PG,
                "UPDATE conversations SET status = 'assigned', agent_id = $1,
                     assigned_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = $2 AND status = 'waiting'",
                "UPDATE conversations SET status = 'assigned', agent_id = $1,
                     assigned_at = ito_now()
                 WHERE id = $2 AND status = 'waiting'",
            ))
            .bind(agent)
            .bind(conversation.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected()
        }
        StatusChange::Close(how) => {
            let status = match how {
                ConversationStatus::Resolved => "resolved",
                ConversationStatus::Ended => "ended",
                other => panic!("{other:?} does not close a conversation"),
            };
            sqlx::query(sql(
                PG,
                "UPDATE conversations SET status = $1,
                     closed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = $2 AND status IN ('bot', 'waiting', 'assigned')",
                "UPDATE conversations SET status = $1, closed_at = ito_now()
                 WHERE id = $2 AND status IN ('bot', 'waiting', 'assigned')",
            ))
            .bind(status)
            .bind(conversation.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected()
        }
        // A closed conversation asked again is opened again, from the back of the queue.
        StatusChange::Handoff { reason, context } => {
            sqlx::query(sql(
                PG,
                "UPDATE conversations SET handoff_reason = $1, handoff_context = $2,
                     status = 'waiting', agent_id = NULL, assigned_at = NULL,
                     handed_off_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), closed_at = NULL
                 WHERE id = $3 AND status IN ('bot', 'resolved', 'ended')",
                "UPDATE conversations SET handoff_reason = $1, handoff_context = $2::jsonb,
                     status = 'waiting', agent_id = NULL, assigned_at = NULL,
                     handed_off_at = ito_now(), closed_at = NULL
                 WHERE id = $3 AND status IN ('bot', 'resolved', 'ended')",
            ))
            // Stored as the protocol's name for it, e.g. "not_helpful".
            .bind(
                serde_json::to_value(reason)
                    .expect("reasons serialize")
                    .as_str()
                    .map(str::to_owned),
            )
            .bind(context)
            .bind(conversation.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected()
        }
        StatusChange::Transfer { from, to } => sqlx::query(sql(
            PG,
            "UPDATE conversations SET agent_id = $1,
                 assigned_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = $2 AND status = 'assigned' AND agent_id = $3",
            "UPDATE conversations SET agent_id = $1, assigned_at = ito_now()
             WHERE id = $2 AND status = 'assigned' AND agent_id = $3",
        ))
        .bind(to)
        .bind(conversation.as_str())
        .bind(from)
        .execute(&mut *c)
        .await?
        .rows_affected(),
        StatusChange::Reopen { agent } => sqlx::query(sql(
            PG,
            "UPDATE conversations SET status = 'assigned', agent_id = $1, closed_at = NULL,
                 assigned_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = $2 AND status IN ('resolved', 'ended')",
            "UPDATE conversations SET status = 'assigned', agent_id = $1, closed_at = NULL,
                 assigned_at = ito_now()
             WHERE id = $2 AND status IN ('resolved', 'ended')",
        ))
        .bind(agent)
        .bind(conversation.as_str())
        .execute(&mut *c)
        .await?
        .rows_affected(),
        StatusChange::Requeue => sqlx::query(
            "UPDATE conversations SET status = 'waiting', agent_id = NULL, assigned_at = NULL
             WHERE id = $1 AND status = 'assigned'",
        )
        .bind(conversation.as_str())
        .execute(&mut *c)
        .await?
        .rows_affected(),
    });
    Ok(changed == 1)
}

/// Gives a waiting conversation to `agent` (without its event: for seeding and tests; the
/// server claims through the appender). One statement decides, so of two agents claiming at
/// once exactly one wins.
pub async fn claim(
    store: &Store,
    conversation: &ConversationId,
    agent: &str,
) -> Result<Claim, StoreError> {
    let change = StatusChange::Claim {
        agent: agent.to_owned(),
    };
    let won = with_pool!(store, |pool, _PG| {
        change_in(
            Conn::from(&mut *pool.acquire().await?),
            conversation,
            &change,
        )
        .await?
    });
    if won {
        return Ok(Claim::Won);
    }
    holder(store, conversation).await.map(Claim::Taken)
}

/// Who has a conversation now (`None`: nobody), or that it does not exist.
pub async fn holder(
    store: &Store,
    conversation: &ConversationId,
) -> Result<Option<String>, StoreError> {
    let holder: Option<Option<String>> = with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT agent_id FROM conversations WHERE id = $1"
    )
    .bind(conversation.as_str())
    .fetch_optional(pool)
    .await)?;
    holder.ok_or_else(|| StoreError::UnknownConversation(conversation.clone()))
}

/// The agent a conversation is assigned to, if any.
pub async fn assignee(
    store: &Store,
    conversation: &ConversationId,
) -> Result<Option<String>, StoreError> {
    let holder: Option<Option<String>> = with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT agent_id FROM conversations WHERE id = $1 AND status = 'assigned'",
    )
    .bind(conversation.as_str())
    .fetch_optional(pool)
    .await)?;
    Ok(holder.flatten())
}

/// Closes a conversation: `Resolved` by its agent, `Ended` by the visitor (without its event:
/// for seeding and tests). Returns whether it was open (waiting or assigned, or with the bot
/// for the visitor's end) and is closed now; a second close changes nothing.
pub async fn close(
    store: &Store,
    conversation: &ConversationId,
    how: ConversationStatus,
) -> Result<bool, StoreError> {
    with_pool!(store, |pool, _PG| {
        let mut connection = pool.acquire().await?;
        change_in(
            Conn::from(&mut *connection),
            conversation,
            &StatusChange::Close(how),
        )
        .await
    })
}

/// Appends wait their turn here, in order, rather than in SQLite's busy handler, whose back-off
/// sleeps (up to 100 ms) became the chat's tail latency under load. `BEGIN IMMEDIATE` still
/// takes the database's write lock first, for writers outside this process.
pub(crate) static APPEND_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Appends an event and returns its number once it is durable. A message whose client id is
/// already stored is not stored again: the original's number comes back, marked duplicate.
///
/// The server appends through [`crate::store::appender::Appender`], which commits many appends at
/// once; this is the same for one.
pub async fn append(
    store: &Store,
    conversation: &ConversationId,
    kind: &EventKind,
    at: i64,
) -> Result<Appended, StoreError> {
    let _turn = APPEND_TURN.lock().await;
    with_pool!(store, |pool, _PG| {
        let mut tx = pool.begin_write().await?;
        lock_for_append(Conn::from(&mut *tx), &[conversation]).await?;
        let appended = append_in(Conn::from(&mut *tx), conversation, kind, at).await?;
        tx.commit().await?;
        Ok(appended)
    })
}

/// Locks the rows of `conversations` (PostgreSQL; SQLite's `BEGIN IMMEDIATE` has already
/// serialised whole transactions), in one order for everyone so two transactions never wait
/// on each other: of one message resent to two nodes at once, the second waits here for the
/// first to commit, then finds its id.
pub(crate) async fn lock_for_append(
    tx: Conn<'_>,
    conversations: &[&ConversationId],
) -> Result<(), sqlx::Error> {
    if let Conn::Postgres(c) = tx {
        let mut ids: Vec<&str> = conversations.iter().map(|c| c.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        sqlx::query("SELECT 1 FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(ids)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// The append itself, inside the caller's transaction, which has the write lock (SQLite) or
/// the conversation's row ([`lock_for_append`]).
pub(crate) async fn append_in(
    tx: Conn<'_>,
    conversation: &ConversationId,
    kind: &EventKind,
    at: i64,
) -> Result<Appended, StoreError> {
    let message_id = kind.client_id();
    let body = serde_json::to_string(kind).expect("events always serialize");
    with_conn!(tx, |c, PG| {
        if let Some(id) = message_id {
            let stored: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM message_ids WHERE conversation_id = $1 AND client_id = $2",
            )
            .bind(conversation.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *c)
            .await?;
            if let Some(seq) = stored {
                return Ok(Appended {
                    seq: seq as Seq,
                    duplicate: true,
                });
            }
        }
        let seq: Option<i64> = sqlx::query_scalar(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
        )
        .bind(conversation.as_str())
        .fetch_optional(&mut *c)
        .await?;
        let seq = seq.ok_or_else(|| StoreError::UnknownConversation(conversation.clone()))?;
        sqlx::query(sql(
            PG,
            "INSERT INTO events (conversation_id, seq, at, body) VALUES ($1, $2, $3, $4)",
            "INSERT INTO events (conversation_id, seq, at, body) VALUES ($1, $2, $3, $4::jsonb)",
        ))
        .bind(conversation.as_str())
        .bind(seq)
        .bind(at)
        .bind(&body)
        .execute(&mut *c)
        .await?;
        if let Some(id) = message_id {
            sqlx::query(
                "INSERT INTO message_ids (conversation_id, client_id, seq) VALUES ($1, $2, $3)",
            )
            .bind(conversation.as_str())
            .bind(id.as_str())
            .bind(seq)
            .execute(&mut *c)
            .await?;
        }
        Ok(Appended {
            seq: seq as Seq,
            duplicate: false,
        })
    })
}

/// The events after `after`, oldest first, at most `limit`: what a reconnecting client missed.
pub async fn events_after(
    store: &Store,
    conversation: &ConversationId,
    after: Seq,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let rows: Vec<(i64, i64, String)> = with_pool!(store, |pool, PG| sqlx::query_as(sql(
        PG,
        "SELECT seq, at, body FROM events WHERE conversation_id = $1 AND seq > $2
         ORDER BY seq LIMIT $3",
        "SELECT seq, at, body::text FROM events WHERE conversation_id = $1 AND seq > $2
         ORDER BY seq LIMIT $3",
    ))
    .bind(conversation.as_str())
    .bind(after as i64)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await)?;
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

/// The events named by (conversation, number), on PostgreSQL: what another node's notice
/// announced, read in one query for all its conversations. An event that cannot be read is
/// left out (its readers then read the store, and are told why).
pub async fn events_at(
    pool: &sqlx::PgPool,
    wanted: &[(ConversationId, Seq)],
) -> Result<Vec<(ConversationId, Event)>, sqlx::Error> {
    let rows: Vec<(String, i64, i64, String)> = match wanted {
        // The common case, without arrays: planned once per connection, not at every call.
        [(conversation, seq)] => {
            sqlx::query_as(
                "SELECT conversation_id, seq, at, body::text FROM events
                 WHERE conversation_id = $1 AND seq = $2",
            )
            .bind(conversation.as_str())
            .bind(*seq as i64)
            .fetch_all(pool)
            .await?
        }
        _ => {
            let (conversations, seqs): (Vec<&str>, Vec<i64>) = wanted
                .iter()
                .map(|(conversation, seq)| (conversation.as_str(), *seq as i64))
                .unzip();
            sqlx::query_as(
                "SELECT e.conversation_id, e.seq, e.at, e.body::text
                 FROM unnest($1::text[], $2::bigint[]) AS w (conversation_id, seq)
                 JOIN events e ON e.conversation_id = w.conversation_id AND e.seq = w.seq",
            )
            .bind(conversations)
            .bind(seqs)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(conversation, seq, at, body)| {
            let kind = serde_json::from_str(&body).ok()?;
            let event = Event {
                seq: seq as Seq,
                at,
                kind,
            };
            Some((conversation.parse().ok()?, event))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use ito_protocol::chat::Author;

    use super::*;

    fn message(id: &str, text: &str) -> EventKind {
        EventKind::Message {
            id: id.parse().unwrap(),
            author: Author::Visitor,
            text: text.into(),
        }
    }

    async fn fresh() -> (tempfile::TempDir, Store) {
        let (dir, pool) = crate::store::testing::fresh().await.unwrap();
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
            with_pool!(&pool, |p, _PG| sqlx::query(
                "INSERT INTO agents (id, email, name, password_hash) VALUES ($1, $2, $3, 'x')",
            )
            .bind(agent)
            .bind(format!("{agent}@shop.example"))
            .bind(agent)
            .execute(p)
            .await
            .map(drop))
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
        let location = crate::store::testing::fresh_location(dir.path()).await;
        let conversation = {
            let pool = Store::open(&location).await.unwrap();
            let (_, conversation) = start_conversation(&pool, "demo").await.unwrap();
            append(&pool, &conversation, &message("m1", "kept"), 1)
                .await
                .unwrap();
            // No close: a kill must not lose what was acknowledged.
            drop(pool);
            conversation
        };
        let pool = Store::open(&location).await.unwrap();
        let events = events_after(&pool, &conversation, 0, 10).await.unwrap();
        assert_eq!(events[0].kind, message("m1", "kept"));
        let unknown: ConversationId = "nope".parse().unwrap();
        let err = append(&pool, &unknown, &message("m1", "x"), 1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownConversation(_)), "{err}");
    }
}

//! Notices between the nodes of one PostgreSQL database (`LISTEN`/`NOTIFY` on one channel).
//!
//! A notice carries only ids: which conversation's events were committed up to which number,
//! who typed, which site's queue moved, that presence changed. It is a hint, never the truth:
//! a node that hears of a commit reads the events from the store by sequence number, and a node
//! whose listening connection drops tells every local connection to read again what it may
//! have missed. Commits are announced by the group commit inside the batch's own transaction,
//! so no node hears of an event before it is committed. On SQLite (one node) nothing is sent.

use ito_protocol::chat::{ConversationId, Seq};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;

/// The one channel every node listens on.
pub const CHANNEL: &str = "ito";

/// PostgreSQL refuses payloads of 8,000 bytes or more; notices are cut below that.
const MAX_PAYLOAD: usize = 7_000;

/// What one notice says. Empty parts are left out of the payload.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The node that sent it: each node already told its own connections.
    pub node: String,
    /// Conversations with newly committed events, and the newest number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<(ConversationId, Seq)>,
    /// (conversation, by an agent, typing now).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub typing: Vec<(ConversationId, bool, bool)>,
    /// Sites whose queue moved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<String>,
    /// Some agent came online, went away, or left.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub presence: bool,
}

impl Notice {
    pub fn from(node: &str) -> Notice {
        Notice {
            node: node.to_owned(),
            ..Notice::default()
        }
    }

    fn payload(&self) -> String {
        serde_json::to_string(self).expect("notices serialize")
    }

    /// The payloads that announce `commits`, each under PostgreSQL's limit.
    pub fn commit_payloads(node: &str, commits: &[(ConversationId, Seq)]) -> Vec<String> {
        let mut payloads = Vec::new();
        let mut notice = Notice::from(node);
        let mut size = notice.payload().len();
        for (conversation, seq) in commits {
            // An id is at most 64 characters; with its number and punctuation under 100 bytes.
            let entry = conversation.as_str().len() + 30;
            if size + entry > MAX_PAYLOAD && !notice.commits.is_empty() {
                payloads.push(notice.payload());
                notice = Notice::from(node);
                size = notice.payload().len();
            }
            notice.commits.push((conversation.clone(), *seq));
            size += entry;
        }
        if !notice.commits.is_empty() {
            payloads.push(notice.payload());
        }
        payloads
    }
}

/// Sends `notice` now (outside any transaction: for what is not stored, or already committed).
pub async fn send(pool: &PgPool, notice: &Notice) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(notice.payload())
        .execute(pool)
        .await
        .map(drop)
}

/// What a node's listening connection hears next.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    Notice(Notice),
    /// The connection dropped (it is made again at the next call): notices may have been missed.
    Lost,
}

/// A node's listening connection.
pub struct Listener {
    listener: PgListener,
}

impl Listener {
    pub async fn start(pool: &PgPool) -> Result<Listener, sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Listener { listener })
    }

    /// The next notice, or that the connection was lost; an error when it cannot be made again.
    pub async fn next(&mut self) -> Result<Heard, sqlx::Error> {
        loop {
            match self.listener.try_recv().await? {
                None => return Ok(Heard::Lost),
                Some(notification) => match serde_json::from_str(notification.payload()) {
                    Ok(notice) => return Ok(Heard::Notice(notice)),
                    Err(e) => tracing::warn!(error = %e, "a notice that is not Ito's was ignored"),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_cut_into_payloads_under_the_limit_and_read_back_whole() {
        let commits: Vec<(ConversationId, Seq)> = (0..1_000)
            .map(|n| (format!("{n:0>24}").parse().unwrap(), n))
            .collect();
        let payloads = Notice::commit_payloads("node1", &commits);
        assert!(payloads.len() > 1);
        let mut read = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < 8_000, "{}", payload.len());
            let notice: Notice = serde_json::from_str(payload).unwrap();
            assert_eq!(notice.node, "node1");
            read.extend(notice.commits);
        }
        assert_eq!(read, commits);
        assert!(Notice::commit_payloads("node1", &[]).is_empty());
    }

    #[test]
    fn a_notice_leaves_out_what_it_does_not_say() {
        let mut notice = Notice::from("n");
        notice.queues.push("demo".into());
        assert_eq!(notice.payload(), r#"{"node":"n","queues":["demo"]}"#);
    }
}

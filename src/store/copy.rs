//! `ito db copy`: everything in one database (agents, sessions, visitors, conversations,
//! events, message ids, surveys, knowledge bases and their articles' versions, canned replies,
//! labels, the bot's turns, suggestions, attachments' descriptions (not their files), the mail outbox, the instance's settings) into another, empty one: how an
//! installation moves up from SQLite to PostgreSQL. Tables are copied in the order their
//! references need, a page at a time in primary-key order, each page in one transaction.

use sqlx::Row;

use super::{Store, StoreError, with_pool};

/// Rows read and written at a time.
const PAGE: i64 = 1_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Bool,
    /// Text in SQLite, JSONB in PostgreSQL.
    Json,
}

struct Table {
    name: &'static str,
    /// Every column, with the primary key's first (in order).
    columns: &'static [(&'static str, Kind)],
    /// How many of the first columns make the primary key.
    key: usize,
}

use Kind::{Bool, Int, Json, Text};

/// In the order references need. Conversations keep their creation order (`rowid` on both).
const TABLES: &[Table] = &[
    Table {
        name: "instance_settings",
        columns: &[("key", Text), ("value", Text), ("created_at", Text)],
        key: 1,
    },
    Table {
        name: "agents",
        columns: &[
            ("id", Text),
            ("email", Text),
            ("name", Text),
            ("password_hash", Text),
            ("role", Text),
            ("created_at", Text),
            ("capacity", Int),
            ("removed_at", Text),
        ],
        key: 1,
    },
    Table {
        name: "sessions",
        columns: &[
            ("token_hash", Text),
            ("agent_id", Text),
            ("expires_at", Int),
        ],
        key: 1,
    },
    Table {
        name: "visitors",
        columns: &[
            ("id", Text),
            ("site", Text),
            ("external_id", Text),
            ("name", Text),
            ("email", Text),
            ("verified", Bool),
            ("created_at", Text),
        ],
        key: 1,
    },
    Table {
        name: "conversations",
        columns: &[
            ("rowid", Int),
            ("id", Text),
            ("site", Text),
            ("visitor_id", Text),
            ("status", Text),
            ("agent_id", Text),
            ("last_seq", Int),
            ("created_at", Text),
            ("handed_off_at", Text),
            ("handoff_reason", Text),
            ("handoff_context", Json),
            ("assigned_at", Text),
            ("closed_at", Text),
            ("bot_resolved_at", Text),
        ],
        key: 1,
    },
    Table {
        name: "events",
        columns: &[
            ("conversation_id", Text),
            ("seq", Int),
            ("at", Int),
            ("body", Json),
        ],
        key: 2,
    },
    Table {
        name: "message_ids",
        columns: &[("conversation_id", Text), ("client_id", Text), ("seq", Int)],
        key: 2,
    },
    Table {
        name: "surveys",
        columns: &[
            ("conversation_id", Text),
            ("csat", Int),
            ("ces", Int),
            ("comment", Text),
            ("answered_at", Text),
        ],
        key: 1,
    },
    Table {
        name: "kb_bases",
        columns: &[
            ("site", Text),
            ("locale", Text),
            ("revision", Int),
            ("published_revision", Int),
            ("published_by", Text),
            ("published_at", Text),
            ("synonyms", Json),
        ],
        key: 2,
    },
    Table {
        name: "kb_article_versions",
        columns: &[
            ("site", Text),
            ("locale", Text),
            ("article_id", Text),
            ("version", Int),
            ("revision", Int),
            ("position", Int),
            ("body", Json),
            ("saved_by", Text),
            ("saved_at", Text),
        ],
        key: 4,
    },
    Table {
        name: "canned_replies",
        columns: &[
            ("site", Text),
            ("shortcut", Text),
            ("text", Text),
            ("saved_by", Text),
            ("saved_at", Text),
        ],
        key: 2,
    },
    Table {
        name: "labels",
        columns: &[("site", Text), ("name", Text), ("created_at", Text)],
        key: 2,
    },
    Table {
        name: "conversation_labels",
        columns: &[
            ("conversation_id", Text),
            ("label", Text),
            ("added_by", Text),
            ("added_at", Text),
        ],
        key: 2,
    },
    Table {
        name: "bot_turns",
        columns: &[
            ("conversation_id", Text),
            ("line", Int),
            ("site", Text),
            ("locale", Text),
            ("question", Text),
            ("article_id", Text),
            ("outcome", Text),
            ("helpful", Bool),
            ("handed_off", Bool),
            ("at", Text),
        ],
        key: 2,
    },
    Table {
        name: "kb_suggestions",
        columns: &[
            ("id", Text),
            ("site", Text),
            ("locale", Text),
            ("question", Text),
            ("article_id", Text),
            ("conversation_id", Text),
            ("agent_id", Text),
            ("status", Text),
            ("decided_by", Text),
            ("decided_at", Text),
            ("created_at", Text),
        ],
        key: 1,
    },
    Table {
        name: "attachments",
        columns: &[
            ("id", Text),
            ("conversation_id", Text),
            ("sent_by", Text),
            ("name", Text),
            ("media_type", Text),
            ("size", Int),
            ("sha256", Text),
            ("created_at", Text),
        ],
        key: 1,
    },
    Table {
        name: "mail_outbox",
        columns: &[
            ("id", Text),
            ("site", Text),
            ("conversation_id", Text),
            ("kind", Text),
            ("recipient", Text),
            ("subject", Text),
            ("body", Text),
            ("attempts", Int),
            ("next_attempt_at", Text),
            ("leased_until", Text),
            ("last_error", Text),
            ("sent_at", Text),
            ("failed_at", Text),
            ("created_at", Text),
        ],
        key: 1,
    },
];

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(
        "the target database is not empty ({0} conversations, agents or settings): copy into a new one"
    )]
    TargetNotEmpty(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// How many rows of each table were copied.
pub type Copied = Vec<(&'static str, u64)>;

/// Copies everything from `from` into `to`, which must hold nothing yet (a fresh migration
/// writes nothing but its own bookkeeping).
pub async fn copy(from: &Store, to: &Store) -> Result<Copied, CopyError> {
    let existing: i64 = with_pool!(to, |pool, _PG| sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM conversations) + (SELECT COUNT(*) FROM agents)
              + (SELECT COUNT(*) FROM instance_settings)"
    )
    .fetch_one(pool)
    .await)?;
    if existing > 0 {
        return Err(CopyError::TargetNotEmpty(existing));
    }
    let mut copied = Vec::new();
    for table in TABLES {
        let mut count = 0;
        let mut after: Option<Vec<Value>> = None;
        loop {
            let rows = read_page(from, table, after.as_deref()).await?;
            if rows.is_empty() {
                break;
            }
            write_page(to, table, &rows).await?;
            count += rows.len() as u64;
            after = rows.last().map(|row| row[..table.key].to_vec());
        }
        copied.push((table.name, count));
    }
    if let Store::Postgres(pool) = to {
        // Conversations made from now on come after the copied ones.
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('conversations', 'rowid'),
                           GREATEST((SELECT MAX(rowid) FROM conversations), 1))",
        )
        .execute(pool)
        .await?;
    }
    Ok(copied)
}

fn column_list(table: &Table, pg: bool) -> String {
    table
        .columns
        .iter()
        .map(|(name, kind)| match (kind, pg) {
            (Json, true) => format!("{name}::text"),
            _ => (*name).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn read_page(
    store: &Store,
    table: &Table,
    after: Option<&[Value]>,
) -> Result<Vec<Vec<Value>>, sqlx::Error> {
    let keys: Vec<&str> = table.columns[..table.key].iter().map(|(n, _)| *n).collect();
    let placeholders: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
    let filter = match after {
        Some(_) => format!(
            "WHERE ({}) > ({})",
            keys.join(", "),
            placeholders.join(", ")
        ),
        None => String::new(),
    };
    with_pool!(store, |pool, PG| {
        let sql = format!(
            "SELECT {} FROM {} {filter} ORDER BY {} LIMIT {PAGE}",
            column_list(table, PG),
            table.name,
            keys.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for value in after.unwrap_or_default() {
            query = match value {
                Value::Text(text) => query.bind(text.clone()),
                Value::Int(number) => query.bind(*number),
                Value::Bool(flag) => query.bind(*flag),
            };
        }
        let rows = query.fetch_all(pool).await?;
        rows.iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            Text | Json => Value::Text(row.try_get(i)?),
                            Int => Value::Int(row.try_get(i)?),
                            Bool => Value::Bool(row.try_get(i)?),
                        })
                    })
                    .collect()
            })
            .collect()
    })
}

async fn write_page(store: &Store, table: &Table, rows: &[Vec<Value>]) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
    with_pool!(store, |pool, PG| {
        let values: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| match (kind, PG) {
                (Json, true) => format!("${}::jsonb", i + 1),
                _ => format!("${}", i + 1),
            })
            .collect();
        // PostgreSQL makes conversations' rowid itself unless told to keep the given one.
        let overriding = if PG && table.name == "conversations" {
            "OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO {} ({}) {overriding} VALUES ({})",
            table.name,
            names.join(", "),
            values.join(", ")
        );
        let mut tx = pool.begin().await?;
        for row in rows {
            let mut query = sqlx::query(&sql);
            for value in row {
                query = match value {
                    Value::Text(text) => query.bind(text.clone()),
                    Value::Int(number) => query.bind(*number),
                    Value::Bool(flag) => query.bind(*flag),
                };
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}

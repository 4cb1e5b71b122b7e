//! What each file sent in a conversation is (its bytes are in the attachments folder).

use super::{Store, with_pool};

/// A stored file's description.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    pub id: String,
    pub conversation_id: String,
    pub sent_by: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

pub async fn insert(store: &Store, file: &Stored) -> Result<(), sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query(
        "INSERT INTO attachments (id, conversation_id, sent_by, name, media_type, size, sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(&file.id)
    .bind(&file.conversation_id)
    .bind(&file.sent_by)
    .bind(&file.name)
    .bind(&file.media_type)
    .bind(file.size)
    .bind(&file.sha256)
    .execute(pool)
    .await
    .map(drop))
}

pub async fn get(store: &Store, id: &str) -> Result<Option<Stored>, sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT id, conversation_id, sent_by, name, media_type, size, sha256
         FROM attachments WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

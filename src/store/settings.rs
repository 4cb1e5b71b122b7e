//! Settings that belong to this installation rather than to its config file, generated once
//! on first start and the same on every start after.

use super::{Store, StoreError, random_hex, with_pool};

/// A random value made once, `bytes` random bytes as hex.
async fn generated_once(store: &Store, key: &str, bytes: usize) -> Result<String, StoreError> {
    // Of two nodes starting at once, the first insert wins and both read it.
    let value = with_pool!(store, |pool, _PG| {
        sqlx::query(
            "INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(random_hex(bytes))
        .execute(pool)
        .await?;
        sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await?
    });
    Ok(value)
}

/// This installation's id.
pub async fn instance_id(store: &Store) -> Result<String, StoreError> {
    generated_once(store, "instance_id", 16).await
}

/// The secret conversation tokens are signed with: kept, so tokens stay good across restarts.
pub async fn token_secret(store: &Store) -> Result<Vec<u8>, StoreError> {
    Ok(generated_once(store, "token_secret", 32)
        .await?
        .into_bytes())
}

/// The demo agent's password: made on first start of the demo, the same afterwards.
pub async fn demo_agent_password(store: &Store) -> Result<String, StoreError> {
    generated_once(store, "demo_agent_password", 8).await
}

//! The SQLite store: opening, migrating, and the instance's own settings.

use std::path::Path;
use std::str::FromStr;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the directory for database {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot migrate database {path}: {source}")]
    Migrate {
        path: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error(transparent)]
    Query(#[from] sqlx::Error),
}

/// Opens (creating if needed) and migrates the database file.
///
/// WAL lets readers run beside the writer; `synchronous = FULL` makes a commit durable before
/// it returns, which is what "acknowledged only once stored" relies on.
pub async fn open(path: &Path) -> Result<SqlitePool, DbError> {
    let shown = path.display().to_string();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
            path: shown.clone(),
            source,
        })?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(|source| DbError::Open {
            path: shown.clone(),
            source,
        })?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|source| DbError::Open {
            path: shown.clone(),
            source,
        })?;
    sqlx::migrate!("./migrations/sqlite")
        .run(&pool)
        .await
        .map_err(|source| DbError::Migrate {
            path: shown,
            source,
        })?;
    Ok(pool)
}

/// A random value made once, on first start, from SQLite's own randomness (`bytes` random
/// bytes as hex), and the same on every start after.
async fn generated_once(pool: &SqlitePool, key: &str, bytes: u32) -> Result<String, DbError> {
    sqlx::query(
        "INSERT OR IGNORE INTO instance_settings (key, value)
         VALUES (?, lower(hex(randomblob(?))))",
    )
    .bind(key)
    .bind(bytes)
    .execute(pool)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = ?")
            .bind(key)
            .fetch_one(pool)
            .await?,
    )
}

/// This installation's id.
pub async fn instance_id(pool: &SqlitePool) -> Result<String, DbError> {
    generated_once(pool, "instance_id", 16).await
}

/// The secret conversation tokens are signed with: kept, so tokens stay good across restarts.
pub async fn token_secret(pool: &SqlitePool) -> Result<Vec<u8>, DbError> {
    Ok(generated_once(pool, "token_secret", 32).await?.into_bytes())
}

/// The demo agent's password: made on first start of the demo, the same afterwards.
pub async fn demo_agent_password(pool: &SqlitePool) -> Result<String, DbError> {
    generated_once(pool, "demo_agent_password", 8).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn creates_migrates_and_keeps_the_instance_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/ito.sqlite3");
        let first = {
            let pool = open(&path).await.unwrap();
            let id = instance_id(&pool).await.unwrap();
            pool.close().await;
            id
        };
        assert_eq!(first.len(), 32);
        let pool = open(&path).await.unwrap();
        assert_eq!(
            instance_id(&pool).await.unwrap(),
            first,
            "the id survives a restart"
        );
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn an_unopenable_path_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = open(dir.path()).await.unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("cannot open database {}", dir.path().display())),
            "{err}"
        );
    }
}

//! SQLite, the embedded default: one file, WAL so readers run beside the writer, and
//! `synchronous = FULL` so a commit is durable before it returns, which is what "acknowledged
//! only once stored" relies on.

use std::path::Path;
use std::str::FromStr;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::OpenError;

/// Opens (creating if needed) and migrates the database file.
pub async fn open(path: &Path) -> Result<SqlitePool, OpenError> {
    let shown = path.display().to_string();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::CreateDir {
            path: shown.clone(),
            source,
        })?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(|source| OpenError::Open {
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
        .map_err(|source| OpenError::Open {
            path: shown.clone(),
            source,
        })?;
    sqlx::migrate!("./migrations/sqlite")
        .run(&pool)
        .await
        .map_err(|source| OpenError::Migrate {
            path: shown,
            source,
        })?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn creates_and_migrates_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/ito.sqlite3");
        let pool = open(&path).await.unwrap();
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

//! PostgreSQL, for several nodes on one database. Commits are durable when they return
//! (PostgreSQL's default `synchronous_commit`), as "acknowledged only once stored" needs.

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::OpenError;

/// Connections per node: the group commit's writers hold one each, the sockets' reads share
/// the rest (the listening connection is its own).
const POOL_SIZE: u32 = 10;

/// Connects to `url` and migrates the database (`shown` names it in errors, without a password).
pub async fn open(url: &str, shown: &str) -> Result<PgPool, OpenError> {
    let failed = |source| OpenError::Open {
        path: shown.to_owned(),
        source,
    };
    let pool = PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect(url)
        .await
        .map_err(failed)?;
    sqlx::migrate!("./migrations/postgres")
        .run(&pool)
        .await
        .map_err(|source| OpenError::Migrate {
            path: shown.to_owned(),
            source,
        })?;
    Ok(pool)
}

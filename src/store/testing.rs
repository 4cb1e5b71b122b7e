//! Fresh databases for tests: SQLite in a temporary folder, or, when `ITO_TEST_POSTGRES` names
//! a PostgreSQL server (`cargo xtask test` starts a throwaway one and sets it), a new database
//! of its own on that server, so the same tests run against both backends.

use super::{Location, OpenError, Store, random_hex};

/// The PostgreSQL server the tests use, if any (a URL without a database name).
pub fn postgres_server() -> Option<String> {
    std::env::var("ITO_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Where a test's database goes: a new, empty PostgreSQL database when the tests run on
/// PostgreSQL, else `dir/ito.sqlite3`. Asked again for the same folder (a server restarted
/// on it), it gives the same database, as the SQLite file would be.
pub async fn fresh_location(dir: &std::path::Path) -> Location {
    let remembered = dir.join("postgres-database");
    match postgres_server() {
        Some(_) if remembered.exists() => Location::Postgres(
            std::fs::read_to_string(&remembered).expect("the remembered test database"),
        ),
        Some(server) => {
            let name = format!("ito_test_{}", random_hex(8));
            let admin =
                sqlx::PgPool::connect(&format!("{}/postgres", server.trim_end_matches('/')))
                    .await
                    .expect("the test PostgreSQL server answers");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .expect("a test database can be made");
            admin.close().await;
            let url = format!("{}/{name}", server.trim_end_matches('/'));
            std::fs::write(&remembered, &url).expect("the test folder is writable");
            Location::Postgres(url)
        }
        None => Location::Sqlite(dir.join("ito.sqlite3")),
    }
}

/// A fresh, migrated store (see [`fresh_location`]), with the folder it may live in.
pub async fn fresh() -> Result<(tempfile::TempDir, Store), OpenError> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(&fresh_location(dir.path()).await).await?;
    Ok((dir, store))
}

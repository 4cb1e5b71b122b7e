//! The database: everything Ito keeps, in SQLite (the embedded default) or PostgreSQL (for
//! several nodes). [`Store`] is an enum over the two pools; each operation is one function
//! whose body is written once with [`with_pool!`] and compiled for both, with the SQL text per
//! backend wherever the dialects differ (JSON, time, locking).
//!
//! - [`sqlite`]: opening SQLite (WAL, durable commits) and its migrations (`migrations/sqlite/`).
//! - [`postgres`]: opening PostgreSQL and its migrations (`migrations/postgres/`).
//! - [`settings`]: the instance's own settings, generated once (instance id, token secret).
//! - [`events`]: conversations and their numbered events: appended once, replayed after a sequence number.
//! - [`history`]: conversations found by the visitor's name or email, their words or a label.
//! - [`attachments`]: what each file sent in a conversation is (the bytes are in a folder).
//! - [`appender`]: group commit: the server's event appends, many per transaction, acknowledged after it.
//! - [`agents`]: agents, argon2 password hashes and login sessions.
//! - [`cluster`]: what nodes on one PostgreSQL share: agents' seats (presence) and the assignment lock.
//! - [`notices`]: LISTEN/NOTIFY between the nodes of one PostgreSQL database (ids only, hints).
//! - [`canned`]: canned replies per site, by shortcut.
//! - [`knowledge`]: knowledge bases: every version of every article, drafts, publishing, imports.
//! - [`labels`]: a site's labels and the conversations that carry them.
//! - [`mail`]: the mail outbox: mail to visitors kept until an SMTP server takes it, with retries.
//! - [`learning`]: what the bot did with each question (gaps, article figures) and agents' suggestions.
//! - [`surveys`]: survey answers (once, in range, only when asked) and the facts measures are computed from.
//! - [`copy`]: `ito db copy`: everything into another, empty database (SQLite to PostgreSQL).
//! - [`testing`]: fresh databases for tests, on SQLite or on the test PostgreSQL server.

pub mod agents;
pub mod appender;
pub mod attachments;
pub mod canned;
pub mod cluster;
pub mod copy;
pub mod events;
pub mod history;
pub mod knowledge;
pub mod labels;
pub mod learning;
pub mod mail;
pub mod notices;
pub mod postgres;
pub mod settings;
pub mod sqlite;
pub mod surveys;
pub mod testing;

use std::path::PathBuf;

use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

pub use events::StoreError;

/// An open, migrated database.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Where the database is: `server.database` (or `ITO_DATABASE_URL`) read as a
/// `postgres://`/`postgresql://` URL, a `sqlite:` URL, or a file path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "String")]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(given: &str) -> Location {
        if given.starts_with("postgres://") || given.starts_with("postgresql://") {
            return Location::Postgres(given.to_owned());
        }
        let path = given
            .strip_prefix("sqlite://")
            .or_else(|| given.strip_prefix("sqlite:"))
            .unwrap_or(given);
        Location::Sqlite(PathBuf::from(path))
    }

    /// The location as given, password and all (for a child process's `--database`).
    pub fn as_given(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => url.clone(),
        }
    }

    /// How the location is shown in logs: a PostgreSQL URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => match url.split_once('@') {
                Some((credentials, rest)) => match credentials.rsplit_once(':') {
                    Some((user, _)) if !user.ends_with('/') => format!("{user}:***@{rest}"),
                    _ => url.clone(),
                },
                None => url.clone(),
            },
        }
    }
}

impl From<String> for Location {
    fn from(given: String) -> Location {
        Location::parse(&given)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
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

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database at `location`.
    pub async fn open(location: &Location) -> Result<Store, OpenError> {
        match location {
            Location::Sqlite(path) => sqlite::open(path).await.map(Store::Sqlite),
            Location::Postgres(url) => postgres::open(url, &location.shown())
                .await
                .map(Store::Postgres),
        }
    }

    /// Which backend this is, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_pool!(self, |pool, _PG| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, |pool, _PG| pool.close().await)
    }
}

/// A connection inside a transaction, of either backend: what helpers that run inside the
/// caller's transaction take.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    /// The same connection for one more call, keeping this one for after it.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl<'c> From<&'c mut SqliteConnection> for Conn<'c> {
    fn from(connection: &'c mut SqliteConnection) -> Self {
        Conn::Sqlite(connection)
    }
}

impl<'c> From<&'c mut PgConnection> for Conn<'c> {
    fn from(connection: &'c mut PgConnection) -> Self {
        Conn::Postgres(connection)
    }
}

/// A write transaction: SQLite's `BEGIN IMMEDIATE` takes the write lock at once (so two
/// writers never deadlock upgrading), PostgreSQL's locks are taken row by row.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send
    {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send
    {
        self.begin()
    }
}

/// Runs `body` with `pool` bound to the store's pool, compiled once per backend; `PG` (named
/// by the caller) is a constant that says which, for SQL that differs:
/// `with_pool!(store, |pool, PG| ...)`.
macro_rules! with_pool {
    ($store:expr, |$pool:ident, $pg:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => {
                #[allow(dead_code)]
                const $pg: bool = false;
                $body
            }
            $crate::store::Store::Postgres($pool) => {
                #[allow(dead_code)]
                const $pg: bool = true;
                $body
            }
        }
    };
}

/// [`with_pool!`] for a [`Conn`]: `with_conn!(conn, |c, PG| ...)`.
macro_rules! with_conn {
    ($conn:expr, |$c:ident, $pg:ident| $body:expr) => {
        match $conn {
            $crate::store::Conn::Sqlite($c) => {
                #[allow(dead_code)]
                const $pg: bool = false;
                $body
            }
            $crate::store::Conn::Postgres($c) => {
                #[allow(dead_code)]
                const $pg: bool = true;
                $body
            }
        }
    };
}

pub(crate) use with_conn;
pub(crate) use with_pool;

/// `bytes` random bytes from the operating system, as lowercase hex: ids and secrets.
pub fn random_hex(bytes: usize) -> String {
    use password_hash::rand_core::{OsRng, RngCore};
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

/// Unix milliseconds as the stored time text, exactly as the databases write it
/// (`2026-12-01T23:49:12.123Z`).
pub fn time_text(millis: i64) -> String {
    let at = jiff::Timestamp::from_millisecond(millis)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// SQL text per backend: `sql(PG, "sqlite…", "postgres…")`.
pub(crate) const fn sql(pg: bool, sqlite: &'static str, postgres: &'static str) -> &'static str {
    if pg { postgres } else { sqlite }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_the_databases_write_them() {
        assert_eq!(time_text(1_793_577_600_123), "2026-11-02T00:00:00.123Z");
        assert_eq!(time_text(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn locations_are_read_from_urls_and_paths() {
        assert_eq!(
            Location::parse("target/demo/ito.sqlite3"),
            Location::Sqlite("target/demo/ito.sqlite3".into())
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/ito.db"),
            Location::Sqlite("/var/lib/ito.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:ito.db"),
            Location::Sqlite("ito.db".into())
        );
        let pg = Location::parse("postgres://ito:secret@db.internal:5432/ito");
        assert_eq!(
            pg,
            Location::Postgres("postgres://ito:secret@db.internal:5432/ito".into())
        );
        assert_eq!(pg.shown(), "postgres://ito:***@db.internal:5432/ito");
        assert_eq!(
            Location::parse("postgresql://db/ito").shown(),
            "postgresql://db/ito"
        );
    }
}

//! The database: everything Ito keeps.
//!
//! - [`sqlite`]: opening and migrating SQLite (`migrations/sqlite/`), and the instance's own settings.
//! - [`events`]: conversations and their numbered events: appended once, replayed after a sequence number.
//! - [`appender`]: group commit: the server's event appends, many per transaction, acknowledged after it.
//! - [`agents`]: agents, argon2 password hashes and login sessions.
//! - [`surveys`]: survey answers (once, in range, only when asked) and the facts measures are computed from.

pub mod agents;
pub mod appender;
pub mod events;
pub mod sqlite;
pub mod surveys;

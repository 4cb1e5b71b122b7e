//! Mail to visitors, over SMTP from a queue in the database.
//!
//! - [`smtp`]: `[server.smtp]`: host, port, STARTTLS/TLS, sign-in, sender.
//! - [`compose`]: the mails' words per locale (site overrides included), as plain functions.
//! - [`follow_up`]: what is mailed when: a reply the visitor was not there for, a transcript.
//! - [`outbox`]: the sender: due mail over SMTP, retried ever more slowly, never dropped.

pub mod compose;
pub mod follow_up;
pub mod outbox;
pub mod smtp;

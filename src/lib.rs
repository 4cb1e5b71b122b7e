//! The Ito server and command line.
//!
//! - [`assistant_cli`]: `ito assistant query | check | eval`.
//! - [`cli`]: the `ito` command's arguments and what each subcommand runs.
//! - [`config`]: `ito.toml`, validated, with errors that name the file.
//! - [`db`]: the SQLite store, its migrations (`migrations/`) and instance settings.
//! - [`events`]: conversations and their numbered events: appended once, replayed after a sequence number.
//! - [`http`]: `app(state) -> Router`, every HTTP route and the HTTP error type.
//! - [`knowledge`]: the sites' knowledge bases, checked at start-up and served with ETags.
//! - [`theme`]: a site's colours, font, shape, bot identity, custom CSS and strings.
//! - [`serve`]: `ito serve`, binding, logging the URLs and shutting down gracefully.

pub mod assistant_cli;
pub mod cli;
pub mod config;
pub mod db;
pub mod events;
pub mod http;
pub mod knowledge;
pub mod serve;
pub mod theme;

//! The Ito server and command line, in layers: each folder below uses only the ones listed
//! after it (`cli` → `http` → `state` → `live`, `mail`, `reports`, `answers` → `store`, `site`).
//!
//! - [`cli`]: the `ito` command's arguments and what each subcommand runs (`serve`, `assistant`).
//! - [`http`]: `app(state) -> Router`, every route, the sockets, the listener, proxies, the HTTP error type.
//! - [`state`]: what every handler and background task shares (config, store, hub, limits, queues).
//! - [`live`]: the live chat: hub, presence, dispatch, routing, handoff summary, learning from agents, queue, limits, tokens, names.
//! - [`mail`]: mail to visitors (a reply they were not there for, a transcript) over SMTP from a queue in the database.
//! - [`answers`]: the server's semantic answers: the ranking (pure) and the encoder's service.
//! - [`reports`]: measures (pure), a site's report for days in its time zone, the demo's seeded history.
//! - [`store`]: the database: conversations and events, group commit, agents and sessions, knowledge bases, bot turns and suggestions, surveys.
//! - [`site`]: the sites' configuration: `ito.toml`, themes and strings, knowledge bases, identity signatures.

pub mod answers;
pub mod cli;
pub mod http;
pub mod live;
pub mod mail;
pub mod reports;
pub mod site;
pub mod state;
pub mod store;

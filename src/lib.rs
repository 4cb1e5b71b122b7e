//! The Ito server and command line.
//!
//! - [`agents`]: agents, argon2 password hashes and login sessions.
//! - [`appender`]: group commit: the server's event appends, many per transaction, acknowledged after it.
//! - [`assistant_cli`]: `ito assistant query | check | eval`.
//! - [`cli`]: the `ito` command's arguments and what each subcommand runs.
//! - [`config`]: `ito.toml`, validated, with errors that name the file.
//! - [`dispatch`]: taking, auto-assigning and closing conversations, with their events and queue notices.
//! - [`db`]: the SQLite store, its migrations (`migrations/`) and instance settings.
//! - [`events`]: conversations and their numbered events: appended once, replayed after a sequence number.
//! - [`hub`]: which connections listen to which conversation; commits are announced, events read from the store.
//! - [`handoff`]: the five-second summary an agent reads at the top of a handoff.
//! - [`identity`]: verifying identified visitors' signatures (HMAC-SHA256 with the site's secret).
//! - [`http`]: `app(state) -> Router`, every HTTP route and the HTTP error type.
//! - [`knowledge`]: the sites' knowledge bases, checked at start-up and served with ETags.
//! - [`theme`]: a site's colours, font, shape, bot identity, custom CSS and strings.
//! - [`token`]: signed conversation tokens that prove a conversation is a visitor's.
//! - [`measures`]: deflection, handoff rate, first response, CSAT, CES, FCR, abandonment from plain facts (pure).
//! - [`names`]: names without invisible or direction-changing characters.
//! - [`limits`]: what clients may do: connections, message and action rates (token buckets), sign-in failures.
//! - [`report`]: a site's measures for days in its time zone, overall and per agent, as a table.
//! - [`proxy`]: the client's address behind trusted proxies, and the /64 IPv6 limits count by.
//! - [`queue`]: each site's queue read once per move for all its waiters, and the sweep of abandoned ones.
//! - [`presence`]: which agents are at their console and online, in memory.
//! - [`routing`]: who gets the next waiting conversation, and a visitor's expected wait (pure).
//! - [`surveys`]: survey answers (once, in range, only when asked) and the facts measures are computed from.
//! - [`seed`]: `ito seed-demo`: weeks of plausible conversations and surveys for the dashboard.
//! - [`serve`]: `ito serve`, binding, logging the URLs and shutting down gracefully.

pub mod agents;
pub mod appender;
pub mod assistant_cli;
pub mod cli;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod events;
pub mod handoff;
pub mod http;
pub mod hub;
pub mod identity;
pub mod knowledge;
pub mod limits;
pub mod measures;
pub mod names;
pub mod presence;
pub mod proxy;
pub mod queue;
pub mod report;
pub mod routing;
pub mod seed;
pub mod serve;
pub mod surveys;
pub mod theme;
pub mod token;

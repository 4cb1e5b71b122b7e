//! The live chat between visitors and agents, above the store.
//!
//! - [`bus`]: the same hints between the nodes of one PostgreSQL database, and presence across them.
//! - [`hub`]: which connections listen to which conversation; commits are announced, events read from the store.
//! - [`presence`]: which agents are at their console and online.
//! - [`dispatch`]: taking, auto-assigning and closing conversations, with their events and queue notices.
//! - [`routing`]: who gets the next waiting conversation, and a visitor's expected wait (pure).
//! - [`queue`]: each site's queue read once per move for all its waiters, and the sweep of abandoned ones.
//! - [`handoff`]: the five-second summary an agent reads at the top of a handoff.
//! - [`learning`]: an agent's inserted article for a handed-off question, as a suggestion to editors.
//! - [`limits`]: what clients may do: connections, message and action rates (token buckets), sign-in failures.
//! - [`token`]: signed conversation tokens that prove a conversation is a visitor's.
//! - [`visitors`]: a visitor's open connections, counted across nodes.
//! - [`names`]: names without invisible or direction-changing characters.

pub mod bus;
pub mod dispatch;
pub mod handoff;
pub mod hub;
pub mod learning;
pub mod limits;
pub mod names;
pub mod presence;
pub mod queue;
pub mod routing;
pub mod token;
pub mod visitors;

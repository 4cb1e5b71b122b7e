//! The server's answers by meaning, for the questions the browser is unsure of.
//!
//! - [`build`]: a base's ranker from its model, the one recipe of the server and the CLI.
//! - [`models`]: which sentence encoder serves which language, and where its weights lie.
//! - [`ranking`]: articles ranked by sentence vectors and words together, calibrated on the
//!   base's own questions (plain functions of vectors, tested with hand-made ones).
//! - [`service`]: the encoders in the running server: loaded in the background with every
//!   base's vectors, then one question's vector at a time per core.

pub mod build;
pub mod models;
pub mod ranking;
pub mod service;

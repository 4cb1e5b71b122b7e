//! The server's answers by meaning, for the questions the browser is unsure of.
//!
//! - [`ranking`]: articles ranked by sentence vectors and words together, calibrated on the
//!   base's own questions (plain functions of vectors, tested with hand-made ones).
//! - [`service`]: the encoder in the running server: loaded in the background with every
//!   base's vectors, then one question's vector at a time per core.

pub mod ranking;
pub mod service;

/// all-MiniLM-L6-v2's folder under the models folder.
pub const ENGLISH_MODEL: &str = "all-minilm-l6-v2";

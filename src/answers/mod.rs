//! The server's answers by meaning, for the questions the browser is unsure of.
//!
//! - [`ranking`]: articles ranked by sentence vectors and words together, calibrated on the
//!   base's own questions (plain functions of vectors, tested with hand-made ones).

pub mod ranking;

/// Where `cargo xtask setup` unpacks the models, relative to the repository.
pub const DEFAULT_MODELS: &str = "target/models";
/// all-MiniLM-L6-v2's folder under the models folder.
pub const ENGLISH_MODEL: &str = "all-minilm-l6-v2";

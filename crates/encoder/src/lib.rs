//! Sentence vectors for the server's semantic answers, in plain Rust: no native library, no
//! download (the weights come from the folder `cargo xtask setup` fills). It knows nothing of
//! axum, sqlx or Leptos, and nothing of knowledge bases: callers hand it text.
//!
//! - [`wordpiece`]: BERT's uncased tokenizer (clean, split, lower-case, strip accents, WordPiece).
//! - [`safetensors`]: the weights file format, read by hand, each tensor checked against its shape.

pub mod safetensors;
pub mod wordpiece;

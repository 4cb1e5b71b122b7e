//! Sentence vectors for the server's semantic answers, in plain Rust: no native library, no
//! download (the weights come from the folder `cargo xtask setup` fills). It knows nothing of
//! axum, sqlx or Leptos, and nothing of knowledge bases: callers hand it text.
//!
//! - [`bert`]: all-MiniLM-L6-v2's forward pass, from token ids to a unit-length sentence vector.
//! - [`linear`]: the matrix operations a transformer layer needs (linear, layer norm, GELU).
//! - [`wordpiece`]: BERT's uncased tokenizer (clean, split, lower-case, strip accents, WordPiece).
//! - [`safetensors`]: the weights file format, read by hand, each tensor checked against its shape.

pub mod bert;
pub mod linear;
pub mod safetensors;
pub mod wordpiece;

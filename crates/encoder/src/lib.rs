//! Sentence vectors for the server's semantic answers, in plain Rust: no native library, no
//! download (the weights come from the folder `cargo xtask setup` fills). It knows nothing of
//! axum, sqlx or Leptos, and nothing of knowledge bases: callers hand it text.
//!
//! - [`bert`]: the transformer both models share, and [`bert::Encoder`], a model with its tokenizer.
//! - [`minilm`]: all-MiniLM-L6-v2 (English) from sentence-transformers' safetensors and vocabulary.
//! - [`e5`]: multilingual-e5-small (Japanese and a hundred other languages) from its 4-bit file.
//! - [`int8`]: linear layers in 8-bit integers, exact integer sums (AVX-512 VNNI where present).
//! - [`linear`]: the matrix operations a transformer layer needs (linear, layer norm, GELU).
//! - [`wordpiece`]: BERT's uncased tokenizer (clean, split, lower-case, strip accents, WordPiece).
//! - [`unigram`]: SentencePiece's unigram tokenizer (normalise, mark spaces, likeliest split).
//! - [`safetensors`]: the weights file format, read by hand, each tensor checked against its shape.
//! - [`packed`]: multilingual-e5-small's packed file format, read by hand.
//! - [`quantized`]: 4-bit weight blocks and half-precision scales.

pub mod bert;
pub mod e5;
pub mod int8;
pub mod linear;
pub mod minilm;
pub mod packed;
pub mod quantized;
pub mod safetensors;
pub mod unigram;
pub mod wordpiece;

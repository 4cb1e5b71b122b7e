//! all-MiniLM-L6-v2's forward pass: token, position and segment embeddings, six transformer
//! layers (12 heads, GELU feed-forward, post-layer normalisation), then the mean of the token
//! vectors scaled to unit length, as sentence-transformers pools it. One text at a time, so
//! there is never padding to mask.

use std::path::Path;

use crate::linear::{Linear, Norm, add, dot, gelu};
use crate::safetensors::{Weights, WeightsError};
use crate::wordpiece::{Tokenizer, VocabularyError};

const HIDDEN: usize = 384;
const HEADS: usize = 12;
const HEAD_WIDTH: usize = HIDDEN / HEADS;
const FEED_FORWARD: usize = 1536;
const LAYERS: usize = 6;
const POSITIONS: usize = 512;
/// sentence-transformers' `max_seq_length` for this model: longer texts are cut.
pub const MAX_TOKENS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Vocabulary(#[from] VocabularyError),
    #[error(transparent)]
    Weights(#[from] WeightsError),
}

/// The model, loaded: about 90 MB of weights.
pub struct Encoder {
    tokenizer: Tokenizer,
    words: Vec<f32>,
    positions: Vec<f32>,
    segment: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_output: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

impl Encoder {
    /// Loads `vocab.txt` and `model.safetensors` from `folder` (as `cargo xtask setup` fills it).
    pub fn load(folder: &Path) -> Result<Encoder, LoadError> {
        let read = |name: &str| {
            let path = folder.join(name);
            std::fs::read(&path).map_err(|source| LoadError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        let vocabulary = String::from_utf8_lossy(&read("vocab.txt")?).into_owned();
        Encoder::from_parts(&vocabulary, read("model.safetensors")?)
    }

    pub fn from_parts(vocabulary: &str, weights: Vec<u8>) -> Result<Encoder, LoadError> {
        let tokenizer = Tokenizer::from_vocabulary(vocabulary)?;
        let weights = Weights::parse(weights)?;
        let vocabulary_size = vocabulary.lines().count();
        let layers = (0..LAYERS)
            .map(|i| Layer::load(&weights, &format!("encoder.layer.{i}")))
            .collect::<Result<_, _>>()?;
        let segments = weights.f32("embeddings.token_type_embeddings.weight", &[2, HIDDEN])?;
        Ok(Encoder {
            tokenizer,
            words: weights.f32(
                "embeddings.word_embeddings.weight",
                &[vocabulary_size, HIDDEN],
            )?,
            positions: weights.f32(
                "embeddings.position_embeddings.weight",
                &[POSITIONS, HIDDEN],
            )?,
            // Every token is in segment 0: one sentence, never a pair.
            segment: segments[..HIDDEN].to_vec(),
            embedding_norm: Norm::load(&weights, "embeddings.LayerNorm", HIDDEN)?,
            layers,
        })
    }

    /// How many numbers a sentence vector has.
    pub fn dimensions(&self) -> usize {
        HIDDEN
    }

    /// `text`'s sentence vector, of unit length (so a dot product is the cosine).
    pub fn encode(&self, text: &str) -> Vec<f32> {
        let ids = self.tokenizer.encode(text, MAX_TOKENS);
        let mut x = Vec::with_capacity(ids.len() * HIDDEN);
        for (position, &id) in ids.iter().enumerate() {
            let word = &self.words[id as usize * HIDDEN..][..HIDDEN];
            let place = &self.positions[position * HIDDEN..][..HIDDEN];
            x.extend(
                word.iter()
                    .zip(place)
                    .zip(&self.segment)
                    .map(|((w, p), s)| w + p + s),
            );
        }
        self.embedding_norm.apply(&mut x);
        for layer in &self.layers {
            x = layer.apply(&x);
        }
        mean_of_unit_length(&x)
    }
}

impl Layer {
    fn load(weights: &Weights, prefix: &str) -> Result<Layer, WeightsError> {
        let linear = |name: &str, inputs, outputs| {
            Linear::load(weights, &format!("{prefix}.{name}"), inputs, outputs)
        };
        Ok(Layer {
            query: linear("attention.self.query", HIDDEN, HIDDEN)?,
            key: linear("attention.self.key", HIDDEN, HIDDEN)?,
            value: linear("attention.self.value", HIDDEN, HIDDEN)?,
            attention_output: linear("attention.output.dense", HIDDEN, HIDDEN)?,
            attention_norm: Norm::load(
                weights,
                &format!("{prefix}.attention.output.LayerNorm"),
                HIDDEN,
            )?,
            intermediate: linear("intermediate.dense", HIDDEN, FEED_FORWARD)?,
            output: linear("output.dense", FEED_FORWARD, HIDDEN)?,
            output_norm: Norm::load(weights, &format!("{prefix}.output.LayerNorm"), HIDDEN)?,
        })
    }

    fn apply(&self, x: &[f32]) -> Vec<f32> {
        let context = self_attention(
            &self.query.apply(x),
            &self.key.apply(x),
            &self.value.apply(x),
        );
        let mut attended = self.attention_output.apply(&context);
        add(&mut attended, x);
        self.attention_norm.apply(&mut attended);
        let mut inner = self.intermediate.apply(&attended);
        gelu(&mut inner);
        let mut out = self.output.apply(&inner);
        add(&mut out, &attended);
        self.output_norm.apply(&mut out);
        out
    }
}

/// Each head's softmax(Q Kᵀ / √d) V, written into its columns of the result.
fn self_attention(query: &[f32], key: &[f32], value: &[f32]) -> Vec<f32> {
    let tokens = query.len() / HIDDEN;
    let mut context = vec![0.0; tokens * HIDDEN];
    let mut weights = vec![0.0; tokens];
    let scale = 1.0 / (HEAD_WIDTH as f32).sqrt();
    let head_of = |rows: &[f32], token: usize, head: usize| -> std::ops::Range<usize> {
        let start = token * HIDDEN + head * HEAD_WIDTH;
        debug_assert!(start + HEAD_WIDTH <= rows.len());
        start..start + HEAD_WIDTH
    };
    for head in 0..HEADS {
        for token in 0..tokens {
            let q = &query[head_of(query, token, head)];
            for (other, weight) in weights.iter_mut().enumerate() {
                *weight = dot(q, &key[head_of(key, other, head)]) * scale;
            }
            softmax(&mut weights);
            let out = head_of(&context, token, head);
            for (other, &weight) in weights.iter().enumerate() {
                let v = &value[head_of(value, other, head)];
                for (c, v) in context[out.clone()].iter_mut().zip(v) {
                    *c += weight * v;
                }
            }
        }
    }
    context
}

fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
}

/// The mean of the token vectors, scaled to length one.
fn mean_of_unit_length(x: &[f32]) -> Vec<f32> {
    let mut mean = vec![0.0; HIDDEN];
    for row in x.chunks_exact(HIDDEN) {
        add(&mut mean, row);
    }
    let length = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    for v in &mut mean {
        *v /= length;
    }
    mean
}

//! The encoder both models share: token, position and segment embeddings, transformer layers
//! (12 heads, GELU feed-forward, post-layer normalisation), then the mean of the token vectors
//! scaled to unit length, as sentence-transformers pools it. One text at a time, so there is
//! never padding to mask. [`Encoder`] is the public face: a model with its tokenizer.

use std::path::Path;

use crate::linear::{Linear, Norm, add, dot, exp, gelu};
use crate::quantized;
use crate::{e5, minilm};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Vocabulary(#[from] crate::wordpiece::VocabularyError),
    #[error(transparent)]
    Weights(#[from] crate::safetensors::WeightsError),
    #[error(transparent)]
    Packed(#[from] crate::packed::PackedError),
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// A sentence encoder, loaded: all-MiniLM-L6-v2 (English, about 90 MB) or multilingual-e5-small
/// (about 100 languages, about 140 MB).
pub struct Encoder {
    pub(crate) text: Text,
    pub(crate) transformer: Transformer,
}

/// How a model turns text into token ids.
pub(crate) enum Text {
    MiniLm(crate::wordpiece::Tokenizer),
    E5(crate::unigram::Tokenizer),
}

impl Encoder {
    /// all-MiniLM-L6-v2 from `folder` (`vocab.txt` and `model.safetensors`, as `cargo xtask
    /// setup` fills it).
    pub fn load(folder: &Path) -> Result<Encoder, LoadError> {
        minilm::load(folder)
    }

    /// multilingual-e5-small from its packed 4-bit file.
    pub fn load_e5(file: &Path) -> Result<Encoder, LoadError> {
        e5::load(file)
    }

    /// How many numbers a sentence vector has.
    pub fn dimensions(&self) -> usize {
        self.transformer.hidden
    }

    /// The vector of a question someone asks, of unit length (so a dot product is the cosine).
    pub fn query(&self, text: &str) -> Vec<f32> {
        match &self.text {
            Text::MiniLm(tokenizer) => minilm::encode(self, tokenizer, text),
            Text::E5(tokenizer) => e5::encode(self, tokenizer, e5::QUERY, text),
        }
    }

    /// How many tokens the model reads for `text` as a question, its start and end included
    /// (before a long text is cut or split into windows).
    pub fn token_count(&self, text: &str) -> usize {
        match &self.text {
            Text::MiniLm(tokenizer) => tokenizer.encode(text, usize::MAX).len(),
            Text::E5(tokenizer) => tokenizer.pieces(&format!("{}{text}", e5::QUERY)).len() + 2,
        }
    }

    /// The vector of a text that answers questions, of unit length. For all-MiniLM-L6-v2 the
    /// same as [`Encoder::query`]; multilingual-e5-small was trained to tell the two apart.
    pub fn passage(&self, text: &str) -> Vec<f32> {
        match &self.text {
            Text::MiniLm(tokenizer) => minilm::encode(self, tokenizer, text),
            Text::E5(tokenizer) => e5::encode(self, tokenizer, e5::PASSAGE, text),
        }
    }
}

/// The word embeddings: a row per vocabulary piece.
pub(crate) enum Words {
    Plain(Vec<f32>),
    /// 4-bit blocks, unpacked a row at a time (a 250,000-piece table would take 384 MB as f32).
    Quantized(Vec<u8>),
}

pub(crate) struct Transformer {
    pub hidden: usize,
    pub heads: usize,
    /// How many positions there are embeddings for: the longest input, special tokens included.
    pub positions: usize,
    pub words: Words,
    /// `[positions, hidden]`, the first for the first token.
    pub places: Vec<f32>,
    /// Segment 0's embedding: one sentence, never a pair.
    pub segment: Vec<f32>,
    pub embedding_norm: Norm,
    pub layers: Vec<Layer>,
}

pub(crate) struct Layer {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub attention_output: Linear,
    pub attention_norm: Norm,
    pub intermediate: Linear,
    pub output: Linear,
    pub output_norm: Norm,
}

impl Transformer {
    /// The mean of the last layer's token vectors for `ids` (at most [`Transformer::positions`]),
    /// not yet scaled.
    pub fn mean(&self, ids: &[u32]) -> Vec<f32> {
        let hidden = self.hidden;
        assert!(ids.len() <= self.positions, "more tokens than positions");
        let mut x = Vec::with_capacity(ids.len() * hidden);
        for (position, &id) in ids.iter().enumerate() {
            let start = x.len();
            match &self.words {
                Words::Plain(table) => {
                    x.extend_from_slice(&table[id as usize * hidden..][..hidden]);
                }
                Words::Quantized(blocks) => {
                    let row = hidden / quantized::BLOCK * quantized::BLOCK_BYTES;
                    quantized::dequantize(&blocks[id as usize * row..][..row], &mut x);
                }
            }
            let token = &mut x[start..];
            add(token, &self.places[position * hidden..][..hidden]);
            add(token, &self.segment);
        }
        self.embedding_norm.apply(&mut x);
        for layer in &self.layers {
            x = layer.apply(&x, self.heads);
        }
        let mut mean = vec![0.0; hidden];
        for row in x.chunks_exact(hidden) {
            add(&mut mean, row);
        }
        let tokens = ids.len().max(1) as f32;
        mean.iter_mut().for_each(|v| *v /= tokens);
        mean
    }
}

/// `v` scaled to length one.
pub(crate) fn unit_length(mut v: Vec<f32>) -> Vec<f32> {
    let length = dot(&v, &v).sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= length);
    v
}

impl Layer {
    fn apply(&self, x: &[f32], heads: usize) -> Vec<f32> {
        let context = self_attention(
            &self.query.apply(x),
            &self.key.apply(x),
            &self.value.apply(x),
            x.len() / self.query.inputs(),
            heads,
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
fn self_attention(
    query: &[f32],
    key: &[f32],
    value: &[f32],
    tokens: usize,
    heads: usize,
) -> Vec<f32> {
    let hidden = query.len() / tokens.max(1);
    let width = hidden / heads;
    let mut context = vec![0.0; tokens * hidden];
    let mut weights = vec![0.0; tokens];
    let scale = 1.0 / (width as f32).sqrt();
    let head_of = |token: usize, head: usize| -> std::ops::Range<usize> {
        let start = token * hidden + head * width;
        start..start + width
    };
    for head in 0..heads {
        for token in 0..tokens {
            let q = &query[head_of(token, head)];
            for (other, weight) in weights.iter_mut().enumerate() {
                *weight = dot(q, &key[head_of(other, head)]) * scale;
            }
            softmax(&mut weights);
            let out = head_of(token, head);
            for (other, &weight) in weights.iter().enumerate() {
                let v = &value[head_of(other, head)];
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
        *v = exp(*v - max);
        sum += *v;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
}

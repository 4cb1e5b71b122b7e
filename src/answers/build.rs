//! A base's ranker from its language's model: the one recipe the running server and
//! `ito assistant query|eval --semantic` share, so the command line measures exactly what
//! the server answers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ito_assistant::readings::Readings;
use ito_assistant::{Assistant, KnowledgeBase};
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

/// Vectors already made, by text, as a question and as a passage: a base published again
/// encodes only the texts that changed (encoding is nearly all of a build's time).
#[derive(Default)]
pub struct VectorCache {
    queries: HashMap<String, Vec<f32>>,
    passages: HashMap<String, Vec<f32>>,
}

impl VectorCache {
    /// Forgets the vectors of every text none of `bases` has, so the cache holds what the
    /// bases being served need and no more.
    pub fn keep_only<'a>(&mut self, bases: impl IntoIterator<Item = &'a KnowledgeBase>) {
        let mut queries = HashSet::new();
        let mut passages = HashSet::new();
        for base in bases {
            queries.extend(query_texts(base).into_iter().map(str::to_owned));
            passages.extend(passage_texts(base));
        }
        self.queries.retain(|t, _| queries.contains(t));
        self.passages.retain(|t, _| passages.contains(t));
    }

    pub fn len(&self) -> usize {
        self.queries.len() + self.passages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The texts a base's articles are encoded from as questions: titles and questions.
fn query_texts(base: &KnowledgeBase) -> Vec<&str> {
    base.articles
        .iter()
        .flat_map(|a| {
            std::iter::once(a.title.as_str()).chain(a.questions.iter().map(String::as_str))
        })
        .collect()
}

/// The texts a base's answers are encoded from as passages (if its model encodes answers).
fn passage_texts(base: &KnowledgeBase) -> Vec<String> {
    base.articles
        .iter()
        .flat_map(ranking::answer_texts)
        .collect()
}

/// The base's variant vectors (and answer vectors if `model` encodes answers), its spoken
/// index when `readings` are given, and the calibration on its own questions. Texts `cache`
/// has are not encoded again; those it lacks are encoded and added.
pub fn ranker(
    assistant: &Assistant,
    model: Model,
    encoder: &Encoder,
    readings: Option<Arc<Readings>>,
    cores: Cores,
    cache: &mut VectorCache,
) -> Ranker {
    let base = assistant.base();
    let queries = cached(
        &query_texts(base),
        &mut cache.queries,
        |t| encoder.query(t),
        cores,
    );
    let mut article_vectors =
        ArticleVectors::build(assistant, encoder.dimensions(), |t| queries[t].clone());
    if model.encodes_answers() {
        let answers = passage_texts(base);
        let answers: Vec<&str> = answers.iter().map(String::as_str).collect();
        let passages = cached(&answers, &mut cache.passages, |t| encoder.passage(t), cores);
        article_vectors = article_vectors.with_answers(assistant, |t| passages[t].clone());
    }
    let spoken = readings.map(|readings| SpokenIndex::build(base, readings));
    Ranker::new(assistant, article_vectors, spoken)
}

/// Every text's vector, from `cache` where it is there, else encoded (on `cores`) and kept.
fn cached(
    texts: &[&str],
    cache: &mut HashMap<String, Vec<f32>>,
    encode: impl Fn(&str) -> Vec<f32> + Sync,
    cores: Cores,
) -> HashMap<String, Vec<f32>> {
    let missing: Vec<&str> = texts
        .iter()
        .copied()
        .filter(|t| !cache.contains_key(*t))
        .collect();
    for (text, vector) in encode_all(&missing, encode, cores) {
        cache.insert(text.to_owned(), vector);
    }
    texts
        .iter()
        .map(|&t| (t.to_owned(), cache[t].clone()))
        .collect()
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_text_is_encoded_once_and_forgotten_when_no_base_has_it() {
        let encoded = AtomicUsize::new(0);
        let encode = |t: &str| {
            encoded.fetch_add(1, Ordering::SeqCst);
            vec![t.len() as f32]
        };
        let mut cache = VectorCache::default();
        let first = cached(&["a", "bb"], &mut cache.queries, encode, Cores::One);
        assert_eq!(first["bb"], [2.0]);
        let again = cached(&["bb", "ccc"], &mut cache.queries, encode, Cores::All);
        assert_eq!(
            (again["bb"].clone(), again["ccc"].clone()),
            (vec![2.0], vec![3.0])
        );
        assert_eq!(
            encoded.load(Ordering::SeqCst),
            3,
            "bb was not encoded again"
        );

        let base = KnowledgeBase {
            locale: "en".into(),
            synonyms: Vec::new(),
            articles: vec![ito_assistant::Article {
                id: "x".into(),
                title: "bb".into(),
                questions: Vec::new(),
                answer: "Yes.".into(),
                tags: Vec::new(),
                links: Vec::new(),
                follow_up: Vec::new(),
            }],
        };
        cache.keep_only([&base]);
        assert_eq!(cache.len(), 1, "only the title the base still has");
        cache.keep_only([]);
        assert!(cache.is_empty());
    }
}

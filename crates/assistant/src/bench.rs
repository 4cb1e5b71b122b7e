//! The speed benchmark's fixture and measurement, shared by the native example
//! (`examples/bench.rs`) and the wasm run in Chromium (`tests/wasm_speed.rs`). Each passes its
//! own clock; nothing here asserts a time.
//!
//! The base is synthetic but shaped like a real one: 2,000 articles, 8 question variants each,
//! 6 to 12 words per question drawn from a 5,000-word vocabulary with a Zipf-like skew.

use crate::Assistant;
use crate::kb::{Article, KnowledgeBase};

/// A small deterministic generator (xorshift), so every run measures the same base.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Zipf-like: small indices are far more likely.
    fn word(&mut self, vocabulary: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((vocabulary as f64).powf(u) - 1.0) as usize
    }
}

fn word_text(i: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ser", "tan", "vo", "re", "dun", "pli", "sho", "gar", "eth", "nu", "bri",
        "zo", "fen",
    ];
    let mut n = i + 1;
    let mut word = String::new();
    while n > 0 {
        word.push_str(SYLLABLES[n % 16]);
        n /= 16;
    }
    word
}

pub fn synthetic_base(articles: usize, seed: u64) -> (KnowledgeBase, Vec<String>) {
    let mut rng = Rng(seed);
    let vocabulary = 5000;
    let sentence = |rng: &mut Rng, topic: &[usize]| {
        let len = 6 + (rng.next() % 7) as usize;
        (0..len)
            .map(|i| {
                if i % 2 == 0 {
                    topic[(rng.next() % topic.len() as u64) as usize]
                } else {
                    rng.word(vocabulary)
                }
            })
            .map(word_text)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut queries = Vec::new();
    let articles = (0..articles)
        .map(|a| {
            let topic: Vec<usize> = (0..4).map(|_| 200 + (rng.next() % 4800) as usize).collect();
            let questions = (0..8).map(|_| sentence(&mut rng, &topic)).collect();
            queries.push(sentence(&mut rng, &topic));
            Article {
                id: format!("article-{a}"),
                title: sentence(&mut rng, &topic),
                questions,
                answer: "An answer.".into(),
                tags: vec![],
                links: vec![],
                follow_up: vec![],
            }
        })
        .collect();
    (
        KnowledgeBase {
            locale: "en".into(),
            synonyms: vec![],
            articles,
        },
        queries,
    )
}

#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub build_median_ms: f64,
    pub query_p50_ms: f64,
    pub query_p99_ms: f64,
    pub queries: usize,
    pub top1: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Builds the 2,000-article assistant `builds` times and asks every test query `rounds`
/// times, timing with `now` (milliseconds).
pub fn measure(now: impl Fn() -> f64, builds: usize, rounds: usize) -> Figures {
    let (base, queries) = synthetic_base(2000, 0x1705);
    let mut build_times: Vec<f64> = (0..builds.max(1))
        .map(|_| {
            let base = base.clone();
            crate::text::forget_cached_words();
            let started = now();
            let assistant = Assistant::new(base);
            let elapsed = now() - started;
            std::hint::black_box(assistant);
            elapsed
        })
        .collect();
    build_times.sort_by(f64::total_cmp);
    let assistant = Assistant::new(base);
    let mut times = Vec::new();
    let mut correct = 0;
    for _ in 0..rounds.max(1) {
        for (i, q) in queries.iter().enumerate() {
            let started = now();
            let reply = assistant.ask(q, 3);
            times.push(now() - started);
            correct += usize::from(
                reply
                    .hits
                    .first()
                    .is_some_and(|h| h.id == format!("article-{i}")),
            );
        }
    }
    times.sort_by(f64::total_cmp);
    Figures {
        build_median_ms: percentile(&build_times, 0.5),
        query_p50_ms: percentile(&times, 0.5),
        query_p99_ms: percentile(&times, 0.99),
        queries: times.len(),
        top1: correct as f64 / times.len() as f64,
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "2,000 articles x 8 variants: index build with calibration {:.1} ms (median); query p50 {:.3} ms, p99 {:.3} ms over {} queries (top-1 {:.1}% on this synthetic base)",
            self.build_median_ms,
            self.query_p50_ms,
            self.query_p99_ms,
            self.queries,
            self.top1 * 100.0
        )
    }
}

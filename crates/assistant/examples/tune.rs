//! Development aid: top-1 of the index over a grid of weights on labelled utterances.
//! `cargo run --release -p ito-assistant --example tune -- TRAIN [DEV]`. Prints numbers only.

use ito_assistant::eval::{evaluate, read_jsonl, split};
use ito_assistant::index::{Index, Weights};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let train = read_jsonl(&std::fs::read_to_string(&args[0]).unwrap()).unwrap();
    let dev = args
        .get(1)
        .map(|p| read_jsonl(&std::fs::read_to_string(p).unwrap()).unwrap());
    let split = split(&train, dev.as_deref(), 10, Some("oos"));
    for bm25 in [0.0, 0.2, 0.3, 0.4, 0.5, 0.7] {
        for words in [0.3, 0.5, 0.7] {
            for centroid in [0.5, 0.75] {
                let index = Index::with_weights(
                    &split.base,
                    Weights {
                        bm25,
                        words,
                        centroid,
                    },
                );
                let r = evaluate(&split, |q| index.search(q, 10), None);
                println!(
                    "bm25 {bm25:.2} words {words:.2} centroid {centroid:.2}: top-1 {:.1}% mrr {:.3}",
                    r.top1 * 100.0,
                    r.mrr10
                );
            }
        }
    }
}

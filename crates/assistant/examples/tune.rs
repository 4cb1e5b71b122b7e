//! Development aid: top-1 of the index over a grid of weights on labelled utterances.
//! `cargo run --release -p ito-assistant --example tune -- TRAIN [DEV]`, or with a base and
//! its test queries: `-- --kb BASE.toml QUERIES.jsonl`. Prints numbers only.

use ito_assistant::KnowledgeBase;
use ito_assistant::eval::{evaluate, read_jsonl, split, split_for_base};
use ito_assistant::index::{Index, WEIGHTS, Weights};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let read = |p: &String| read_jsonl(&std::fs::read_to_string(p).unwrap()).unwrap();
    let split = if args[0] == "--kb" {
        let base = KnowledgeBase::parse(&std::fs::read_to_string(&args[1]).unwrap()).unwrap();
        split_for_base(base, read(&args[2]), Some("oos")).unwrap()
    } else {
        let dev = args.get(1).map(read);
        split(&read(&args[0]), dev.as_deref(), 10, Some("oos"))
    };
    for answers in [0.0, 0.4, 0.6, 0.8, 1.0, 1.2] {
        let index = Index::with_weights(&split.base, Weights { answers, ..WEIGHTS });
        let r = evaluate(&split, |q| index.search(q, 10), None);
        println!(
            "answers {answers:.2}: top-1 {:.1}% mrr {:.3}",
            r.top1 * 100.0,
            r.mrr10
        );
    }
    if args[0] == "--kb" {
        return;
    }
    for bm25 in [0.0, 0.2, 0.3, 0.4, 0.5, 0.7] {
        for words in [0.3, 0.5, 0.7] {
            for centroid in [0.5, 0.75] {
                let index = Index::with_weights(
                    &split.base,
                    Weights {
                        bm25,
                        words,
                        centroid,
                        ..WEIGHTS
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

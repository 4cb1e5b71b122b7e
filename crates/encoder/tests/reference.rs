//! The Rust encoder against sentence-transformers: the vectors in `reference.json` were made
//! once by `make_reference.py` with the reference implementation, on the same weights that
//! `cargo xtask setup` unpacks into `target/models/all-minilm-l6-v2`.

mod models;

use std::path::PathBuf;

use ito_encoder::bert::Encoder;

#[derive(serde::Deserialize)]
struct Reference {
    sentences: Vec<Sentence>,
}

#[derive(serde::Deserialize)]
struct Sentence {
    text: String,
    vector: Vec<f32>,
}

fn model_folder() -> PathBuf {
    models::installed("all-minilm-l6-v2/model.safetensors")
        .parent()
        .expect("a file in a folder")
        .to_owned()
}

#[test]
fn vectors_match_sentence_transformers() {
    let encoder = Encoder::load(&model_folder()).expect("the model loads");
    let reference: Reference =
        serde_json::from_str(include_str!("reference.json")).expect("the fixture parses");
    assert_eq!(reference.sentences.len(), 12);
    for sentence in &reference.sentences {
        let ours = encoder.query(&sentence.text);
        assert_eq!(ours.len(), sentence.vector.len());
        let cosine: f32 = ours.iter().zip(&sentence.vector).map(|(a, b)| a * b).sum();
        assert!(
            cosine >= 0.999,
            "{:?}: cosine {cosine} with the reference",
            sentence.text
        );
    }
}

#[test]
fn similar_meanings_are_nearer_than_shared_words() {
    let encoder = Encoder::load(&model_folder()).expect("the model loads");
    let cosine = |a: &str, b: &str| -> f32 {
        let (a, b) = (encoder.query(a), encoder.query(b));
        a.iter().zip(&b).map(|(x, y)| x * y).sum()
    };
    let article = "Card retained by an ATM";
    assert!(
        cosine("the machine swallowed my card", article)
            > cosine(
                "the machine swallowed my card",
                "My card payment was declined"
            ),
    );
}

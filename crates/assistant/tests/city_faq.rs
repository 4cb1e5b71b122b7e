//! A real FAQ's shape, in Japanese (`tests/data/ja-city-faq.toml`, an invented city hall
//! written for this test): one question per article, answers of real length, and queries
//! written the way citizens write them, not copied from the articles. Here the answer text
//! carries most of the words people type, and plain BM25 over question and answer bigrams is
//! the yardstick the assistant must at least match.

use std::path::Path;

use ito_assistant::baseline::Bm25;
use ito_assistant::eval::{self, Report};
use ito_assistant::{Assistant, KnowledgeBase};

fn split() -> eval::Split {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let base = KnowledgeBase::parse(&read("ja-city-faq.toml")).unwrap();
    let queries = eval::read_jsonl(&read("ja-city-queries.jsonl")).unwrap();
    eval::split_for_base(base, queries, Some("oos")).unwrap()
}

#[test]
fn the_base_has_the_shape_of_a_real_faq() {
    let split = split();
    assert!(split.base.articles.len() >= 100);
    assert!(split.base.articles.iter().all(|a| a.questions.len() == 1));
    let mean_answer = split
        .base
        .articles
        .iter()
        .map(|a| a.answer.chars().count())
        .sum::<usize>()
        / split.base.articles.len();
    assert!(
        mean_answer >= 300,
        "answers of real length: {mean_answer} characters"
    );
    assert!(split.in_scope.len() >= 250 && split.out_of_scope.len() >= 20);
}

#[test]
fn the_assistant_ranks_at_least_as_well_as_bm25_over_questions_and_answers() {
    let split = split();
    let assistant = Assistant::new(split.base.clone());
    let ours: Report = eval::evaluate(
        &split,
        |q| assistant.index().search(q, 10),
        Some(&|q: &str| assistant.ask(q, 3).outcome),
    );
    let bm25 = Bm25::bigrams(&split.base);
    let baseline = eval::evaluate(&split, |q| bm25.search(q, 10), None);
    println!(
        "top-1: assistant {:.1}%, BM25 question+answer bigrams {:.1}%",
        ours.top1 * 100.0,
        baseline.top1 * 100.0
    );
    // 79.9 % against 76.9 % when written (67.3 % before answers were indexed).
    assert!(
        ours.top1 >= baseline.top1,
        "{:.3} < {:.3}",
        ours.top1,
        baseline.top1
    );
    assert!(ours.oos_unsure_recall.unwrap() >= 0.5);
}

#[test]
fn an_article_is_found_by_the_words_of_its_answer() {
    let article = |id: &str, title: &str, question: &str, answer: &str| ito_assistant::Article {
        id: id.into(),
        title: title.into(),
        questions: vec![question.into()],
        answer: answer.into(),
        tags: Vec::new(),
        links: Vec::new(),
        follow_up: Vec::new(),
    };
    let assistant = Assistant::new(KnowledgeBase {
        locale: "ja".into(),
        synonyms: Vec::new(),
        articles: vec![
            article(
                "by-post",
                "証明書を郵送で請求したい",
                "証明書は郵送で請求できますか。",
                "申請書に手数料分の定額小為替と返信用封筒を同封して、市民課へ送ってください。",
            ),
            article(
                "by-store",
                "証明書を窓口以外で取りたい",
                "窓口に行かずに証明書を取る方法はありますか。",
                "マイナンバーカードがあれば、マルチコピー機で午前6時30分から午後11時まで取得できます。",
            ),
        ],
    });
    // Neither title nor question has these words; only the second answer does.
    let reply = assistant.ask("マルチコピー機は何時まで", 3);
    assert_eq!(
        reply.hits.first().map(|h| h.id.as_str()),
        Some("by-store"),
        "{reply:?}"
    );
    let reply = assistant.ask("定額小為替と返信用封筒", 3);
    assert_eq!(
        reply.hits.first().map(|h| h.id.as_str()),
        Some("by-post"),
        "{reply:?}"
    );
}

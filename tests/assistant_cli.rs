//! `ito assistant` as a site owner runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn ito(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ito"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const BASE: &str = r#"{"locale": "en", "articles": [
  {"id": "returns", "title": "Returns", "questions": ["how do i return an item", "send something back", "return policy"], "answer": "Within 30 days.", "tags": []},
  {"id": "shipping", "title": "Shipping times", "questions": ["how long does delivery take", "when will my order arrive", "shipping time"], "answer": "2 to 3 days.", "tags": []}
]}"#;

/// A successful run's stdout, one JSON value per line.
fn json_lines(out: Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_base(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn query_answers_one_json_line_per_question() {
    let dir = tempfile::tempdir().unwrap();
    let kb = write_base(&dir, "kb.json", BASE);
    let out = ito(
        &["assistant", "query", "--kb", &kb, "--top", "2", "--json"],
        "how do I return an item?\ntalk to a human\n\nwhen will my order arrive\n",
    );
    let lines = json_lines(out);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["hits"][0]["id"], "returns");
    assert!(lines[0]["hits"][0]["score"].as_f64().unwrap() > 0.0);
    assert_eq!(lines[1]["outcome"], "handoff");
    assert_eq!(
        lines[2]["outcome"], "unsure",
        "an empty line is a question with no answer"
    );
    assert_eq!(lines[3]["hits"][0]["id"], "shipping");
    assert!(lines[3]["hits"].as_array().unwrap().len() <= 2);
}

#[test]
fn a_malformed_or_empty_base_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write_base(&dir, "broken.toml", "[[article]]\nid = \"a\"\ntitle = ");
    let out = ito(&["assistant", "query", "--kb", &broken], "hi\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("knowledge base {broken}")) && err.contains("not valid TOML"),
        "{err}"
    );

    let empty = write_base(&dir, "empty.json", r#"{"articles": []}"#);
    let out = ito(&["assistant", "query", "--kb", &empty], "hi\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no articles"));
}

#[test]
fn check_reports_errors_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let kb = write_base(
        &dir,
        "dup.json",
        r#"{"articles": [
          {"id": "a", "title": "A", "questions": ["one", "two"], "answer": "x"},
          {"id": "a", "title": "B", "questions": ["three"], "answer": " "}
        ]}"#,
    );
    let out = ito(&["assistant", "check", "--kb", &kb], "");
    assert!(!out.status.success());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("error: a: the id \"a\" is used by 2 articles"),
        "{report}"
    );
    assert!(report.contains("the answer is empty"), "{report}");
    assert!(report.contains("2 articles, 2 errors"), "{report}");

    let good = write_base(&dir, "good.json", BASE);
    let out = ito(&["assistant", "check", "--kb", &good], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The folder `cargo xtask setup` fills with the sentence encoder's weights.
fn models() -> String {
    format!("{}/target/models", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn query_with_semantic_answers_as_the_widget_and_server_would() {
    let dir = tempfile::tempdir().unwrap();
    let kb = write_base(&dir, "kb.json", BASE);
    let long = "where is my parcel ".repeat(100_000 / 19);
    let questions = [
        "the courier is late with my package",
        "how do i return an item",
        "",
        &long,
        "🙂🙂🙂📦",
        "\u{1}\u{7}\u{1b}[31m\u{7f}",
        "talk to a human",
    ];
    let mut stdin = questions.join("\n");
    stdin.push('\n');
    let models = models();
    let args = [
        "assistant",
        "query",
        "--kb",
        &kb,
        "--top",
        "10",
        "--json",
        "--semantic",
        "--models",
        &models,
    ];
    let out = ito(&args, &stdin);
    let lines = json_lines(out);
    assert_eq!(
        lines.len(),
        questions.len(),
        "one line per question, even the odd ones"
    );
    for line in &lines {
        let outcome = line["outcome"].as_str().unwrap();
        assert!(
            ["answer", "suggest", "unsure", "handoff"].contains(&outcome),
            "{line}"
        );
        assert!(line["hits"].as_array().unwrap().len() <= 10);
    }
    // No word in common with the shipping article: only its meaning leads there.
    assert_eq!(lines[0]["hits"][0]["id"], "shipping", "{}", lines[0]);
    assert_eq!(lines[1]["hits"][0]["id"], "returns");
    assert_eq!(lines[6]["outcome"], "handoff");

    let browser_only = ito(
        &["assistant", "query", "--kb", &kb, "--top", "10"],
        "the courier is late with my package\n",
    );
    let browser: serde_json::Value = serde_json::from_slice(&browser_only.stdout).unwrap();
    assert_ne!(
        browser["outcome"], "answer",
        "the browser alone is not sure of it: {browser}"
    );
}

#[test]
fn semantic_without_the_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let kb = write_base(&dir, "kb.json", BASE);
    let empty = dir.path().to_str().unwrap();
    let out = ito(
        &[
            "assistant",
            "query",
            "--kb",
            &kb,
            "--semantic",
            "--models",
            empty,
        ],
        "hi\n",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot load the sentence encoder") && err.contains("cargo xtask setup"),
        "{err}"
    );
}

#[test]
fn eval_learn_replays_misses_as_accepted_suggestions_and_prints_top1_as_it_learns() {
    let dir = tempfile::tempdir().unwrap();
    // Two intents with one known way of asking each, then 300 visitors asking otherwise.
    let mut lines = vec![
        r#"{"text": "card has not arrived", "label": "card_arrival"}"#.to_owned(),
        r#"{"text": "reset my pin", "label": "change_pin"}"#.to_owned(),
    ];
    let ways = [
        ("card_arrival", "where is the plastic I ordered"),
        ("card_arrival", "still waiting for the post"),
        ("change_pin", "forgot the four digits"),
        ("change_pin", "new secret number please"),
    ];
    for n in 0..75 {
        for (label, text) in ways {
            lines.push(format!(r#"{{"text": "{text} {n}", "label": "{label}"}}"#));
        }
    }
    let train = write_base(&dir, "train.jsonl", &lines.join("\n"));
    let out = ito(
        &[
            "assistant",
            "eval",
            "--train",
            &train,
            "--per-intent",
            "1",
            "--learn",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    let row = |accepted: &str| {
        said.lines()
            .find(|l| l.split_whitespace().next() == Some(accepted))
            .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    };
    let start = row("0").unwrap_or_else(|| panic!("{said}"));
    let held_out_top1 = |row: &[String]| row[2].parse::<f64>().unwrap();
    assert!(held_out_top1(&start) < 100.0, "{said}");
    assert!(
        said.contains("ran out of misses before 100"),
        "a base that learned everything stops missing: {said}"
    );
    let last = said
        .lines()
        .rev()
        .find(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .unwrap();
    let last: Vec<String> = last.split_whitespace().map(str::to_owned).collect();
    assert_eq!(held_out_top1(&last), 100.0, "{said}");
}

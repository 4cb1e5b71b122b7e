//! How well content gaps are grouped on real questions: Banking77's training questions of 10
//! intents (every eighth), as if none had an article, grouped by `gaps::group` with the other
//! intents' first 10 questions as the base; prints the groups and their purity (the share of
//! questions in their group's most common intent). Numbers to read, nothing asserted:
//! `cargo run --release -p ito-assistant --example gaps [train.jsonl]`.

use std::collections::HashMap;

use ito_assistant::eval::{Utterance, read_jsonl};
use ito_assistant::gaps;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/banking77/train.jsonl".into());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let all = read_jsonl(&text).expect("JSON lines of text and label");
    let mut labels: Vec<&str> = all.iter().map(|u| u.label.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    let missing: Vec<&str> = labels.iter().step_by(8).take(10).copied().collect();
    let asked: Vec<&Utterance> = all
        .iter()
        .filter(|u| missing.contains(&u.label.as_str()))
        .take(400)
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let base: Vec<&str> = all
        .iter()
        .filter(|u| !missing.contains(&u.label.as_str()))
        .filter(|u| {
            let n = seen.entry(u.label.as_str()).or_default();
            *n += 1;
            *n <= 10
        })
        .map(|u| u.text.as_str())
        .collect();
    let texts: Vec<&str> = asked.iter().map(|u| u.text.as_str()).collect();
    let groups = gaps::group(&texts, &base);
    let mut pure = 0;
    for group in &groups {
        let mut intents: HashMap<&str, usize> = HashMap::new();
        for &m in &group.members {
            *intents.entry(asked[m].label.as_str()).or_default() += 1;
        }
        pure += intents.values().max().copied().unwrap_or(0);
    }
    println!(
        "{} questions of {} intents -> {} groups; {:.1} % in their group's main intent; largest: {:?}",
        texts.len(),
        missing.len(),
        groups.len(),
        100.0 * pure as f64 / texts.len() as f64,
        groups
            .iter()
            .take(12)
            .map(|g| g.count())
            .collect::<Vec<_>>()
    );
    for group in groups.iter().take(5) {
        println!("{:>4}  {}", group.count(), group.examples.join(" | "));
    }
}

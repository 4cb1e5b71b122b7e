//! Evaluation on labelled utterances: turn an intent set into a knowledge base (one article
//! per intent, its first N utterances as the question variants), query it with the held-back
//! utterances, and measure. Nothing here knows any dataset: labels are opaque strings, and the
//! out-of-scope label, if any, is the caller's argument.

use std::collections::HashMap;

use serde::Deserialize;

use crate::Outcome;
use crate::index::Hit;
use crate::kb::{Article, KnowledgeBase};

#[derive(Debug, Clone, Deserialize)]
pub struct Utterance {
    pub text: String,
    pub label: String,
}

/// One utterance per line: `{"text": "...", "label": "..."}` (other keys are ignored).
pub fn read_jsonl(text: &str) -> Result<Vec<Utterance>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1)))
        .collect()
}

pub struct Split {
    pub base: KnowledgeBase,
    /// Held-back utterances whose intent is in the base, with the article id they belong to.
    pub in_scope: Vec<Utterance>,
    pub out_of_scope: Vec<Utterance>,
}

/// Builds the base from `train` and picks the queries: `dev` if given, else the training
/// utterances after the first `per_intent` of each intent.
pub fn split(
    train: &[Utterance],
    dev: Option<&[Utterance]>,
    per_intent: usize,
    out_of_scope_label: Option<&str>,
) -> Split {
    let is_oos = |label: &str| Some(label) == out_of_scope_label;
    let mut order: Vec<&str> = Vec::new();
    let mut by_label: HashMap<&str, Vec<&Utterance>> = HashMap::new();
    for u in train.iter().filter(|u| !is_oos(&u.label)) {
        let list = by_label.entry(&u.label).or_default();
        if list.is_empty() {
            order.push(&u.label);
        }
        list.push(u);
    }
    let articles = order
        .iter()
        .map(|label| {
            let title = label.replace(['_', '-'], " ");
            Article {
                id: (*label).to_owned(),
                answer: title.clone(),
                title,
                questions: by_label[label]
                    .iter()
                    .take(per_intent)
                    .map(|u| u.text.clone())
                    .collect(),
                tags: Vec::new(),
                links: Vec::new(),
                follow_up: Vec::new(),
            }
        })
        .collect();
    let queries: Vec<Utterance> = match dev {
        Some(dev) => dev.to_vec(),
        None => order
            .iter()
            .flat_map(|label| {
                by_label[label]
                    .iter()
                    .skip(per_intent)
                    .map(|u| (*u).clone())
            })
            .collect(),
    };
    let (out_of_scope, in_scope): (Vec<_>, Vec<_>) = queries
        .into_iter()
        .filter(|u| is_oos(&u.label) || by_label.contains_key(u.label.as_str()))
        .partition(|u| is_oos(&u.label));
    Split {
        base: KnowledgeBase {
            locale: "en".into(),
            synonyms: Vec::new(),
            articles,
        },
        in_scope,
        out_of_scope,
    }
}

/// Test queries for an existing base: each label must be an article id (or the out-of-scope label).
pub fn split_for_base(
    base: KnowledgeBase,
    queries: Vec<Utterance>,
    out_of_scope_label: Option<&str>,
) -> Result<Split, String> {
    if let Some(unknown) = queries.iter().find(|u| {
        Some(u.label.as_str()) != out_of_scope_label
            && !base.articles.iter().any(|a| a.id == u.label)
    }) {
        return Err(format!(
            "the query {:?} is labelled {:?}, which is no article of the base",
            unknown.text, unknown.label
        ));
    }
    let (out_of_scope, in_scope) = queries
        .into_iter()
        .partition(|u| Some(u.label.as_str()) == out_of_scope_label);
    Ok(Split {
        base,
        in_scope,
        out_of_scope,
    })
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Report {
    pub queries: usize,
    pub top1: f64,
    pub mrr10: f64,
    /// Share of out-of-scope queries answered `unsure` (or `handoff`); `None` without any.
    pub oos_unsure_recall: Option<f64>,
    /// Share of in-scope queries wrongly answered `unsure`.
    pub in_scope_unsure: Option<f64>,
}

/// Ranking quality of `search` on the in-scope queries, and, when `outcome` is given, how
/// its abstentions fall on in-scope and out-of-scope queries.
pub fn evaluate(
    split: &Split,
    search: impl Fn(&str) -> Vec<Hit>,
    outcome: Option<&dyn Fn(&str) -> Outcome>,
) -> Report {
    let position: HashMap<&str, usize> = split
        .base
        .articles
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    let (mut top1, mut mrr) = (0.0, 0.0);
    for u in &split.in_scope {
        let expected = position[u.label.as_str()];
        let hits = search(&u.text);
        if let Some(rank) = hits.iter().take(10).position(|h| h.article == expected) {
            mrr += 1.0 / (rank + 1) as f64;
            if rank == 0 {
                top1 += 1.0;
            }
        }
    }
    let n = split.in_scope.len().max(1) as f64;
    let mut report = Report {
        queries: split.in_scope.len(),
        top1: top1 / n,
        mrr10: mrr / n,
        ..Report::default()
    };
    if let Some(outcome) = outcome {
        let abstains =
            |u: &&Utterance| matches!(outcome(&u.text), Outcome::Unsure | Outcome::Handoff);
        report.in_scope_unsure = Some(split.in_scope.iter().filter(abstains).count() as f64 / n);
        if !split.out_of_scope.is_empty() {
            let caught = split.out_of_scope.iter().filter(abstains).count();
            report.oos_unsure_recall = Some(caught as f64 / split.out_of_scope.len() as f64);
        }
    }
    report
}

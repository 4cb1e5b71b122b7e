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

/// Where the base stood after a number of accepted suggestions, in [`replay_learning`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearningPoint {
    pub accepted: usize,
    /// Visitor questions replayed before it.
    pub replayed: usize,
    /// Top-1 over the held-out queries, never learned from.
    pub held_out_top1: f64,
    /// Top-1 over the next `window` replayed questions (fewer at the end of the stream),
    /// learning as it goes; `None` when none were left.
    pub next_top1: Option<f64>,
}

/// The learning loop replayed: `split`'s in-scope queries, in a fixed order that mixes the
/// intents (by a hash of their text), are split into visitors (three in four) and a held-out
/// quarter. Each visitor asks the assistant; whenever the bot misses (its top article is not
/// the visitor's, or it is unsure), the visitor is counted as handed off and answered by an
/// agent with the right article, and the suggestion is accepted: the question becomes one more
/// way of asking that article. Returns a point at each of `checkpoints` accepted suggestions
/// reached (0 is the base as it was), and one where the replay ended.
pub fn replay_learning(split: &Split, checkpoints: &[usize], window: usize) -> Vec<LearningPoint> {
    let mut queries: Vec<&Utterance> = split.in_scope.iter().collect();
    queries.sort_by_key(|u| (fnv(&u.text), u.text.as_str()));
    let (mut visitors, mut held_out) = (Vec::new(), Vec::new());
    for (i, u) in queries.into_iter().enumerate() {
        if i % 4 == 3 {
            held_out.push(u);
        } else {
            visitors.push(u);
        }
    }
    let top1_of = |assistant: &crate::Assistant, u: &Utterance| {
        assistant
            .ask(&u.text, 1)
            .hits
            .first()
            .map(|h| h.id.as_str())
            == Some(u.label.as_str())
    };
    let held_out_top1 = |assistant: &crate::Assistant| {
        let right = held_out.iter().filter(|u| top1_of(assistant, u)).count();
        right as f64 / held_out.len().max(1) as f64
    };
    let mut base = split.base.clone();
    let mut assistant = crate::Assistant::new(base.clone());
    // Points taken, each with its window's (asked, right) so far.
    let mut points: Vec<(LearningPoint, usize, usize)> = Vec::new();
    let mut accepted = 0;
    let take_point =
        |accepted: usize, replayed: usize, assistant: &crate::Assistant, points: &mut Vec<_>| {
            if checkpoints.contains(&accepted) {
                let point = LearningPoint {
                    accepted,
                    replayed,
                    held_out_top1: held_out_top1(assistant),
                    next_top1: None,
                };
                points.push((point, 0, 0));
            }
        };
    take_point(0, 0, &assistant, &mut points);
    for (replayed, visitor) in visitors.iter().enumerate() {
        let reply = assistant.ask(&visitor.text, 1);
        let right = reply.hits.first().map(|h| h.id.as_str()) == Some(visitor.label.as_str());
        for (_, asked, correct) in points.iter_mut().filter(|(_, asked, _)| *asked < window) {
            *asked += 1;
            *correct += usize::from(right);
        }
        let missed = !right || matches!(reply.outcome, Outcome::Unsure | Outcome::Handoff);
        if missed && let Some(article) = base.articles.iter_mut().find(|a| a.id == visitor.label) {
            article.questions.push(visitor.text.clone());
            assistant = crate::Assistant::new(base.clone());
            accepted += 1;
            take_point(accepted, replayed + 1, &assistant, &mut points);
        }
    }
    // And where the replay ended.
    if !checkpoints.contains(&accepted) {
        let point = LearningPoint {
            accepted,
            replayed: visitors.len(),
            held_out_top1: held_out_top1(&assistant),
            next_top1: None,
        };
        points.push((point, 0, 0));
    }
    points
        .into_iter()
        .map(|(mut point, asked, right)| {
            point.next_top1 = (asked > 0).then(|| right as f64 / asked as f64);
            point
        })
        .collect()
}

/// FNV-1a: a fixed order that does not depend on the file's.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod learning_tests {
    use super::*;

    fn utterance(text: &str, label: &str) -> Utterance {
        Utterance {
            text: text.into(),
            label: label.into(),
        }
    }

    #[test]
    fn accepted_suggestions_teach_the_base_how_people_ask() {
        let mut train = vec![
            utterance("card has not arrived", "card_arrival"),
            utterance("reset my pin", "change_pin"),
        ];
        // Ways of asking the base does not know yet, each many times over.
        for n in 0..40 {
            train.push(utterance(
                &format!("where is the plastic {n}"),
                "card_arrival",
            ));
            train.push(utterance(
                &format!("forgot the four digits {n}"),
                "change_pin",
            ));
        }
        let split = split(&train, None, 1, None);
        let points = replay_learning(&split, &[0, 2], 10);
        assert_eq!(
            points.len(),
            2,
            "it ended where it learned the last of them: {points:?}"
        );
        let (before, after) = (points[0], points[1]);
        assert_eq!((before.accepted, after.accepted), (0, 2));
        assert!(before.held_out_top1 < 0.75, "{before:?}");
        assert_eq!(after.held_out_top1, 1.0, "{after:?}");
        assert!(
            after.next_top1.unwrap() > before.next_top1.unwrap(),
            "{points:?}"
        );
    }
}

//! The assistant: answers visitors from the site's FAQ, in the widget (wasm) and in the
//! server's command line (native). It knows nothing of Leptos, axum or sqlx and does no I/O:
//! callers hand it text.
//!
//! - [`kb`]: the knowledge base, its two file formats, and the lint behind `ito assistant check`.
//! - [`text`]: normalisation and terms (stems, word bigrams, character n-grams, Japanese n-grams).
//! - [`synonyms`]: the base's synonym groups, applied to articles and queries alike.
//! - [`index`]: TF-IDF over every question variant and every article's centroid.
//! - [`confidence`]: thresholds each base calibrates on its own questions; answer, suggest or unsure.
//! - [`markdown`]: article answers read into a tree of safe elements (no HTML, safe links only).
//! - [`intent`]: requests for a person, and signs of frustration.
//! - [`bench`]: the synthetic 2,000-article base and the timing behind the speed benchmark.
//! - [`baseline`]: plain BM25, the yardstick of the evaluation.
//! - [`readings`]: Japanese text in katakana, from a MeCab dictionary (for the server's ranking).
//! - [`eval`]: intent sets turned into bases, the measures the eval command prints, and the learning replay.
//! - [`gaps`]: the questions the bot did not handle, grouped by what they ask.

pub mod baseline;
pub mod bench;
pub mod confidence;
pub mod eval;
mod fold_table;
pub mod gaps;
pub mod index;
pub mod intent;
pub mod kb;
pub mod markdown;
pub mod readings;
pub mod synonyms;
pub mod text;

use serde::Serialize;

use confidence::{Decision, Thresholds};
use index::Index;
pub use kb::{Article, KbError, KnowledgeBase};

/// What the assistant does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Show the first hit's article.
    Answer,
    /// Offer the first two or three hits.
    Suggest,
    /// Say it is not sure and offer a person.
    Unsure,
    /// The visitor asked for a person.
    Handoff,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredArticle {
    pub id: String,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub outcome: Outcome,
    pub hits: Vec<ScoredArticle>,
}

/// Where the server ranks by meaning too, the browser answers on its own only when its first
/// article is this far ahead of the second (a share of its score), twice the margin it needs
/// alone: the answers it gives with less are the ones it most often gets wrong, and the server
/// gets them right more often (on Banking77 with 10 questions per intent, the browser answers
/// 49 % of questions alone at 93 % top-1 with this bar, against 59 % at 89 % with its own).
pub const ALONE_MARGIN: f32 = 0.20;

impl Reply {
    /// Reads a reply as `Serialize` writes it (the server's semantic answers), by hand over
    /// the JSON value the widget parses anyway: a derived reader costs the widget kilobytes.
    /// Anything else, and scores outside 0..=1, is `None`.
    pub fn read(json: &str) -> Option<Reply> {
        let value: serde_json::Value = serde_json::from_str(json).ok()?;
        let outcome = match value.get("outcome")?.as_str()? {
            "answer" => Outcome::Answer,
            "suggest" => Outcome::Suggest,
            "unsure" => Outcome::Unsure,
            "handoff" => Outcome::Handoff,
            _ => return None,
        };
        let mut hits = Vec::new();
        for hit in value.get("hits")?.as_array()? {
            let score = hit.get("score")?.as_f64()? as f32;
            if !(0.0..=1.0).contains(&score) {
                return None;
            }
            let id = hit.get("id")?.as_str()?.to_owned();
            hits.push(ScoredArticle { id, score });
        }
        Some(Reply { outcome, hits })
    }

    /// Whether the browser shows this reply without asking the server's semantic ranker:
    /// a request for a person, or an answer clearly ahead of the runner-up.
    pub fn needs_no_server(&self) -> bool {
        match self.outcome {
            Outcome::Handoff => true,
            Outcome::Answer => {
                let best = self.hits.first().map_or(0.0, |h| h.score);
                let runner_up = self.hits.get(1).map_or(0.0, |h| h.score);
                best - runner_up >= ALONE_MARGIN * best
            }
            Outcome::Suggest | Outcome::Unsure => false,
        }
    }
}

/// A knowledge base ready to answer.
#[derive(Debug)]
pub struct Assistant {
    base: KnowledgeBase,
    index: Index,
    thresholds: Thresholds,
}

impl Assistant {
    pub fn new(base: KnowledgeBase) -> Assistant {
        let index = Index::build(&base);
        let thresholds = Thresholds::calibrate(&base, &index);
        Assistant {
            base,
            index,
            thresholds,
        }
    }

    pub fn base(&self) -> &KnowledgeBase {
        &self.base
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    pub fn article(&self, id: &str) -> Option<&Article> {
        self.base.articles.iter().find(|a| a.id == id)
    }

    /// Answers one message with at most `top` hits (suggestions show up to three).
    pub fn ask(&self, message: &str, top: usize) -> Reply {
        if intent::asks_for_person(message) {
            return Reply {
                outcome: Outcome::Handoff,
                hits: Vec::new(),
            };
        }
        let hits = self.index.search(message, top.max(3));
        let outcome = match self.thresholds.decide(&hits) {
            Decision::Answer => Outcome::Answer,
            Decision::Suggest => Outcome::Suggest,
            Decision::Unsure => Outcome::Unsure,
        };
        let hits = hits
            .into_iter()
            .take(top)
            .map(|h| ScoredArticle {
                id: self.index.article_id(h.article).to_owned(),
                score: round(h.score),
            })
            .collect();
        Reply { outcome, hits }
    }
}

fn round(score: f32) -> f32 {
    (score * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(outcome: Outcome, scores: &[f32]) -> Reply {
        Reply {
            outcome,
            hits: scores
                .iter()
                .enumerate()
                .map(|(i, &score)| ScoredArticle {
                    id: format!("a{i}"),
                    score,
                })
                .collect(),
        }
    }

    #[test]
    fn a_reply_reads_back_as_it_was_written() {
        for outcome in [
            Outcome::Answer,
            Outcome::Suggest,
            Outcome::Unsure,
            Outcome::Handoff,
        ] {
            let written = reply(outcome, &[0.75, 0.5]);
            let json = serde_json::to_string(&written).unwrap();
            assert_eq!(Reply::read(&json), Some(written), "{json}");
        }
        for odd in [
            "",
            "null",
            r#"{"outcome": "maybe", "hits": []}"#,
            r#"{"outcome": "answer"}"#,
            r#"{"outcome": "answer", "hits": [{"id": "a", "score": 7}]}"#,
            r#"{"outcome": "answer", "hits": [{"id": 3, "score": 0.5}]}"#,
        ] {
            assert_eq!(Reply::read(odd), None, "{odd}");
        }
    }

    #[test]
    fn only_a_clear_answer_or_a_handoff_goes_without_the_server() {
        assert!(reply(Outcome::Answer, &[0.5, 0.3]).needs_no_server());
        assert!(reply(Outcome::Answer, &[0.5]).needs_no_server());
        // Ahead by 12 %: enough to answer alone in the browser, not with a server at hand.
        assert!(!reply(Outcome::Answer, &[0.5, 0.44]).needs_no_server());
        assert!(!reply(Outcome::Suggest, &[0.5, 0.1]).needs_no_server());
        assert!(!reply(Outcome::Unsure, &[]).needs_no_server());
        assert!(reply(Outcome::Handoff, &[]).needs_no_server());
    }
}

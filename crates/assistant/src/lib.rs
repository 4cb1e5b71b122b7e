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
//! - [`eval`]: intent sets turned into bases, and the measures the eval command prints.

pub mod baseline;
pub mod bench;
pub mod confidence;
pub mod eval;
mod fold_table;
pub mod index;
pub mod intent;
pub mod kb;
pub mod markdown;
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

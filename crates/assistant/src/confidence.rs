//! Turning scores into one of three honest outcomes, with thresholds each base calibrates on
//! itself: every question variant is asked as if it were a visitor's question (with that
//! variant left out), and the scores of those held-out matches set the bar. A threshold is
//! therefore a statement about the base ("weaker than nearly all of our own questions'
//! matches"), which means the same for ten articles or ten thousand, English or Japanese.

use crate::index::{Hit, Index};
use crate::kb::KnowledgeBase;

/// Below this share of the held-out matches' scores, the assistant is unsure.
pub const UNSURE_QUANTILE: f32 = 0.07;
/// Above this share, and clearly ahead of the runner-up, it answers with one article.
pub const ANSWER_QUANTILE: f32 = 0.35;
/// How far ahead of the second article the first must be to answer alone, as a share of its score.
pub const ANSWER_MARGIN: f32 = 0.10;
/// What a base with nothing to learn from gets, and what small bases are pulled towards:
/// the mean of the thresholds the development sets (Banking77, CLINC150) calibrated to.
const PRIOR: Thresholds = Thresholds {
    unsure_below: 0.13,
    answer_from: 0.32,
};
/// How many held-out questions the prior counts as: a base with 27 of them gets a third of
/// its own evidence and two thirds of the prior; one with 400 is almost all its own.
const PRIOR_WEIGHT: f32 = 50.0;
/// At most this many variants are held out: enough for stable quantiles, cheap for big bases.
const CALIBRATION_SAMPLE: usize = 200;

/// How a ranker's thresholds are read from its held-out scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub unsure_quantile: f32,
    pub answer_quantile: f32,
    pub prior: Thresholds,
}

/// The browser's assistant's.
const BROWSER: Calibration = Calibration {
    unsure_quantile: UNSURE_QUANTILE,
    answer_quantile: ANSWER_QUANTILE,
    prior: PRIOR,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub unsure_below: f32,
    pub answer_from: f32,
}

/// A question of the base asked as if a visitor had asked it, with itself left out.
#[derive(Debug, Clone, Copy)]
pub struct HeldOut<'a> {
    /// Its place in the index's variants (see [`Index::variants`]).
    pub variant: usize,
    pub article: usize,
    pub question: &'a str,
}

/// The questions calibration holds out, evenly spread, at most [`CALIBRATION_SAMPLE`]: any
/// question, as its article keeps its title and its other questions when it is held out (a
/// real FAQ often has one question per article, and its base calibrates on those too).
pub fn held_out_sample<'a>(base: &'a KnowledgeBase, index: &Index) -> Vec<HeldOut<'a>> {
    let held_out: Vec<HeldOut<'a>> = index
        .variants()
        .enumerate()
        .filter(|&(_, (_, position))| position > 0)
        .map(|(variant, (article, position))| HeldOut {
            variant,
            article,
            question: base.articles[article].questions[position - 1].as_str(),
        })
        .collect();
    let stride = held_out.len().div_ceil(CALIBRATION_SAMPLE).max(1);
    held_out.into_iter().step_by(stride).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Answer,
    Suggest,
    Unsure,
}

impl Thresholds {
    /// Holds out question variants (see [`held_out_sample`]) and reads the quantiles of the
    /// scores their own article gets.
    pub fn calibrate(base: &KnowledgeBase, index: &Index) -> Thresholds {
        let scores = held_out_sample(base, index)
            .into_iter()
            .map(|held| {
                let hits = index.search_held_out(held.question, held.variant);
                hits.iter()
                    .find(|h| h.article == held.article)
                    .map_or(0.0, |h| h.score)
            })
            .collect();
        Thresholds::from_held_out(scores, BROWSER)
    }

    /// The thresholds that the scores of held-out questions (each with its own article) set,
    /// pulled towards `prior` in proportion to how few they are. Any ranker whose scores lie
    /// in 0..=1 calibrates this way: the browser's and the server's semantic one.
    pub fn from_held_out(mut scores: Vec<f32>, calibration: Calibration) -> Thresholds {
        let prior = calibration.prior;
        if scores.is_empty() {
            return prior;
        }
        scores.sort_unstable_by(f32::total_cmp);
        let n = scores.len() as f32;
        let quantile = |q: f32| scores[((n - 1.0) * q).round() as usize];
        let shrink = |own: f32, prior: f32| (n * own + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT);
        Thresholds {
            unsure_below: shrink(quantile(calibration.unsure_quantile), prior.unsure_below),
            answer_from: shrink(quantile(calibration.answer_quantile), prior.answer_from),
        }
    }

    pub fn decide(&self, hits: &[Hit]) -> Decision {
        let Some(best) = hits.first() else {
            return Decision::Unsure;
        };
        if best.score < self.unsure_below {
            return Decision::Unsure;
        }
        let runner_up = hits.get(1).map_or(0.0, |h| h.score);
        if best.score >= self.answer_from && best.score - runner_up >= ANSWER_MARGIN * best.score {
            Decision::Answer
        } else {
            Decision::Suggest
        }
    }
}

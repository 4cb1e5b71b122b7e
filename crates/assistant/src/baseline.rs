//! Plain BM25, the yardstick the evaluation prints beside the assistant: lower-cased words
//! split on anything that is not a letter or digit, one document per article (its title and
//! questions together), k1 = 1.2, b = 0.75. No stemming, stop words, n-grams or synonyms.

use std::collections::HashMap;

use crate::index::Hit;
use crate::kb::KnowledgeBase;

pub struct Bm25 {
    postings: HashMap<String, Vec<(u32, f32)>>,
    lengths: Vec<f32>,
    average_length: f32,
}

const K1: f32 = 1.2;
const B: f32 = 0.75;

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

impl Bm25 {
    pub fn build(base: &KnowledgeBase) -> Bm25 {
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        let mut lengths = Vec::new();
        for (article_no, article) in base.articles.iter().enumerate() {
            let mut counts: HashMap<String, f32> = HashMap::new();
            let mut length = 0.0;
            for variant in std::iter::once(&article.title).chain(&article.questions) {
                for word in words(variant) {
                    *counts.entry(word).or_default() += 1.0;
                    length += 1.0;
                }
            }
            for (word, tf) in counts {
                postings
                    .entry(word)
                    .or_default()
                    .push((article_no as u32, tf));
            }
            lengths.push(length);
        }
        let average_length = lengths.iter().sum::<f32>() / lengths.len().max(1) as f32;
        Bm25 {
            postings,
            lengths,
            average_length,
        }
    }

    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let n = self.lengths.len() as f32;
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for word in words(query) {
            let Some(list) = self.postings.get(&word) else {
                continue;
            };
            let df = list.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(article, tf) in list {
                let norm =
                    K1 * (1.0 - B + B * self.lengths[article as usize] / self.average_length);
                *scores.entry(article).or_default() += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut hits: Vec<Hit> = scores
            .into_iter()
            .map(|(article, score)| Hit {
                article: article as usize,
                score,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.article.cmp(&b.article)));
        hits.truncate(limit);
        hits
    }
}

//! Plain BM25, the yardstick the evaluation prints beside the assistant, k1 = 1.2, b = 0.75,
//! no stemming, stop words or synonyms, in two forms: [`Bm25::build`] over lower-cased words
//! split on anything that is not a letter or digit, one document per article (its title and
//! questions together); [`Bm25::bigrams`] over character bigrams of the title, questions and
//! answer, the usual baseline for Japanese, which has no spaces between words.

use std::collections::HashMap;

use crate::index::Hit;
use crate::kb::KnowledgeBase;

pub struct Bm25 {
    postings: HashMap<String, Vec<(u32, f32)>>,
    lengths: Vec<f32>,
    average_length: f32,
    terms: fn(&str) -> Vec<String>,
}

const K1: f32 = 1.2;
const B: f32 = 0.75;

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Each run of letters and digits, lower-cased, as its overlapping runs of `N` characters (a
/// shorter run is itself).
fn character_grams<const N: usize>(text: &str) -> Vec<String> {
    let mut grams = Vec::new();
    for run in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|r| !r.is_empty())
    {
        let chars: Vec<char> = run.to_lowercase().chars().collect();
        if chars.len() < N {
            grams.push(chars.iter().collect());
        }
        grams.extend(chars.windows(N).map(|gram| gram.iter().collect::<String>()));
    }
    grams
}

impl Bm25 {
    pub fn build(base: &KnowledgeBase) -> Bm25 {
        Bm25::over(base, false, |text| words(text).collect())
    }

    /// Over character bigrams of each article's title, questions and answer.
    pub fn bigrams(base: &KnowledgeBase) -> Bm25 {
        Bm25::over(base, true, character_grams::<2>)
    }

    /// Over character trigrams of the same (for text whose pairs are too common to tell
    /// articles apart, such as katakana).
    pub fn trigrams(base: &KnowledgeBase) -> Bm25 {
        Bm25::over(base, true, character_grams::<3>)
    }

    fn over(base: &KnowledgeBase, with_answers: bool, terms: fn(&str) -> Vec<String>) -> Bm25 {
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        let mut lengths = Vec::new();
        for (article_no, article) in base.articles.iter().enumerate() {
            let mut counts: HashMap<String, f32> = HashMap::new();
            let mut length = 0.0;
            let answer = with_answers.then_some(&article.answer);
            for variant in std::iter::once(&article.title)
                .chain(&article.questions)
                .chain(answer)
            {
                for word in terms(variant) {
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
            terms,
        }
    }

    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let n = self.lengths.len() as f32;
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for word in (self.terms)(query) {
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

#[cfg(test)]
mod tests {
    use super::character_grams;

    #[test]
    fn grams_are_taken_within_runs_of_letters() {
        assert_eq!(
            character_grams::<3>("ジュウミ ン"),
            ["ジュウ", "ュウミ", "ン"]
        );
        assert_eq!(character_grams::<2>("Ab c"), ["ab", "c"]);
        assert!(character_grams::<3>("、。").is_empty());
    }
}

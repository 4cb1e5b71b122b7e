//! The retrieval index: every question variant of every article as a TF-IDF vector, plus one
//! centroid per article (the mean of its variants), in two term spaces (words and character
//! n-grams). A query is scored against both its nearest variant and the article's centroid,
//! so an article is found by any way people ask for it and by what its variants share.

use crate::kb::KnowledgeBase;
use crate::synonyms::Synonyms;
use crate::text::{self, Term, TermMap};

/// How much each part counts. Chosen on the development data (see `eval`), the same for
/// every base and language.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    /// Share of BM25 over whole articles (their variants together) in the word space; it
    /// rewards articles whose variants, between them, cover the query.
    pub bm25: f32,
    /// Share of the word space; the rest goes to character n-grams.
    pub words: f32,
    /// Share of the centroid in the word space; the rest goes to the nearest variant. The
    /// character space uses centroids only: per-variant n-gram matches added nothing on the
    /// development data and were most of the cost.
    pub centroid: f32,
    /// BM25 over each article's answer text takes this divided by the base's mean number of
    /// variants per article (title and questions), at most a half; the rest goes to the parts
    /// above. In real FAQs, with one question per article and long answers, the answer
    /// carries most of the words people type; a base with many ways of asking per article
    /// says it better in its questions. (On the development data: a city-hall style base with
    /// one question per article gains 12 points, the demo bases and the intent sets with nine
    /// to eleven variants are unchanged within a query.)
    pub answers: f32,
}

pub const WEIGHTS: Weights = Weights {
    bm25: 0.5,
    words: 0.3,
    centroid: 0.75,
    answers: 0.8,
};

/// The most the answers' BM25 may weigh, however few the variants.
const MAX_ANSWER_SHARE: f32 = 0.5;

type Sparse = Vec<(u32, f32)>;

/// 1 + ln(count), the sublinear term frequency, looked up for the small counts that make up
/// nearly every entry.
fn sublinear(count: u32) -> f32 {
    const SMALL: [f32; 8] = [
        0.0,
        1.0,
        1.693_147_2,
        2.098_612_3,
        2.386_294_4,
        2.609_438,
        2.791_759_5,
        2.945_910_2,
    ];
    SMALL
        .get(count as usize)
        .copied()
        .unwrap_or_else(|| 1.0 + (count as f32).ln())
}

/// Many sparse rows stored one after another (compressed sparse rows): one allocation for
/// all of them instead of one per row. Transposed, term vectors become postings lists.
#[derive(Debug)]
struct Rows {
    offsets: Vec<u32>,
    entries: Vec<(u32, f32)>,
}

impl Default for Rows {
    fn default() -> Rows {
        Rows {
            offsets: vec![0],
            entries: Vec::new(),
        }
    }
}

impl Rows {
    fn with_capacity(rows: usize, entries: usize) -> Rows {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Rows {
            offsets,
            entries: Vec::with_capacity(entries),
        }
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn row(&self, row: usize) -> &[(u32, f32)] {
        self.offsets.get(row + 1).map_or(&[], |&end| {
            &self.entries[self.offsets[row] as usize..end as usize]
        })
    }

    fn end_row(&mut self) {
        self.offsets.push(self.entries.len() as u32);
    }

    fn last_row_mut(&mut self) -> &mut [(u32, f32)] {
        let start = self.offsets[self.offsets.len() - 2] as usize;
        &mut self.entries[start..]
    }

    /// Rows become columns: for each of `columns` terms, the (row, weight) pairs holding it.
    fn transpose(&self, columns: usize) -> Rows {
        let mut offsets = vec![0u32; columns + 1];
        for &(column, _) in &self.entries {
            offsets[column as usize + 1] += 1;
        }
        for c in 0..columns {
            offsets[c + 1] += offsets[c];
        }
        let mut fill = offsets.clone();
        let mut entries = vec![(0, 0.0); self.entries.len()];
        for row in 0..self.len() {
            for &(column, w) in self.row(row) {
                entries[fill[column as usize] as usize] = (row as u32, w);
                fill[column as usize] += 1;
            }
        }
        Rows { offsets, entries }
    }
}

/// Counts term ids in a dense row that is cleared as it is read, so counting a variant
/// costs its length, not a sort or a hash map.
struct Counter {
    counts: Vec<u32>,
    touched: Vec<u32>,
}

impl Counter {
    fn new(terms: usize) -> Counter {
        Counter {
            counts: vec![0; terms],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, ids: &[u32]) {
        // Branch-free: whether a term is new is a coin toss the processor cannot predict.
        let mut seen = self.touched.len();
        self.touched.resize(seen + ids.len(), 0);
        for &id in ids {
            let count = &mut self.counts[id as usize];
            self.touched[seen] = id;
            seen += usize::from(*count == 0);
            *count += 1;
        }
        self.touched.truncate(seen);
    }

    /// Appends the terms added since the last call to `rows` as a new row, in first-seen
    /// order, each weighted by `weigh(term, count)`.
    fn take_into(&mut self, rows: &mut Rows, weigh: impl Fn(u32, u32) -> f32) {
        let counts = &mut self.counts;
        rows.entries.extend(self.touched.drain(..).map(|id| {
            let count = std::mem::take(&mut counts[id as usize]);
            (id, weigh(id, count))
        }));
        rows.end_row();
    }
}

/// Each article with the range of its variants (variants of one article are contiguous).
fn article_ranges(
    variant_article: &[u32],
    articles: usize,
) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
    let mut start = 0;
    (0..articles).map(move |article| {
        let end = start
            + variant_article[start..]
                .iter()
                .take_while(|&&a| a as usize == article)
                .count();
        let range = start..end;
        start = end;
        (article, range)
    })
}

/// The terms of every variant, one list after another.
#[derive(Debug)]
pub(crate) struct TermLists {
    offsets: Vec<u32>,
    terms: Vec<Term>,
}

impl TermLists {
    fn new() -> TermLists {
        TermLists {
            offsets: vec![0],
            terms: Vec::new(),
        }
    }

    fn end_list(&mut self) {
        self.offsets.push(self.terms.len() as u32);
    }

    /// Forgets the terms added since the last list ended.
    fn drop_open_list(&mut self) {
        self.terms
            .truncate(self.offsets[self.offsets.len() - 1] as usize);
    }

    fn open_list_is_empty(&self) -> bool {
        self.terms.len() == self.offsets[self.offsets.len() - 1] as usize
    }

    fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.offsets
            .windows(2)
            .map(|pair| pair[0] as usize..pair[1] as usize)
    }
}

#[derive(Debug, Default)]
struct Space {
    vocabulary: TermMap<u32>,
    idf: Vec<f32>,
    /// The weight given to terms the base has never seen: as rare as a term can be, so a
    /// question full of unknown words scores low everywhere.
    unknown_idf: f32,
    /// Term -> (variant, weight); empty where only centroids are compared.
    variant_postings: Rows,
    /// Term -> (article, weight of the term in the article's centroid).
    centroid_postings: Rows,
    /// Length of each article's summed variant vector, before it was normalised.
    sum_norm: Vec<f32>,
    /// Each variant's dot product with its article's summed vector: with `sum_norm`, this
    /// lets calibration take one variant out of its centroid exactly.
    dot_with_sum: Vec<f32>,
    /// BM25 over articles: term -> (article, term count in all its variants). Empty where
    /// BM25 is not used.
    article_postings: Rows,
    article_length: Vec<f32>,
    average_length: f32,
}

/// What a term space keeps besides centroids.
#[derive(Debug, Clone, Copy)]
struct Keep {
    /// Postings of each variant's own vector, for the nearest-variant score.
    variants: bool,
    /// Term counts per article, for BM25.
    bm25: bool,
}

/// A term in more than 1/COMMON_SHARE of the articles (and more than COMMON_FLOOR) is skipped when scoring.
const COMMON_SHARE: usize = 10;
const COMMON_FLOOR: usize = 100;

const K1: f32 = 1.2;
const B: f32 = 0.75;

impl Space {
    fn build(lists: &TermLists, variant_article: &[u32], articles: usize, keep: Keep) -> Space {
        let mut space = Space::default();
        let ids: Vec<u32> = lists
            .terms
            .iter()
            .map(|t| {
                let next = space.vocabulary.len() as u32;
                *space.vocabulary.entry(*t).or_insert(next)
            })
            .collect();
        let variant_ids: Vec<&[u32]> = lists.ranges().map(|range| &ids[range]).collect();
        let n_terms = space.vocabulary.len();
        // Document frequency counts articles, not variants: a word every variant of one
        // article uses is that article's signature, not a common word.
        let mut df = vec![0u32; n_terms];
        let mut last_article = vec![u32::MAX; n_terms];
        for (ids, &article) in variant_ids.iter().zip(variant_article) {
            for &id in *ids {
                let last = std::mem::replace(&mut last_article[id as usize], article);
                df[id as usize] += u32::from(last != article);
            }
        }
        let mut counter = Counter::new(n_terms);
        if keep.bm25 {
            space.article_length = vec![0.0; articles];
            let mut article_counts = Rows::with_capacity(articles, ids.len());
            for (article, range) in article_ranges(variant_article, articles) {
                for ids in &variant_ids[range] {
                    space.article_length[article] += ids.len() as f32;
                    counter.add(ids);
                }
                counter.take_into(&mut article_counts, |_, count| count as f32);
            }
            space.article_postings = article_counts.transpose(n_terms);
            space.average_length =
                space.article_length.iter().sum::<f32>() / articles.max(1) as f32;
        }
        let n = articles as f32;
        space.idf = df.iter().map(|&d| (1.0 + n / d as f32).ln()).collect();
        space.unknown_idf = (1.0 + n).ln();

        let mut vectors = Rows::with_capacity(variant_ids.len(), ids.len());
        for ids in &variant_ids {
            counter.add(ids);
            counter.take_into(&mut vectors, |id, count| {
                sublinear(count) * space.idf[id as usize]
            });
            let vector = vectors.last_row_mut();
            let norm: f32 = vector.iter().map(|(_, w)| w * w).sum();
            let norm = norm.sqrt();
            vector.iter_mut().for_each(|(_, w)| *w /= norm);
        }
        // Centroids: variants of one article are contiguous, so one dense scratch row serves
        // every article in turn.
        let mut centroids = Rows::with_capacity(articles, ids.len());
        space.dot_with_sum = vec![0.0; vectors.len()];
        let mut sum = vec![0.0f32; n_terms];
        let mut touched: Vec<u32> = Vec::new();
        for (_, range) in article_ranges(variant_article, articles) {
            for v in range.clone() {
                let row = vectors.row(v);
                let mut seen = touched.len();
                touched.resize(seen + row.len(), 0);
                for &(id, w) in row {
                    touched[seen] = id;
                    seen += usize::from(sum[id as usize] == 0.0);
                    sum[id as usize] += w;
                }
                touched.truncate(seen);
            }
            for v in range {
                space.dot_with_sum[v] = vectors
                    .row(v)
                    .iter()
                    .map(|&(id, w)| w * sum[id as usize])
                    .sum();
            }
            let norm = touched
                .iter()
                .map(|&id| sum[id as usize] * sum[id as usize])
                .sum::<f32>()
                .sqrt();
            space.sum_norm.push(norm);
            centroids.entries.extend(
                touched
                    .drain(..)
                    .map(|id| (id, std::mem::take(&mut sum[id as usize]) / norm)),
            );
            centroids.end_row();
        }
        if keep.variants {
            space.variant_postings = vectors.transpose(n_terms);
        }
        space.centroid_postings = centroids.transpose(n_terms);
        space
    }

    /// Sublinear term frequency times idf, L2-normalised, sorted by term id; ids are
    /// `u32::MAX` for unknown terms, which count in the norm but match nothing.
    fn weigh(&self, terms: impl Iterator<Item = (u32, f32)>) -> Sparse {
        let mut all: Vec<(u32, f32)> = terms.collect();
        all.sort_unstable_by_key(|&(id, _)| id);
        let mut vector: Sparse = Vec::with_capacity(all.len());
        let mut norm = 0.0;
        for run in all.chunk_by(|a, b| a.0 == b.0) {
            let (id, idf) = run[0];
            if id == u32::MAX {
                norm += run.len() as f32 * idf * idf;
                continue;
            }
            let w = sublinear(run.len() as u32) * idf;
            norm += w * w;
            vector.push((id, w));
        }
        let norm = norm.sqrt();
        if norm > 0.0 {
            vector.iter_mut().for_each(|(_, w)| *w /= norm);
        }
        vector
    }

    /// BM25 of the query against every article, divided by the most the query could score,
    /// so it lies in 0..=1 whatever the base's size. Terms the base lacks count in that
    /// maximum: a query made mostly of unknown words scores low.
    /// `held_out` names the article whose variant the query itself is (calibration): the
    /// query's terms are then taken out of that article's counts.
    fn bm25(&self, terms: &[Term], scores: &mut [f32], held_out: Option<usize>) {
        let n = self.article_length.len() as f32;
        let mut most = 0.0;
        let mut distinct: Vec<Term> = terms.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        for term in distinct {
            let Some(&id) = self.vocabulary.get(&term) else {
                most += (1.0 + (n - 0.5) / 1.5).ln() * (K1 + 1.0);
                continue;
            };
            let list = self.article_postings.row(id as usize);
            let df = list.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            most += idf * (K1 + 1.0);
            for &(article, mut tf) in list {
                let mut length = self.article_length[article as usize];
                if held_out == Some(article as usize) {
                    tf -= terms.iter().filter(|&&t| t == term).count() as f32;
                    length -= terms.len() as f32;
                }
                let norm = K1 * (1.0 - B + B * length / self.average_length);
                scores[article as usize] += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        if most > 0.0 {
            scores.iter_mut().for_each(|s| *s /= most);
        }
    }

    /// The query's score against an article's centroid with one of its variants taken out.
    fn centroid_without(
        &self,
        article: usize,
        variant: usize,
        with: f32,
        variant_score: f32,
    ) -> f32 {
        let sum_norm = self.sum_norm[article];
        let rest_squared = sum_norm * sum_norm - 2.0 * self.dot_with_sum[variant] + 1.0;
        if rest_squared <= 1e-6 {
            return 0.0;
        }
        (with * sum_norm - variant_score) / rest_squared.sqrt()
    }

    fn query(&self, terms: &[Term]) -> Sparse {
        self.weigh(terms.iter().map(|t| match self.vocabulary.get(t) {
            Some(&id) => (id, self.idf[id as usize]),
            None => (u32::MAX, self.unknown_idf),
        }))
    }
}

/// A built index over one knowledge base.
#[derive(Debug)]
pub struct Index {
    ids: Vec<String>,
    variant_article: Vec<u32>,
    /// (article, position) of each variant: position 0 is the title, 1.. the questions.
    variant_source: Vec<(u32, u32)>,
    words: Space,
    chars: Space,
    /// Each article's answer as one document, for BM25 only.
    answers: Space,
    /// What the answers' BM25 weighs in this base (see [`Weights::answers`]).
    answer_share: f32,
    synonyms: Synonyms,
    weights: Weights,
}

/// An article and how well it matches, in 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub article: usize,
    pub score: f32,
}

impl Index {
    pub fn build(base: &KnowledgeBase) -> Index {
        Index::with_weights(base, WEIGHTS)
    }

    pub fn with_weights(base: &KnowledgeBase, weights: Weights) -> Index {
        let synonyms = Synonyms::new(&base.synonyms);
        let mut words = TermLists::new();
        let mut chars = TermLists::new();
        let mut variant_article = Vec::new();
        let mut variant_source = Vec::new();
        for (article_no, article) in base.articles.iter().enumerate() {
            for (position, variant) in std::iter::once(&article.title)
                .chain(&article.questions)
                .enumerate()
            {
                text::terms_into(
                    &synonyms.apply(&text::normalize(variant)),
                    &mut words.terms,
                    &mut chars.terms,
                );
                if words.open_list_is_empty() && chars.open_list_is_empty() {
                    continue;
                }
                words.end_list();
                chars.end_list();
                variant_article.push(article_no as u32);
                variant_source.push((article_no as u32, position as u32));
            }
        }
        words.drop_open_list();
        chars.drop_open_list();
        let articles = base.articles.len();
        let mut answers = TermLists::new();
        let mut unused_chars = Vec::new();
        for article in &base.articles {
            text::terms_into(
                &synonyms.apply(&text::normalize(&article.answer)),
                &mut answers.terms,
                &mut unused_chars,
            );
            unused_chars.clear();
            answers.end_list();
        }
        let every_article: Vec<u32> = (0..articles as u32).collect();
        let answers = Space::build(
            &answers,
            &every_article,
            articles,
            Keep {
                variants: false,
                bm25: true,
            },
        );
        let words = Space::build(
            &words,
            &variant_article,
            articles,
            Keep {
                variants: true,
                bm25: true,
            },
        );
        let chars = Space::build(
            &chars,
            &variant_article,
            articles,
            Keep {
                variants: false,
                bm25: false,
            },
        );
        Index {
            ids: base.articles.iter().map(|a| a.id.clone()).collect(),
            answer_share: (weights.answers * articles as f32 / variant_article.len().max(1) as f32)
                .min(MAX_ANSWER_SHARE),
            words,
            chars,
            answers,
            variant_article,
            variant_source,
            synonyms,
            weights,
        }
    }

    /// Each variant's article and its place in it (0 is the title, then the questions).
    pub fn variants(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.variant_source
            .iter()
            .map(|&(a, p)| (a as usize, p as usize))
    }

    pub fn article_id(&self, article: usize) -> &str {
        &self.ids[article]
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The best `limit` articles for `query`, best first; articles that share no term with
    /// the query are left out.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        self.search_inner(query, limit, None)
    }

    /// As [`Index::search`] for the text of variant `held_out`, as if that variant were not
    /// in the base: how a visitor asking exactly this would fare without it (calibration).
    /// Because the query is the variant's own text, its vector is the variant's vector, which
    /// is what lets the variant be taken out of its centroid and its article's BM25 exactly.
    pub fn search_held_out(&self, variant_text: &str, held_out: usize) -> Vec<Hit> {
        self.search_inner(variant_text, usize::MAX, Some(held_out))
    }

    fn search_inner(&self, query: &str, limit: usize, held_out: Option<usize>) -> Vec<Hit> {
        let terms = text::terms_of_normalized(&self.synonyms.apply(&text::normalize(query)));
        let n = self.ids.len();
        let held_out_article = held_out.map(|v| self.variant_article[v] as usize);
        let mut scores = vec![0.0f32; n];
        let mut touched = vec![false; n];
        let mut centroid = vec![0.0f32; n];
        let mut nearest = vec![0.0f32; n];
        let mut variants = vec![0.0f32; self.variant_article.len()];
        let mut seen_variants: Vec<u32> = Vec::new();
        // Terms in more articles than this tell little apart and cost the most to scan: they
        // still weigh in the query's length, so a query of common words only scores low.
        let common = (n / COMMON_SHARE).max(COMMON_FLOOR);
        for (space, terms, share, centroid_share) in [
            (
                &self.words,
                &terms.words,
                self.weights.words,
                self.weights.centroid,
            ),
            (&self.chars, &terms.chars, 1.0 - self.weights.words, 1.0),
        ] {
            centroid.iter_mut().for_each(|c| *c = 0.0);
            nearest.iter_mut().for_each(|c| *c = 0.0);
            // The query's similarity to itself over the terms scanned: its similarity to the
            // held-out variant, which is itself.
            let mut self_score = 0.0;
            for &(term, q) in &space.query(terms) {
                if space.centroid_postings.row(term as usize).len() > common {
                    continue;
                }
                self_score += q * q;
                for &(article, w) in space.centroid_postings.row(term as usize) {
                    centroid[article as usize] += q * w;
                    touched[article as usize] = true;
                }
                for &(variant, w) in space.variant_postings.row(term as usize) {
                    if variants[variant as usize] == 0.0 {
                        seen_variants.push(variant);
                    }
                    variants[variant as usize] += q * w;
                }
            }
            for &variant in &seen_variants {
                let score = std::mem::take(&mut variants[variant as usize]);
                if Some(variant as usize) != held_out {
                    let article = self.variant_article[variant as usize] as usize;
                    nearest[article] = nearest[article].max(score);
                }
            }
            seen_variants.clear();
            if let (Some(variant), Some(article)) = (held_out, held_out_article) {
                centroid[article] =
                    space.centroid_without(article, variant, centroid[article], self_score);
            }
            for article in 0..n {
                let blended =
                    centroid_share * centroid[article] + (1.0 - centroid_share) * nearest[article];
                scores[article] += (1.0 - self.weights.bm25) * share * blended;
            }
        }
        let mut bm25 = vec![0.0f32; n];
        self.words.bm25(&terms.words, &mut bm25, held_out_article);
        let mut in_answers = vec![0.0f32; n];
        if self.answer_share > 0.0 {
            self.answers.bm25(&terms.words, &mut in_answers, None);
        }
        let rest = 1.0 - self.answer_share;
        for article in 0..n {
            scores[article] = rest * (scores[article] + self.weights.bm25 * bm25[article])
                + self.answer_share * in_answers[article];
            touched[article] |= in_answers[article] > 0.0;
        }
        let mut hits: Vec<Hit> = scores
            .into_iter()
            .enumerate()
            .filter(|&(article, _)| touched[article])
            .map(|(article, score)| Hit {
                article,
                score: score.clamp(0.0, 1.0),
            })
            .collect();
        // Unstable is enough: no two hits compare equal. (It also costs the widget less code.)
        hits.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.article.cmp(&b.article)));
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sublinear_table_is_one_plus_ln() {
        for count in 1..40u32 {
            let exact = 1.0 + (count as f32).ln();
            assert!((sublinear(count) - exact).abs() < 1e-6, "{count}");
        }
    }

    #[test]
    fn counter_counts_and_transpose_inverts() {
        let mut counter = Counter::new(5);
        let mut rows = Rows::default();
        counter.add(&[3, 1, 3, 3]);
        counter.take_into(&mut rows, |_, count| count as f32);
        counter.add(&[]);
        counter.take_into(&mut rows, |_, count| count as f32);
        counter.add(&[1, 4]);
        counter.add(&[4]);
        counter.take_into(&mut rows, |id, count| (10 * id + count) as f32);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows.row(0), &[(3, 3.0), (1, 1.0)]);
        assert_eq!(rows.row(1), &[]);
        assert_eq!(rows.row(2), &[(1, 11.0), (4, 42.0)]);
        let postings = rows.transpose(5);
        assert_eq!(postings.row(0), &[]);
        assert_eq!(postings.row(1), &[(0, 1.0), (2, 11.0)]);
        assert_eq!(postings.row(3), &[(0, 3.0)]);
        assert_eq!(postings.row(4), &[(2, 42.0)]);
        assert_eq!(postings.row(99), &[], "a term past the end has no postings");
    }
}

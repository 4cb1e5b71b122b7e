//! The retrieval index: every question variant of every article as a TF-IDF vector, plus one
//! centroid per article (the mean of its variants), in two term spaces (words and character
//! n-grams). A query is scored against both its nearest variant and the article's centroid,
//! so an article is found by any way people ask for it and by what its variants share.

use crate::kb::KnowledgeBase;
use crate::synonyms::Synonyms;
use crate::text::{self, Term, TermMap, Terms};

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
}

pub const WEIGHTS: Weights = Weights {
    bm25: 0.5,
    words: 0.3,
    centroid: 0.75,
};

type Sparse = Vec<(u32, f32)>;

/// Counts term ids in a dense row that is cleared as it is read, so counting a variant
/// costs its length, not a sort or a hash map.
struct Counter {
    counts: Vec<f32>,
    touched: Vec<u32>,
}

impl Counter {
    fn new(terms: usize) -> Counter {
        Counter {
            counts: vec![0.0; terms],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, ids: &[u32]) {
        for &id in ids {
            if self.counts[id as usize] == 0.0 {
                self.touched.push(id);
            }
            self.counts[id as usize] += 1.0;
        }
    }

    /// The (id, count) pairs added since the last take, in first-seen order.
    fn take(&mut self) -> Sparse {
        let counts = &mut self.counts;
        self.touched
            .drain(..)
            .map(|id| (id, std::mem::take(&mut counts[id as usize])))
            .collect()
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

/// For each term, the (row, weight) pairs that contain it, stored flat: one allocation for
/// the whole list instead of one per term.
#[derive(Debug, Default)]
struct Postings {
    offsets: Vec<u32>,
    entries: Vec<(u32, f32)>,
}

impl Postings {
    /// Inverts rows (variants or articles, as sparse term vectors) into per-term lists.
    fn invert(rows: &[Sparse], terms: usize) -> Postings {
        let mut offsets = vec![0u32; terms + 1];
        for row in rows {
            for &(term, _) in row {
                offsets[term as usize + 1] += 1;
            }
        }
        for t in 0..terms {
            offsets[t + 1] += offsets[t];
        }
        let mut fill = offsets.clone();
        let mut entries = vec![(0, 0.0); offsets[terms] as usize];
        for (row_no, row) in rows.iter().enumerate() {
            for &(term, w) in row {
                entries[fill[term as usize] as usize] = (row_no as u32, w);
                fill[term as usize] += 1;
            }
        }
        Postings { offsets, entries }
    }

    fn of(&self, term: u32) -> &[(u32, f32)] {
        &self.entries
            [self.offsets[term as usize] as usize..self.offsets[term as usize + 1] as usize]
    }
}

#[derive(Debug, Default)]
struct Space {
    vocabulary: TermMap<u32>,
    idf: Vec<f32>,
    /// The weight given to terms the base has never seen: as rare as a term can be, so a
    /// question full of unknown words scores low everywhere.
    unknown_idf: f32,
    variant_postings: Postings,
    centroid_postings: Postings,
    /// Length of each article's summed variant vector, before it was normalised.
    sum_norm: Vec<f32>,
    /// Each variant's dot product with its article's summed vector: with `sum_norm`, this
    /// lets calibration take one variant out of its centroid exactly.
    dot_with_sum: Vec<f32>,
    /// BM25 over articles: term -> (article, term count in all its variants).
    article_postings: Postings,
    article_length: Vec<f32>,
    average_length: f32,
}

/// A term in more than 1/COMMON_SHARE of the articles (and more than COMMON_FLOOR) is skipped when scoring.
const COMMON_SHARE: usize = 10;
const COMMON_FLOOR: usize = 100;

const K1: f32 = 1.2;
const B: f32 = 0.75;

impl Space {
    fn build(
        variant_terms: &[&[Term]],
        variant_article: &[u32],
        articles: usize,
        per_variant: bool,
    ) -> Space {
        let mut space = Space::default();
        let mut ids_per_variant: Vec<Vec<u32>> = Vec::with_capacity(variant_terms.len());
        for terms in variant_terms {
            let ids = terms
                .iter()
                .map(|t| {
                    let next = space.vocabulary.len() as u32;
                    *space.vocabulary.entry(*t).or_insert(next)
                })
                .collect();
            ids_per_variant.push(ids);
        }
        let n_terms = space.vocabulary.len();
        // Document frequency counts articles, not variants: a word every variant of one
        // article uses is that article's signature, not a common word.
        let mut df = vec![0u32; n_terms];
        let mut last_article = vec![u32::MAX; n_terms];
        for (ids, &article) in ids_per_variant.iter().zip(variant_article) {
            for &id in ids {
                if last_article[id as usize] != article {
                    last_article[id as usize] = article;
                    df[id as usize] += 1;
                }
            }
        }
        space.article_length = vec![0.0; articles];
        let mut counter = Counter::new(n_terms);
        let mut article_counts: Vec<Sparse> = Vec::with_capacity(articles);
        for (article, range) in article_ranges(variant_article, articles) {
            for ids in &ids_per_variant[range] {
                space.article_length[article] += ids.len() as f32;
                counter.add(ids);
            }
            article_counts.push(counter.take());
        }
        space.article_postings = Postings::invert(&article_counts, n_terms);
        space.average_length = space.article_length.iter().sum::<f32>() / articles.max(1) as f32;
        let n = articles as f32;
        space.idf = df.iter().map(|&d| (1.0 + n / d as f32).ln()).collect();
        space.unknown_idf = (1.0 + n).ln();

        let vectors: Vec<Sparse> = ids_per_variant
            .iter()
            .map(|ids| {
                counter.add(ids);
                let mut vector = counter.take();
                let mut norm = 0.0;
                for (id, w) in &mut vector {
                    *w = (1.0 + w.ln()) * space.idf[*id as usize];
                    norm += *w * *w;
                }
                let norm = norm.sqrt();
                vector.iter_mut().for_each(|(_, w)| *w /= norm);
                vector
            })
            .collect();
        // Centroids: variants of one article are contiguous, so one dense scratch row serves
        // every article in turn.
        let mut centroids: Vec<Sparse> = Vec::with_capacity(articles);
        space.dot_with_sum = vec![0.0; vectors.len()];
        let mut sum = vec![0.0f32; n_terms];
        let mut touched: Vec<u32> = Vec::new();
        for (_, range) in article_ranges(variant_article, articles) {
            for vector in &vectors[range.clone()] {
                for &(id, w) in vector {
                    if sum[id as usize] == 0.0 {
                        touched.push(id);
                    }
                    sum[id as usize] += w;
                }
            }
            for (v, vector) in range.clone().zip(&vectors[range]) {
                space.dot_with_sum[v] = vector.iter().map(|&(id, w)| w * sum[id as usize]).sum();
            }
            let norm = touched
                .iter()
                .map(|&id| sum[id as usize] * sum[id as usize])
                .sum::<f32>()
                .sqrt();
            space.sum_norm.push(norm);
            centroids.push(
                touched
                    .drain(..)
                    .map(|id| (id, std::mem::take(&mut sum[id as usize]) / norm))
                    .collect(),
            );
        }
        if per_variant {
            space.variant_postings = Postings::invert(&vectors, n_terms);
        } else {
            space.variant_postings = Postings {
                offsets: vec![0; n_terms + 1],
                entries: Vec::new(),
            };
        }
        space.centroid_postings = Postings::invert(&centroids, n_terms);
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
            let w = (1.0 + (run.len() as f32).ln()) * idf;
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
        distinct.sort();
        distinct.dedup();
        for term in distinct {
            let Some(&id) = self.vocabulary.get(&term) else {
                most += (1.0 + (n - 0.5) / 1.5).ln() * (K1 + 1.0);
                continue;
            };
            let list = self.article_postings.of(id);
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
        let mut variant_terms: Vec<Terms> = Vec::new();
        let mut variant_article = Vec::new();
        let mut variant_source = Vec::new();
        for (article_no, article) in base.articles.iter().enumerate() {
            for (position, variant) in std::iter::once(&article.title)
                .chain(&article.questions)
                .enumerate()
            {
                let terms = text::terms_of_normalized(&synonyms.apply(&text::normalize(variant)));
                if terms.words.is_empty() && terms.chars.is_empty() {
                    continue;
                }
                variant_terms.push(terms);
                variant_article.push(article_no as u32);
                variant_source.push((article_no as u32, position as u32));
            }
        }
        let word_lists: Vec<&[Term]> = variant_terms.iter().map(|t| t.words.as_slice()).collect();
        let char_lists: Vec<&[Term]> = variant_terms.iter().map(|t| t.chars.as_slice()).collect();
        let articles = base.articles.len();
        Index {
            ids: base.articles.iter().map(|a| a.id.clone()).collect(),
            words: Space::build(&word_lists, &variant_article, articles, true),
            chars: Space::build(&char_lists, &variant_article, articles, false),
            variant_article,
            variant_source,
            synonyms,
            weights,
        }
    }

    /// Each variant's article and its place in it (0 is the title, then the questions).
    pub(crate) fn variants(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
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
    pub(crate) fn search_held_out(&self, variant_text: &str, held_out: usize) -> Vec<Hit> {
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
                if space.centroid_postings.of(term).len() > common {
                    continue;
                }
                self_score += q * q;
                for &(article, w) in space.centroid_postings.of(term) {
                    centroid[article as usize] += q * w;
                    touched[article as usize] = true;
                }
                for &(variant, w) in space.variant_postings.of(term) {
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
        for (score, b) in scores.iter_mut().zip(bm25) {
            *score += self.weights.bm25 * b;
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
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.article.cmp(&b.article)));
        hits.truncate(limit);
        hits
    }
}

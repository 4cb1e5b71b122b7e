//! Content gaps: the questions the bot did not handle, grouped by what they ask, so that forty
//! ways of asking about one missing topic are one row with a count and examples, largest
//! first. A pure function of texts: each question is its content words' stems (and, for
//! Japanese, character bigrams), weighed by how rare they are among the questions and the
//! base's own titles and questions, so "can I" and "how do I", which every base is full of,
//! tie nothing together, while "bitcoin", which the base never mentions, does.
//!
//! Grouping is greedy from the middle of each topic: the most connected question starts a
//! group, and each question in turn joins the group whose terms it shares most (at least
//! [`SIMILAR`], the cosine with the group's summed vectors) or starts its own. A group's sum
//! gathers what its questions share, so a question joins a topic it resembles as a whole,
//! and one that touches two topics never chains them.

use std::collections::HashMap;

use crate::text::{self, Chunk, Term};

/// How alike a question must be to a group (cosine with its summed vectors) to join it.
/// Chosen with [`LEADER_SIMILAR`] on the tests' questions (which 0.3 splits) and on 400
/// Banking77 questions of 10 intents (`cargo run --release -p ito-assistant --example gaps`:
/// 47 groups, 87 % of questions in their group's main intent).
pub const SIMILAR: f32 = 0.2;
/// How alike a question must also be to the group's first question: a group's sum grows
/// toward what many questions share, and without this it would swallow every question that
/// shares one common word with it.
pub const LEADER_SIMILAR: f32 = 0.15;
/// Examples kept per group, its first question first.
pub const EXAMPLES: usize = 5;

/// Questions that ask about one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The positions of its questions in the input, the one that started it first.
    pub members: Vec<usize>,
    /// Up to [`EXAMPLES`] of its questions as asked, each worded differently.
    pub examples: Vec<String>,
}

impl Group {
    pub fn count(&self) -> usize {
        self.members.len()
    }
}

/// `questions` grouped by topic, largest group first (ties: the group asked first).
/// `background` is what the base already says (its titles and questions): it only weighs the
/// words. Every question is in exactly one group; one unlike every other is alone.
pub fn group(questions: &[&str], background: &[&str]) -> Vec<Group> {
    let vectors = vectors(questions, background);
    let connected = connections(&vectors);
    let mut order: Vec<usize> = (0..questions.len()).collect();
    order.sort_by(|&a, &b| connected[b].total_cmp(&connected[a]).then(a.cmp(&b)));
    let mut groups: Vec<(Vec<usize>, HashMap<Term, f32>)> = Vec::new();
    for q in order {
        let best = groups
            .iter()
            .enumerate()
            .filter(|(_, (members, _))| dot(&vectors[q], &vectors[members[0]]) >= LEADER_SIMILAR)
            .map(|(g, (_, sum))| (g, cosine(&vectors[q], sum)))
            .filter(|&(_, alike)| alike >= SIMILAR)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let g = match best {
            Some((g, _)) => g,
            None => {
                groups.push((Vec::new(), HashMap::new()));
                groups.len() - 1
            }
        };
        let (members, sum) = &mut groups[g];
        members.push(q);
        for &(term, weight) in &vectors[q] {
            *sum.entry(term).or_default() += weight;
        }
    }
    let mut groups: Vec<Vec<usize>> = groups.into_iter().map(|(members, _)| members).collect();
    groups.sort_by_key(|m| (std::cmp::Reverse(m.len()), m.iter().min().copied()));
    groups
        .into_iter()
        .map(|members| Group {
            examples: distinct(members.iter().map(|&q| questions[q]), EXAMPLES),
            members,
        })
        .collect()
}

/// The first `most` of `texts` that differ (ignoring case and spacing), trimmed: forty
/// visitors typing the same words are one example.
fn distinct<'a>(texts: impl Iterator<Item = &'a str>, most: usize) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut kept = Vec::new();
    for text in texts {
        let plain = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if !seen.contains(&plain) {
            seen.push(plain);
            kept.push(text.trim().to_owned());
            if kept.len() == most {
                break;
            }
        }
    }
    kept
}

/// A text's content terms: the stems of its words that are not function words; in Japanese
/// runs, each kanji and katakana, and each pair of characters of one kind (漢字, カナ, かな).
fn content_terms(question: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    for chunk in text::chunks(&text::normalize(question)) {
        match chunk {
            Chunk::Word(word) if !text::is_stop_word(&word) => {
                terms.extend(text::terms(&word).words);
            }
            Chunk::Word(_) => {}
            // Kanji and katakana count alone and in pairs; a pair across a hiragana boundary
            // (の申, トの) is mostly a particle meeting a word, and is left out.
            Chunk::Cjk(run) => {
                let hiragana = |c: &char| matches!(c, '\u{3041}'..='\u{309f}');
                terms.extend(
                    run.iter()
                        .filter(|c| !hiragana(c))
                        .map(|&c| text::term([c])),
                );
                terms.extend(
                    run.windows(2)
                        .filter(|pair| hiragana(&pair[0]) == hiragana(&pair[1]))
                        .map(|pair| text::term(pair.iter().copied())),
                );
            }
        }
    }
    terms
}

/// Each question's unit TF-IDF vector, as (term, weight); document frequencies count the
/// questions and the background alike.
fn vectors(questions: &[&str], background: &[&str]) -> Vec<Vec<(Term, f32)>> {
    let counted: Vec<HashMap<Term, f32>> = questions
        .iter()
        .map(|q| {
            let mut counts: HashMap<Term, f32> = HashMap::new();
            for term in content_terms(q) {
                *counts.entry(term).or_default() += 1.0;
            }
            counts
        })
        .collect();
    let mut documents: HashMap<Term, f32> = HashMap::new();
    for counts in &counted {
        for &term in counts.keys() {
            *documents.entry(term).or_default() += 1.0;
        }
    }
    for text in background {
        let mut terms = content_terms(text);
        terms.sort_unstable();
        terms.dedup();
        for term in terms {
            *documents.entry(term).or_default() += 1.0;
        }
    }
    let n = (questions.len() + background.len()) as f32;
    counted
        .into_iter()
        .map(|counts| {
            let mut vector: Vec<(Term, f32)> = counts
                .into_iter()
                .map(|(term, count)| (term, count * (n / documents[&term]).ln().max(0.0)))
                .collect();
            // In term order, not the hash map's (which differs per map): two questions with
            // the same words then sum to the same bits, and a tie between them goes to the
            // one asked first on every run.
            vector.sort_unstable_by_key(|&(term, _)| term);
            let length = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if length > 0.0 {
                vector.iter_mut().for_each(|(_, w)| *w /= length);
            }
            vector
        })
        .collect()
}

/// The cosine of two unit vectors.
fn dot(a: &[(Term, f32)], b: &[(Term, f32)]) -> f32 {
    a.iter()
        .filter_map(|(term, weight)| b.iter().find(|(t, _)| t == term).map(|(_, w)| weight * w))
        .sum()
}

/// How alike a unit vector is to a group's summed vectors (the cosine with their direction).
fn cosine(vector: &[(Term, f32)], sum: &HashMap<Term, f32>) -> f32 {
    let length = sum.values().map(|w| w * w).sum::<f32>().sqrt();
    if length == 0.0 {
        return 0.0;
    }
    let dot: f32 = vector
        .iter()
        .filter_map(|(term, weight)| sum.get(term).map(|s| weight * s))
        .sum();
    dot / length
}

/// How connected each question is: the sum of its cosines with all the others, through the
/// terms they share (questions with nothing in common are never compared).
fn connections(vectors: &[Vec<(Term, f32)>]) -> Vec<f32> {
    let mut postings: HashMap<Term, Vec<(usize, f32)>> = HashMap::new();
    for (q, vector) in vectors.iter().enumerate() {
        for &(term, weight) in vector {
            postings.entry(term).or_default().push((q, weight));
        }
    }
    vectors
        .iter()
        .enumerate()
        .map(|(q, vector)| {
            vector
                .iter()
                .flat_map(|(term, weight)| {
                    postings[term]
                        .iter()
                        .filter(move |&&(other, _)| other != q)
                        .map(move |&(_, other_weight)| weight * other_weight)
                })
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIFT: [&str; 8] = [
        "Can you gift wrap my order?",
        "do you offer gift wrapping",
        "gift wrapping available?",
        "is gift-wrap possible for this order",
        "I'd like it wrapped as a gift",
        "how much is gift wrapping",
        "can I get gift wrapping and a card",
        "Gift wrap please!!",
    ];
    const CRYPTO: [&str; 5] = [
        "can I pay with bitcoin",
        "do you accept bitcoin payments",
        "bitcoin payment possible?",
        "pay in crypto like bitcoin or ethereum",
        "is paying with bitcoin ok",
    ];
    const ALONE: [&str; 3] = [
        "what is the meaning of life",
        "is your warehouse haunted",
        "tell me a joke about socks",
    ];
    /// A shop's own titles and questions: what every base says.
    const BASE: [&str; 10] = [
        "How long does delivery take?",
        "can I change my order",
        "how do I return an item",
        "is it possible to pay by card",
        "what payment methods do you accept",
        "can I get a refund",
        "how much does shipping cost",
        "do you offer express delivery",
        "Is my order available to track?",
        "can I cancel my order please",
    ];

    #[test]
    fn many_ways_of_asking_one_missing_topic_are_one_row_largest_first() {
        let mut questions: Vec<&str> = Vec::new();
        // Interleaved, as they arrive over days.
        for (i, gift) in GIFT.iter().enumerate() {
            questions.push(gift);
            questions.extend(CRYPTO.get(i));
            questions.extend(ALONE.get(i));
        }
        let groups = group(&questions, &BASE);
        let sizes: Vec<usize> = groups.iter().map(Group::count).collect();
        assert_eq!(sizes, [8, 5, 1, 1, 1], "{groups:#?}");
        let texts = |g: &Group| -> Vec<&str> { g.members.iter().map(|&m| questions[m]).collect() };
        assert!(texts(&groups[0]).iter().all(|q| GIFT.contains(q)));
        assert!(texts(&groups[1]).iter().all(|q| CRYPTO.contains(q)));
        assert_eq!(groups[0].examples.len(), EXAMPLES);
        assert_eq!(groups[0].examples[0], questions[groups[0].members[0]]);
        let mut every: Vec<usize> = groups.iter().flat_map(|g| g.members.clone()).collect();
        every.sort_unstable();
        assert_eq!(every, (0..questions.len()).collect::<Vec<_>>(), "each once");
    }

    #[test]
    fn the_same_words_asked_again_count_but_are_one_example() {
        let questions = [
            "Do you gift wrap?",
            "do you  GIFT wrap?",
            "Do you gift wrap?",
            "gift wrap my order please",
        ];
        let groups = group(&questions, &BASE);
        assert_eq!(groups.len(), 1, "{groups:#?}");
        assert_eq!(groups[0].count(), 4);
        assert_eq!(
            groups[0].examples,
            ["Do you gift wrap?", "gift wrap my order please"]
        );
    }

    #[test]
    fn japanese_questions_group_too() {
        let questions = [
            "粗大ごみの出し方を教えて",
            "粗大ごみはどうやって出せばいいですか",
            "粗大ごみ 出し方",
            "パスポートの申請に必要なもの",
            "パスポート申請の持ち物を教えてください",
        ];
        let background = [
            "住民票の写しを取りたい",
            "転入届に必要なものを教えてください",
        ];
        let groups = group(&questions, &background);
        let sizes: Vec<usize> = groups.iter().map(Group::count).collect();
        assert_eq!(sizes, [3, 2]);
    }

    #[test]
    fn nothing_odd_breaks_it() {
        assert!(group(&[], &BASE).is_empty());
        let odd = ["", "   ", "😀😀", "\u{0}\u{7}", "a", "is it?"];
        let groups = group(&odd, &[]);
        assert_eq!(groups.iter().map(Group::count).sum::<usize>(), odd.len());
        let same = [
            "Where is my parcel?",
            "where is my parcel",
            "WHERE IS MY PARCEL",
        ];
        assert_eq!(group(&same, &BASE).len(), 1);
    }
}

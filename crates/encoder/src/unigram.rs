//! SentencePiece's unigram tokenizer, as multilingual-e5-small (XLM-RoBERTa's vocabulary) was
//! trained with it: each character normalised by the model's own map, runs of spaces made one,
//! a leading space added and every space written `▁`; then the split into vocabulary pieces
//! whose log-probabilities sum highest (Viterbi), a character no piece covers becoming
//! `<unk>` on its own.

use std::collections::HashMap;

use crate::packed::Vocabulary;

/// SentencePiece's word-boundary mark.
const SPACE_MARK: char = '\u{2581}';
/// How much less likely than the least likely piece an unknown character is (SentencePiece's
/// own penalty).
const UNKNOWN_PENALTY: f32 = 10.0;

pub struct Tokenizer {
    ids: HashMap<String, u32>,
    scores: Vec<f32>,
    unknown: u32,
    unknown_score: f32,
    /// The longest piece, in bytes: no split is tried beyond it.
    longest: usize,
    normalisation: HashMap<char, String>,
    /// `<s>`, put first.
    pub start: u32,
    /// `</s>`, put last.
    pub end: u32,
}

impl Tokenizer {
    pub fn new(vocabulary: Vocabulary) -> Tokenizer {
        let lowest = vocabulary
            .pieces
            .iter()
            .map(|(_, score)| *score)
            .fold(f32::INFINITY, f32::min);
        let mut ids = HashMap::with_capacity(vocabulary.pieces.len());
        let mut scores = Vec::with_capacity(vocabulary.pieces.len());
        let mut longest = 1;
        for (id, (piece, score)) in vocabulary.pieces.into_iter().enumerate() {
            scores.push(score);
            // A score of exactly 0 (probability one) marks a control symbol such as `<s>` or
            // `<mask>`: text that spells one out is text, not the symbol.
            if score != 0.0 && !piece.is_empty() {
                longest = longest.max(piece.len());
                ids.insert(piece, id as u32);
            }
        }
        Tokenizer {
            ids,
            scores,
            unknown: vocabulary.unknown,
            unknown_score: lowest - UNKNOWN_PENALTY,
            longest,
            normalisation: vocabulary.normalisation,
            start: vocabulary.start,
            end: vocabulary.end,
        }
    }

    /// The normalised text as SentencePiece splits it, spaces written `▁`.
    fn normalise(&self, text: &str) -> String {
        let mut normal = String::with_capacity(text.len() + 3);
        let mut after_space = false;
        for c in text.chars() {
            let mapped = self.normalisation.get(&c);
            for c in mapped.map_or_else(|| Chars::One(Some(c)), |s| Chars::Many(s.chars())) {
                if c != ' ' {
                    if normal.is_empty() {
                        normal.push(SPACE_MARK);
                    }
                    normal.push(c);
                } else if !after_space {
                    normal.push(SPACE_MARK);
                }
                after_space = c == ' ';
            }
        }
        if normal.is_empty() {
            normal.push(SPACE_MARK);
        }
        normal
    }

    /// `text`'s piece ids, without `<s>` and `</s>`.
    pub fn pieces(&self, text: &str) -> Vec<u32> {
        let normal = self.normalise(text);
        let bounds: Vec<usize> = normal
            .char_indices()
            .map(|(at, _)| at)
            .chain([normal.len()])
            .collect();
        let characters = bounds.len() - 1;
        // best[e]: the highest score of a split of the first e characters, reached by the
        // piece that ends there (None: an unknown character) starting at character from[e].
        let mut best = vec![f32::NEG_INFINITY; characters + 1];
        let mut piece: Vec<Option<u32>> = vec![None; characters + 1];
        let mut from = vec![0; characters + 1];
        best[0] = 0.0;
        for start in 0..characters {
            let here = best[start];
            for end in start + 1..=characters {
                let span = &normal[bounds[start]..bounds[end]];
                if span.len() > self.longest {
                    break;
                }
                if let Some(&id) = self.ids.get(span) {
                    let score = here + self.scores[id as usize];
                    if score > best[end] {
                        (best[end], piece[end], from[end]) = (score, Some(id), start);
                    }
                }
            }
            let unknown = here + self.unknown_score;
            if unknown > best[start + 1] {
                (best[start + 1], piece[start + 1], from[start + 1]) = (unknown, None, start);
            }
        }
        let mut ids = Vec::new();
        let mut end = characters;
        while end > 0 {
            ids.push(piece[end].unwrap_or(self.unknown));
            end = from[end];
        }
        ids.reverse();
        ids
    }
}

/// One character or a mapped string's characters, without allocating for the first.
enum Chars<'a> {
    One(Option<char>),
    Many(std::str::Chars<'a>),
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match self {
            Chars::One(c) => c.take(),
            Chars::Many(chars) => chars.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer(pieces: &[(&str, f32)], normalisation: &[(char, &str)]) -> Tokenizer {
        let mut all = vec![
            ("<s>".to_owned(), 0.0),
            ("<pad>".to_owned(), 0.0),
            ("</s>".to_owned(), 0.0),
            ("<unk>".to_owned(), 0.0),
        ];
        all.extend(pieces.iter().map(|(p, s)| (p.to_string(), *s)));
        Tokenizer::new(Vocabulary {
            pieces: all,
            start: 0,
            padding: 1,
            end: 2,
            unknown: 3,
            normalisation: normalisation
                .iter()
                .map(|(c, s)| (*c, s.to_string()))
                .collect(),
        })
    }

    #[test]
    fn the_likeliest_split_wins_over_the_longest_first_piece() {
        let t = tokenizer(
            &[
                ("▁", -3.0),
                ("▁ab", -4.0),
                ("c", -4.0),
                ("▁a", -1.0),
                ("bc", -1.0),
            ],
            &[],
        );
        // ▁a + bc scores -2, ▁ab + c scores -8.
        assert_eq!(t.pieces("abc"), vec![7, 8]);
    }

    #[test]
    fn spaces_become_marks_and_runs_of_them_one() {
        let t = tokenizer(
            &[("▁", -1.0), ("▁a", -1.0), ("▁b", -1.0)],
            &[('\u{3000}', " ")],
        );
        assert_eq!(t.normalise("a   b"), "▁a▁b");
        assert_eq!(t.normalise(" a"), "▁a");
        assert_eq!(t.normalise("a\u{3000}b"), "▁a▁b");
        assert_eq!(t.pieces("a   b"), vec![5, 6]);
    }

    #[test]
    fn uncovered_characters_are_unknown_one_each_and_control_names_are_text() {
        let t = tokenizer(&[("▁", -1.0), ("x", -2.0)], &[]);
        assert_eq!(t.pieces("x🙂🙂"), vec![4, 5, 3, 3]);
        // "<s>" spelled out is not the start symbol.
        assert!(!t.pieces("<s>").contains(&0));
        assert_eq!(t.pieces(""), vec![4]);
    }

    #[test]
    fn the_normalisation_map_applies_before_splitting() {
        let t = tokenizer(&[("▁", -1.0), ("▁ア", -1.0)], &[('ｱ', "ア")]);
        assert_eq!(t.pieces("ｱ"), vec![5]);
    }
}

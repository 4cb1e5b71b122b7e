//! BERT's uncased tokenizer, as all-MiniLM-L6-v2 was trained with it: the text is cleaned
//! (control characters dropped, every kind of space one space), CJK ideographs stand alone,
//! words are lower-cased, stripped of accents and split at punctuation, and each word becomes
//! the longest pieces of the vocabulary from its start (later pieces marked `##`), or `[UNK]`
//! when it cannot.

use std::collections::HashMap;

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization;

/// Longer words are `[UNK]` at once, as BERT does (they are never real words).
const MAX_WORD_CHARS: usize = 100;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VocabularyError {
    #[error("the vocabulary has no {0} token")]
    Missing(&'static str),
    #[error("the vocabulary names {0:?} twice (lines {1} and {2})")]
    Duplicate(String, usize, usize),
}

/// A WordPiece vocabulary (`vocab.txt`: one piece per line, its id the line number from 0).
#[derive(Debug)]
pub struct Tokenizer {
    ids: HashMap<String, u32>,
    unknown: u32,
    /// `[CLS]`, put first.
    pub start: u32,
    /// `[SEP]`, put last.
    pub end: u32,
}

impl Tokenizer {
    pub fn from_vocabulary(text: &str) -> Result<Tokenizer, VocabularyError> {
        let mut ids = HashMap::new();
        for (line, piece) in text.lines().enumerate() {
            if let Some(earlier) = ids.insert(piece.to_owned(), line as u32) {
                return Err(VocabularyError::Duplicate(
                    piece.to_owned(),
                    earlier as usize + 1,
                    line + 1,
                ));
            }
        }
        let id = |name: &'static str| ids.get(name).copied().ok_or(VocabularyError::Missing(name));
        Ok(Tokenizer {
            unknown: id("[UNK]")?,
            start: id("[CLS]")?,
            end: id("[SEP]")?,
            ids,
        })
    }

    /// The ids of `text` between `[CLS]` and `[SEP]`, at most `max_len` in all (the words that
    /// do not fit are left out).
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut ids = vec![self.start];
        'words: for word in words(text) {
            for piece in self.pieces(&word) {
                if ids.len() + 1 >= max_len {
                    break 'words;
                }
                ids.push(piece);
            }
        }
        ids.push(self.end);
        ids
    }

    /// One word's pieces: the longest match from its start, then from where it ended.
    fn pieces(&self, word: &str) -> Vec<u32> {
        if word.chars().count() > MAX_WORD_CHARS {
            return vec![self.unknown];
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < word.len() {
            let rest = &word[start..];
            let found = rest
                .char_indices()
                .map(|(at, c)| at + c.len_utf8())
                .rev()
                .find_map(|end| {
                    let piece = &rest[..end];
                    let id = if start == 0 {
                        self.ids.get(piece)
                    } else {
                        self.ids.get(&format!("##{piece}"))
                    };
                    id.map(|&id| (id, end))
                });
            match found {
                Some((id, end)) => {
                    pieces.push(id);
                    start += end;
                }
                None => return vec![self.unknown],
            }
        }
        pieces
    }
}

/// The words of `text` as BERT's basic tokenizer makes them (uncased).
pub fn words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || (is_control(c) && !c.is_whitespace()) {
            continue;
        }
        if is_cjk_ideograph(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else if c.is_whitespace() {
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    let mut words = Vec::new();
    for token in spaced.split(' ').filter(|t| !t.is_empty()) {
        let plain: String = token
            .to_lowercase()
            .nfd()
            .filter(|&c| get_general_category(c) != GeneralCategory::NonspacingMark)
            .collect();
        let mut word = String::new();
        for c in plain.chars() {
            if is_punctuation(c) {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                words.push(c.to_string());
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

fn is_control(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::Control | GeneralCategory::Format
    )
}

/// ASCII symbols count as punctuation (BERT's rule), and every Unicode punctuation.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            get_general_category(c),
            GeneralCategory::ConnectorPunctuation
                | GeneralCategory::DashPunctuation
                | GeneralCategory::OpenPunctuation
                | GeneralCategory::ClosePunctuation
                | GeneralCategory::InitialPunctuation
                | GeneralCategory::FinalPunctuation
                | GeneralCategory::OtherPunctuation
        )
}

/// The CJK Unified Ideographs blocks BERT sets apart (kana and hangul are not among them).
fn is_cjk_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B820..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCABULARY: &str = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nmachine\nswallow\n##ed\nmy\ncard\n.\n'\nt\ncan\ncafe\n日\n本\n,";

    fn tokenizer() -> Tokenizer {
        Tokenizer::from_vocabulary(VOCABULARY).unwrap()
    }

    #[test]
    fn words_are_cleaned_lowered_unaccented_and_split_at_punctuation() {
        assert_eq!(
            words("  The CAFÉ\u{200b} can't\tclose!\u{7}"),
            ["the", "cafe", "can", "'", "t", "close", "!"]
        );
        assert_eq!(
            words("日本の銀行、ATM"),
            ["日", "本", "の", "銀", "行", "、", "atm"]
        );
        // Kana stay one word; like every accent, the dakuten goes (BERT uncased does the same).
        assert_eq!(words("カード"), ["カート"]);
    }

    #[test]
    fn a_word_is_its_longest_pieces_or_unknown() {
        let t = tokenizer();
        assert_eq!(
            t.encode("The machine swallowed my card.", 128),
            [2, 4, 5, 6, 7, 8, 9, 10, 3]
        );
        assert_eq!(t.encode("swallowing", 128), [2, 1, 3], "no piece for ##ing");
        assert_eq!(t.encode("Café, 日本", 128), [2, 14, 17, 15, 16, 3]);
        assert_eq!(t.encode(&"a".repeat(101), 128), [2, 1, 3]);
    }

    #[test]
    fn the_ids_never_exceed_the_length_asked() {
        let t = tokenizer();
        assert_eq!(
            t.encode("the machine swallowed my card", 5),
            [2, 4, 5, 6, 3]
        );
        assert_eq!(t.encode("", 5), [2, 3]);
    }

    #[test]
    fn a_broken_vocabulary_is_refused_in_words() {
        assert_eq!(
            Tokenizer::from_vocabulary("[UNK]\n[CLS]").unwrap_err(),
            VocabularyError::Missing("[SEP]")
        );
        assert_eq!(
            Tokenizer::from_vocabulary("[UNK]\n[CLS]\n[SEP]\n[UNK]").unwrap_err(),
            VocabularyError::Duplicate("[UNK]".into(), 1, 4)
        );
    }
}

//! From raw text to the terms the index compares: normalisation, script-aware splitting,
//! stemming and stop words for Latin words, character n-grams for typo tolerance and for
//! Japanese, which has no spaces between words.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

/// Only this many characters of a query are read: enough for any real question, and a 100 KB
/// paste costs no more than a long sentence.
pub const MAX_QUERY_CHARS: usize = 1000;

/// NFKC (full-width letters and half-width kana become ordinary ones), lower case, katakana
/// folded to hiragana (so 「カート」 and 「かーと」 meet), control characters to spaces.
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        // The common case, without the cost of NFKC tables.
        return text
            .chars()
            .map(|c| {
                if c.is_ascii_control() {
                    ' '
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
    }
    text.nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Letters and digits of scripts that separate words with spaces.
    Word,
    /// Han, hiragana and katakana (and the prolonged sound mark), read as character n-grams.
    Cjk,
    Other,
}

fn script(c: char) -> Script {
    match c {
        '\u{3041}'..='\u{309f}'
        | '\u{30a0}'..='\u{30ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}' => Script::Cjk,
        c if c.is_alphanumeric() => Script::Word,
        _ => Script::Other,
    }
}

/// A run of one script: a word, or a stretch of Japanese text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    Word(String),
    Cjk(Vec<char>),
}

/// Splits normalised text into words and CJK runs. Apostrophes inside words vanish
/// ("don't" is "dont"), everything else that is neither letter nor digit separates.
pub fn chunks(normalized: &str) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk = Vec::new();
    let flush = |word: &mut String, cjk: &mut Vec<char>, out: &mut Vec<Chunk>| {
        if !word.is_empty() {
            out.push(Chunk::Word(std::mem::take(word)));
        }
        if !cjk.is_empty() {
            out.push(Chunk::Cjk(std::mem::take(cjk)));
        }
    };
    for c in normalized.chars().take(MAX_QUERY_CHARS) {
        match script(c) {
            Script::Word => {
                if !cjk.is_empty() {
                    flush(&mut word, &mut cjk, &mut out);
                }
                word.push(c);
            }
            Script::Cjk => {
                if !word.is_empty() {
                    flush(&mut word, &mut cjk, &mut out);
                }
                cjk.push(c);
            }
            Script::Other if (c == '\'' || c == '’') && !word.is_empty() => {}
            Script::Other => flush(&mut word, &mut cjk, &mut out),
        }
    }
    flush(&mut word, &mut cjk, &mut out);
    out
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

thread_local! {
    /// Stemming is the costliest step of indexing and words repeat a lot: remember stems.
    static STEMS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}
const STEM_CACHE_LIMIT: usize = 50_000;

fn stem(word: &str) -> String {
    STEMS.with_borrow_mut(|stems| {
        if let Some(stem) = stems.get(word) {
            return stem.clone();
        }
        if stems.len() >= STEM_CACHE_LIMIT {
            stems.clear();
        }
        let stem = stemmer().stem(word).into_owned();
        stems.insert(word.to_owned(), stem.clone());
        stem
    })
}

/// English function words that say nothing about which article is meant.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "hi", "hello",
    "i", "im", "is", "it", "its", "me", "my", "of", "on", "or", "please", "so", "that", "the",
    "this", "to", "u", "was", "we", "with", "you", "your", "ive", "id", "thanks", "thank",
];

fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// A term is the 64-bit FNV-1a hash of its characters: no string is allocated per n-gram,
/// and the same text gives the same term natively and in wasm.
pub type Term = u64;

pub fn term(chars: impl IntoIterator<Item = char>) -> Term {
    chars.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, c| {
        (hash ^ c as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The term of a word or n-gram written out, e.g. `term_of("return")`.
pub fn term_of(text: &str) -> Term {
    term(text.chars())
}

/// Terms of a text, in two families the scorer weighs separately.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Terms {
    /// Stems of content words, word bigrams, and CJK character bigrams.
    pub words: Vec<Term>,
    /// Character n-grams of Latin words (with boundary marks) and CJK unigrams and trigrams:
    /// these catch typos, inflections the stemmer misses, and Japanese words of one character.
    pub chars: Vec<Term>,
}

pub fn terms(text: &str) -> Terms {
    terms_of_normalized(&normalize(text))
}

/// [`terms`] of text that already went through [`normalize`] (and synonym folding).
pub fn terms_of_normalized(normalized: &str) -> Terms {
    let mut out = Terms::default();
    let mut stems: Vec<String> = Vec::new();
    let mut all_stop = Vec::new();
    for chunk in chunks(normalized) {
        match chunk {
            Chunk::Word(word) => {
                char_ngrams(&word, &mut out.chars);
                let stem = stem(&word);
                if is_stop_word(&word) {
                    all_stop.push(stem);
                } else {
                    stems.push(stem);
                }
            }
            Chunk::Cjk(chars) => cjk_terms(&chars, &mut out),
        }
    }
    // A question made only of stop words ("is it?") still needs something to match.
    if stems.is_empty() && out.words.is_empty() {
        stems = all_stop;
    }
    for pair in stems.windows(2) {
        out.words
            .push(term(pair[0].chars().chain([' ']).chain(pair[1].chars())));
    }
    out.words.extend(stems.iter().map(|s| term_of(s)));
    out
}

fn char_ngrams(word: &str, out: &mut Vec<Term>) {
    let mut marked = ['\0'; 66];
    let mut len = 0;
    for c in std::iter::once('<')
        .chain(word.chars().take(64))
        .chain(std::iter::once('>'))
    {
        marked[len] = c;
        len += 1;
    }
    for n in [3, 4] {
        out.extend(
            marked[..len]
                .windows(n)
                .map(|gram| term(gram.iter().copied())),
        );
    }
}

fn cjk_terms(chars: &[char], out: &mut Terms) {
    // Kana alone are mostly particles; a single kanji carries meaning.
    out.chars.extend(
        chars
            .iter()
            .filter(|c| !matches!(c, '\u{3041}'..='\u{30ff}'))
            .map(|&c| term([c])),
    );
    if chars.len() == 1 {
        out.words.push(term([chars[0]]));
    }
    out.words
        .extend(chars.windows(2).map(|pair| term(pair.iter().copied())));
    out.chars
        .extend(chars.windows(3).map(|triple| term(triple.iter().copied())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_width_case_kana_and_controls() {
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize("ｶｰﾄ"), "かーと");
        assert_eq!(normalize("カート"), "かーと");
        assert_eq!(normalize("Hi\u{0}there\u{7}"), "hi there ");
    }

    #[test]
    fn splits_mixed_scripts() {
        let got = chunks(&normalize("iPhoneで返品したい don't"));
        assert_eq!(
            got,
            vec![
                Chunk::Word("iphone".into()),
                Chunk::Cjk("で返品したい".chars().collect()),
                Chunk::Word("dont".into())
            ]
        );
    }

    #[test]
    fn stems_and_drops_stop_words() {
        let t = terms("How do I return my shoes?");
        let has = |w: &str| t.words.contains(&term_of(w));
        assert!(has("return") && has("shoe") && has("return shoe"), "{t:?}");
        assert!(!has("my") && !has("i") && !has("shoes"), "{t:?}");
        // Question words stay: "how" and "when" tell intents apart.
        assert!(has("how"), "{t:?}");
        let only_stop = terms("is it the");
        assert!(!only_stop.words.is_empty());
    }

    #[test]
    fn japanese_becomes_bigrams() {
        let t = terms("返品したい");
        assert!(t.words.contains(&term_of("返品")), "{t:?}");
        assert!(t.chars.contains(&term_of("返")), "{t:?}");
        assert!(
            !t.chars.contains(&term_of("し")),
            "kana alone are not terms: {t:?}"
        );
    }

    #[test]
    fn hostile_text_is_harmless() {
        assert_eq!(terms(""), Terms::default());
        assert_eq!(terms("🙂🙂🙂"), Terms::default());
        assert_eq!(terms("\u{0}\u{1}\u{1b}[31m"), terms("[31m"));
        let huge = "refund ".repeat(20_000);
        assert!(terms(&huge).words.len() <= 2 * MAX_QUERY_CHARS);
    }
}

//! From raw text to the terms the index compares: normalisation, script-aware splitting,
//! stemming and stop words for Latin words, character n-grams for typo tolerance and for
//! Japanese, which has no spaces between words.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

use crate::fold_table;

/// Only this many characters of a query are read: enough for any real question, and a 100 KB
/// paste costs no more than a long sentence.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Compatibility folding (full-width letters and half-width kana become ordinary ones, ①
/// becomes 1, ㈱ becomes (株)), lower case, katakana folded to hiragana (so 「カート」 and
/// 「かーと」 meet), control characters to spaces. The folding is NFKC over the blocks where
/// compatibility characters turn up in typed text (see [`fold_compatibility`]).
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
    fold_compatibility(text)
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// NFKC for the characters in `fold_table::BLOCKS`: half-width and full-width forms, enclosed
/// and squared CJK, letterlike symbols, number forms, ligatures, unusual spaces. Everything
/// else is left as it is; full NFKC tables would cost the widget 48 KB brotli of its 200 KB
/// budget, for characters nobody types into a help chat. A test checks every covered
/// character against the real NFKC.
pub fn fold_compatibility(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let folded = fold_table::FOLDS
            .binary_search_by_key(&c, |&(from, _)| from)
            .map(|i| fold_table::FOLDS[i].1);
        match folded {
            Ok(folded) => folded.chars().for_each(|c| push_composed(&mut out, c)),
            Err(_) => push_composed(&mut out, c),
        }
    }
    out
}

/// Pushes `c`, composing a voiced sound mark with the kana before it (カ + ゛ is ガ), as
/// NFKC does; this is what makes half-width ｶﾞ meet ガ.
fn push_composed(out: &mut String, c: char) {
    let composed = matches!(c, '\u{3099}' | '\u{309a}')
        .then(|| out.chars().next_back())
        .flatten()
        .and_then(|base| {
            fold_table::VOICING
                .binary_search_by_key(&(base, c), |&(b, m, _)| (b, m))
                .ok()
        });
    match composed {
        Some(i) => {
            out.pop();
            out.push(fold_table::VOICING[i].2);
        }
        None => out.push(c),
    }
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
    visit_chunks(normalized, |chunk| {
        out.push(match chunk {
            ChunkRef::Word(w) => Chunk::Word(w.to_owned()),
            ChunkRef::Cjk(c) => Chunk::Cjk(c.to_vec()),
        })
    });
    out
}

/// A chunk lent to a visitor: no allocation per word.
pub enum ChunkRef<'a> {
    Word(&'a str),
    Cjk(&'a [char]),
}

/// Calls `visit` for each chunk of [`chunks`], reusing two buffers throughout.
pub fn visit_chunks(normalized: &str, mut visit: impl FnMut(ChunkRef)) {
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let mut flush = |word: &mut String, cjk: &mut Vec<char>| {
        if !word.is_empty() {
            visit(ChunkRef::Word(word));
            word.clear();
        }
        if !cjk.is_empty() {
            visit(ChunkRef::Cjk(cjk));
            cjk.clear();
        }
    };
    for c in normalized.chars().take(MAX_QUERY_CHARS) {
        match script(c) {
            Script::Word => {
                if !cjk.is_empty() {
                    flush(&mut word, &mut cjk);
                }
                word.push(c);
            }
            Script::Cjk => {
                if !word.is_empty() {
                    flush(&mut word, &mut cjk);
                }
                cjk.push(c);
            }
            Script::Other if (c == '\'' || c == '’') && !word.is_empty() => {}
            Script::Other => flush(&mut word, &mut cjk),
        }
    }
    flush(&mut word, &mut cjk);
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// What a word contributes, remembered per word: stemming and n-gram hashing are the
/// costliest steps of indexing, and words repeat a lot.
#[derive(Default)]
struct WordCache {
    /// Word term -> (stem term, is a stop word, range of its n-grams in `grams`).
    words: TermMap<(Term, bool, u32, u32)>,
    grams: Vec<Term>,
}

thread_local! {
    static WORDS: RefCell<WordCache> = RefCell::new(WordCache::default());
}
/// Forgets every cached word, as a fresh page or process starts: the benchmark calls it so a
/// build is timed as a visitor's first one, not as a repeat that finds every word cached.
pub fn forget_cached_words() {
    WORDS.with_borrow_mut(|cache| *cache = WordCache::default());
}

/// The cache starts over past this many n-grams (a few megabytes).
const WORD_CACHE_LIMIT: usize = 1 << 20;

impl WordCache {
    /// Adds a word's character n-grams to `grams` and returns its stem's term and whether
    /// it is a stop word.
    fn terms(&mut self, word: &str, grams: &mut Vec<Term>) -> (Term, bool) {
        let key = term_of(word);
        if let Some(&(stem, stop, start, end)) = self.words.get(&key) {
            grams.extend_from_slice(&self.grams[start as usize..end as usize]);
            return (stem, stop);
        }
        if self.grams.len() >= WORD_CACHE_LIMIT {
            *self = WordCache::default();
        }
        let start = self.grams.len();
        char_ngrams(word, &mut self.grams);
        let end = self.grams.len();
        grams.extend_from_slice(&self.grams[start..end]);
        let stem = term_of(&stemmer().stem(word));
        let stop = is_stop_word(word);
        self.words
            .insert(key, (stem, stop, start as u32, end as u32));
        (stem, stop)
    }
}

/// Terms are already hashes: hashing them again would only cost time.
#[derive(Default)]
pub(crate) struct AlreadyHashed(u64);

impl std::hash::Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = bytes.iter().fold(self.0, |h, &b| (h << 8) | u64::from(b));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type TermMap<V> = HashMap<Term, V, std::hash::BuildHasherDefault<AlreadyHashed>>;

/// The term of two stems side by side (a word bigram).
pub fn pair_term(first: Term, second: Term) -> Term {
    (first.rotate_left(17) ^ second).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// English function words that say nothing about which article is meant.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "hi", "hello",
    "i", "im", "is", "it", "its", "me", "my", "of", "on", "or", "please", "so", "that", "the",
    "this", "to", "u", "was", "we", "with", "you", "your", "ive", "id", "thanks", "thank",
];

/// Whether `word` (normalised) is one of the function words the index ignores.
pub fn is_stop_word(word: &str) -> bool {
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
    let mut out = Terms {
        words: Vec::with_capacity(24),
        chars: Vec::with_capacity(normalized.len() + 8),
    };
    terms_into(normalized, &mut out.words, &mut out.chars);
    out
}

/// As [`terms_of_normalized`], appending to `words` and `chars`: building an index keeps
/// every variant's terms in two long lists.
pub fn terms_into(normalized: &str, words: &mut Vec<Term>, chars: &mut Vec<Term>) {
    let words_before = words.len();
    let mut stems: Vec<Term> = Vec::with_capacity(16);
    let mut stop_stems: Vec<Term> = Vec::new();
    WORDS.with_borrow_mut(|cache| {
        visit_chunks(normalized, |chunk| match chunk {
            ChunkRef::Word(word) => match cache.terms(word, chars) {
                (stem, true) => stop_stems.push(stem),
                (stem, false) => stems.push(stem),
            },
            ChunkRef::Cjk(run) => cjk_terms(run, words, chars),
        })
    });
    // A question made only of stop words ("is it?") still needs something to match.
    if stems.is_empty() && words.len() == words_before {
        stems = stop_stems;
    }
    words.extend(stems.windows(2).map(|pair| pair_term(pair[0], pair[1])));
    words.extend(stems);
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
    // Trigrams only: 4-grams doubled the terms and added nothing on the development data.
    out.extend(
        marked[..len]
            .windows(3)
            .map(|gram| term(gram.iter().copied())),
    );
}

fn cjk_terms(run: &[char], words: &mut Vec<Term>, chars: &mut Vec<Term>) {
    // Kana alone are mostly particles; a single kanji carries meaning.
    chars.extend(
        run.iter()
            .filter(|c| !matches!(c, '\u{3041}'..='\u{30ff}'))
            .map(|&c| term([c])),
    );
    if run.len() == 1 {
        words.push(term([run[0]]));
    }
    words.extend(run.windows(2).map(|pair| term(pair.iter().copied())));
    chars.extend(run.windows(3).map(|triple| term(triple.iter().copied())));
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
    fn folding_is_nfkc_on_every_covered_character() {
        use unicode_normalization::UnicodeNormalization;
        assert!(
            fold_table::FOLDS.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted"
        );
        assert!(
            fold_table::VOICING
                .windows(2)
                .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1))
        );
        for &(first, last) in fold_table::BLOCKS {
            for c in (first..=last).filter_map(char::from_u32) {
                let s = c.to_string();
                assert_eq!(
                    fold_compatibility(&s),
                    s.nfkc().collect::<String>(),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
        // Kana with every voicing mark, full-width and half-width, as NFKC composes them.
        let kana = ('\u{3041}'..='\u{30ff}').chain('\u{ff66}'..='\u{ff9d}');
        for base in kana {
            for mark in ['\u{3099}', '\u{309a}', '\u{ff9e}', '\u{ff9f}'] {
                let s: String = [base, mark].into_iter().collect();
                assert_eq!(fold_compatibility(&s), s.nfkc().collect::<String>(), "{s}");
            }
        }
        let typed = "ﾊﾟｽﾜｰﾄﾞを忘れた　ＡＢＣ①㈱㎏ ｷｬﾝｾﾙ café";
        assert_eq!(fold_compatibility(typed), typed.nfkc().collect::<String>());
        assert_eq!(fold_compatibility("ｶﾞｰﾄﾞ"), "ガード");
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
        assert!(has("return") && has("shoe"), "{t:?}");
        assert!(
            t.words
                .contains(&pair_term(term_of("return"), term_of("shoe"))),
            "{t:?}"
        );
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

//! Japanese text as it sounds, in katakana, so that a visitor who types a word in kana
//! (じゅうみんひょう) meets the article that writes it in kanji (住民票). The readings come from
//! a MeCab system dictionary (IPADIC's `sys.dic`): only its entries' base forms and readings
//! are used, not its lattice, so a run of kanji is read by the longest entries that match it.

use std::collections::HashMap;

/// MeCab's dictionary header: a magic number, the version, eight sizes and the charset.
const HEADER_BYTES: usize = 72;
/// The magic number is the file's length under this mask.
const MAGIC_MASK: u32 = 0xef71_8f77;
/// A token: left and right context ids, part of speech, cost, feature offset, compound.
const TOKEN_BYTES: usize = 16;
/// No dictionary word the reader needs is longer than this (in characters).
const LONGEST_WORD: usize = 8;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadingsError {
    #[error("not a MeCab system dictionary: {0}")]
    NotADictionary(&'static str),
    #[error("the dictionary's text is {0}; only utf8 is read")]
    Charset(String),
}

/// Each dictionary word written with kanji, with its most likely reading.
pub struct Readings {
    /// Base form → (reading in katakana, the dictionary's cost: lower is more usual).
    words: HashMap<String, (String, i16)>,
}

impl Readings {
    /// Reads the words of a MeCab `sys.dic` held in `bytes`.
    pub fn from_mecab(bytes: &[u8]) -> Result<Readings, ReadingsError> {
        let word = |at: usize| {
            bytes
                .get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or(ReadingsError::NotADictionary("shorter than its header"))
        };
        if word(0)? ^ MAGIC_MASK != bytes.len() as u32 {
            return Err(ReadingsError::NotADictionary("its magic number"));
        }
        let [tokens, double_array, token_bytes, feature_bytes] =
            [3, 6, 7, 8].map(|field| word(field * 4).map(|v| v as usize));
        let (tokens, double_array, token_bytes, feature_bytes) =
            (tokens?, double_array?, token_bytes?, feature_bytes?);
        let charset = &bytes[40..HEADER_BYTES];
        let charset =
            String::from_utf8_lossy(&charset[..charset.iter().position(|&b| b == 0).unwrap_or(32)])
                .to_lowercase();
        if !matches!(charset.as_str(), "utf8" | "utf-8") {
            return Err(ReadingsError::Charset(charset));
        }
        let token_start = HEADER_BYTES + double_array;
        let feature_start = token_start + token_bytes;
        if token_bytes != tokens * TOKEN_BYTES || feature_start + feature_bytes != bytes.len() {
            return Err(ReadingsError::NotADictionary("its sizes"));
        }
        let features = &bytes[feature_start..];
        let mut words: HashMap<String, (String, i16)> = HashMap::new();
        for token in bytes[token_start..feature_start].chunks_exact(TOKEN_BYTES) {
            let cost = i16::from_le_bytes([token[6], token[7]]);
            let at = u32::from_le_bytes([token[8], token[9], token[10], token[11]]) as usize;
            let Some(text) = features.get(at..).and_then(|f| {
                let end = f.iter().position(|&b| b == 0)?;
                std::str::from_utf8(&f[..end]).ok()
            }) else {
                continue;
            };
            // 品詞,細分類1,細分類2,細分類3,活用型,活用形,原形,読み,発音
            let fields: Vec<&str> = text.split(',').collect();
            let [.., form, base, reading, _] = fields[..] else {
                continue;
            };
            let inflected = !matches!(form, "*" | "基本形");
            if inflected || !base.chars().any(is_kanji) || base.chars().count() > LONGEST_WORD {
                continue;
            }
            let known = words.get(base).is_some_and(|&(_, usual)| usual <= cost);
            if !known {
                words.insert(base.to_owned(), (reading.to_owned(), cost));
            }
        }
        Ok(Readings { words })
    }

    /// Readings from `(word, reading)` pairs: a word list of one's own, or a test's.
    pub fn from_words<'a>(words: impl IntoIterator<Item = (&'a str, &'a str)>) -> Readings {
        Readings {
            words: words
                .into_iter()
                .map(|(word, reading)| (word.to_owned(), (reading.to_owned(), 0)))
                .collect(),
        }
    }

    /// How many words have readings.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// `text` with every word written in kanji replaced by its reading and hiragana turned
    /// into katakana; everything else is kept. A kanji no word covers stays itself. A compound
    /// the dictionary lacks is read word by word, without the voicing it takes (避難所 reads
    /// ヒナンショ, not ひなんじょ): folding voiced kana into plain ones would mend that, but costs
    /// 1.5 points of top-1 on the city-hall base, as it blurs every other word.
    pub fn read(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len() * 2);
        let mut at = 0;
        while at < chars.len() {
            if is_kanji(chars[at]) {
                let longest = (1..=LONGEST_WORD.min(chars.len() - at))
                    .rev()
                    .find_map(|n| {
                        let word: String = chars[at..at + n].iter().collect();
                        self.words.get(&word).map(|(reading, _)| (n, reading))
                    });
                if let Some((n, reading)) = longest {
                    out.push_str(reading);
                    at += n;
                    continue;
                }
            }
            out.push(katakana(chars[at]));
            at += 1;
        }
        out
    }
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '々' | 'ヶ')
}

/// A hiragana letter's katakana; any other character itself.
fn katakana(c: char) -> char {
    match c {
        'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dictionary of `entries` (feature lines, with costs) in MeCab's layout.
    fn dictionary(entries: &[(&str, i16)]) -> Vec<u8> {
        let mut features = Vec::new();
        let mut tokens = Vec::new();
        for (feature, cost) in entries {
            let mut token = vec![0u8; TOKEN_BYTES];
            token[6..8].copy_from_slice(&cost.to_le_bytes());
            token[8..12].copy_from_slice(&(features.len() as u32).to_le_bytes());
            tokens.extend(token);
            features.extend(feature.as_bytes());
            features.push(0);
        }
        let double_array = vec![0u8; 8];
        let mut header = vec![0u8; HEADER_BYTES];
        let sizes = [
            (3, entries.len()),
            (6, double_array.len()),
            (7, tokens.len()),
            (8, features.len()),
        ];
        for (field, size) in sizes {
            header[field * 4..field * 4 + 4].copy_from_slice(&(size as u32).to_le_bytes());
        }
        header[40..44].copy_from_slice(b"utf8");
        let total = HEADER_BYTES + double_array.len() + tokens.len() + features.len();
        header[..4].copy_from_slice(&(total as u32 ^ MAGIC_MASK).to_le_bytes());
        [header, double_array, tokens, features].concat()
    }

    fn readings() -> Readings {
        Readings::from_mecab(&dictionary(&[
            ("名詞,一般,*,*,*,*,住民,ジュウミン,ジューミン", 3000),
            (
                "名詞,一般,*,*,*,*,住民票,ジュウミンヒョウ,ジューミンヒョー",
                4000,
            ),
            ("名詞,一般,*,*,*,*,市,シ,シ", 2000),
            ("名詞,一般,*,*,*,*,市,イチ,イチ", 5000),
            ("名詞,一般,*,*,*,*,役所,ヤクショ,ヤクショ", 3000),
            (
                "動詞,自立,*,*,五段・カ行イ音便,連用タ接続,書く,カイ,カイ",
                1000,
            ),
        ]))
        .unwrap()
    }

    #[test]
    fn kana_and_kanji_read_alike() {
        let readings = readings();
        assert_eq!(readings.read("住民票がほしい"), "ジュウミンヒョウガホシイ");
        assert_eq!(
            readings.read("じゅうみんひょうがほしい"),
            "ジュウミンヒョウガホシイ"
        );
        assert_eq!(
            readings.read("市役所"),
            "シヤクショ",
            "the usual reading, lower cost"
        );
    }

    #[test]
    fn what_no_word_covers_is_kept() {
        let readings = readings();
        assert_eq!(
            readings.read("書いた"),
            "書イタ",
            "inflected forms are left out"
        );
        assert_eq!(readings.read("ABC 123 🙂"), "ABC 123 🙂");
        assert_eq!(readings.read(""), "");
        assert_eq!(readings.len(), 4);
    }

    #[test]
    fn a_file_that_is_not_a_dictionary_is_refused_in_words() {
        assert!(matches!(
            Readings::from_mecab(b"short"),
            Err(ReadingsError::NotADictionary(_))
        ));
        let mut damaged = dictionary(&[("名詞,一般,*,*,*,*,市,シ,シ", 1)]);
        damaged.push(0);
        assert_eq!(
            Readings::from_mecab(&damaged).err(),
            Some(ReadingsError::NotADictionary("its magic number"))
        );
    }
}

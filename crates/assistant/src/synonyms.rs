//! The base's synonym groups, applied to articles and queries alike so that "money back"
//! and "refund" become the same words before anything is compared.

use crate::text::normalize;

#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    /// (alternative, canonical), longest alternative first so longer phrases win.
    rewrites: Vec<(String, String)>,
}

impl Synonyms {
    pub fn new(groups: &[Vec<String>]) -> Synonyms {
        let mut rewrites = Vec::new();
        for group in groups {
            let mut phrases = group
                .iter()
                .map(|p| normalize(p.trim()))
                .filter(|p| !p.is_empty());
            let Some(canonical) = phrases.next() else {
                continue;
            };
            rewrites.extend(phrases.map(|alternative| (alternative, canonical.clone())));
        }
        // Ties keep the base's order; unstable with the position as a tie-break is the same
        // sort in less of the widget's code than a stable one.
        let mut ordered: Vec<(usize, (String, String))> =
            rewrites.into_iter().enumerate().collect();
        ordered.sort_unstable_by_key(|(at, (alternative, _))| {
            (std::cmp::Reverse(alternative.chars().count()), *at)
        });
        Synonyms {
            rewrites: ordered.into_iter().map(|(_, rewrite)| rewrite).collect(),
        }
    }

    /// Rewrites alternatives in normalised text. Latin phrases match whole words only;
    /// Japanese phrases match anywhere, as Japanese has no spaces to respect.
    pub fn apply(&self, normalized: &str) -> String {
        if self.rewrites.is_empty() {
            return normalized.to_owned();
        }
        let mut text = format!(" {normalized} ");
        for (alternative, canonical) in &self.rewrites {
            let spaced = alternative.is_ascii();
            if spaced {
                let pattern = format!(" {alternative} ");
                let mut padded = spaced_words(&text);
                if padded.contains(&pattern) {
                    padded = padded.replace(&pattern, &format!(" {canonical} "));
                    text = padded;
                }
            } else if text.contains(alternative.as_str()) {
                // Text already reading as the canonical form stays as it is, so an alternative
                // that is part of it ("忘れ" in "忘れた") does not grow it ("忘れたた").
                text = text
                    .split(canonical.as_str())
                    .map(|piece| piece.replace(alternative.as_str(), canonical))
                    .collect::<Vec<_>>()
                    .join(canonical);
            }
        }
        text.trim().to_owned()
    }
}

/// Puts spaces around punctuation so whole-word matching sees "refund?" as "refund ?".
fn spaced_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_alphanumeric() || c == ' ' || c == '\'' {
            out.push(c);
        } else {
            out.push(' ');
            out.push(c);
            out.push(' ');
        }
    }
    out.split(' ')
        .filter(|w| !w.is_empty())
        .fold(String::from(" "), |acc, w| acc + w + " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_whole_words_and_japanese_phrases() {
        let s = Synonyms::new(&[
            vec!["refund".into(), "money back".into(), "reimbursement".into()],
            vec!["返品".into(), "返却".into()],
        ]);
        assert_eq!(s.apply("can i get my money back?"), "can i get my refund ?");
        assert_eq!(s.apply("moneyback"), "moneyback");
        assert_eq!(s.apply("商品を返却したい"), "商品を返品したい");
        let s = Synonyms::new(&[vec!["忘れた".into(), "忘れ".into()]]);
        assert_eq!(s.apply("パスワードを忘れた"), "パスワードを忘れた");
        assert_eq!(s.apply("パスワード忘れ"), "パスワード忘れた");
        assert_eq!(Synonyms::new(&[vec![]]).apply("x"), "x");
    }
}

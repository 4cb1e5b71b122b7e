//! What a shown name may contain: no characters that are invisible or turn the direction of
//! the text around them (a visitor named "Ann\u{202E}nimda" would read as "Ann" followed by
//! "admin" reversed). Joiners stay: emoji and several scripts need them.

/// Whether `c` hides or reorders text: bidirectional controls, zero-width spaces, the word
/// joiner, the byte order mark, soft hyphen.
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    ) || c.is_control()
}

/// `name` without the characters of [`is_deceptive`].
pub fn cleaned(name: &str) -> String {
    name.chars().filter(|c| !is_deceptive(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_tricks_and_invisible_characters_go_joiners_stay() {
        assert_eq!(cleaned("Ann\u{202E}nimda"), "Annnimda");
        assert_eq!(cleaned("A\u{200B}n\u{FEFF}n\u{2066}\u{2069}"), "Ann");
        assert_eq!(cleaned("Ann\tB\u{7}"), "AnnB");
        let family = "👩\u{200D}👩\u{200D}👧";
        assert_eq!(cleaned(family), family, "zero-width joiner kept");
        assert_eq!(
            cleaned("می\u{200C}خواهم"),
            "می\u{200C}خواهم",
            "ZWNJ kept for Persian"
        );
        assert_eq!(cleaned("山田 太郎"), "山田 太郎");
    }
}

//! What the visitor wants besides an article: a person (handoff), or signs that they are
//! losing patience (frustration), which the widget uses to offer a person sooner.

use crate::text::{Chunk, chunks, normalize};

/// Verbs and nouns that, together, ask for a person: "talk to a human", "connect me with an agent".
const CONTACT_VERBS: &[&str] = &[
    "talk", "speak", "chat", "connect", "transfer", "contact", "reach", "get", "want", "need",
];
const PEOPLE: &[&str] = &[
    "human",
    "humans",
    "person",
    "people",
    "agent",
    "agents",
    "someone",
    "somebody",
    "representative",
    "rep",
    "operator",
    "staff",
    "employee",
    "support",
    "advisor",
    "real",
];
/// Said on their own, these ask for a person ("agent please", "human!").
const PEOPLE_ALONE: &[&str] = &[
    "human",
    "agent",
    "operator",
    "representative",
    "person",
    "real person",
    "live agent",
    "live chat",
];
const FILLER: &[&str] = &[
    "please", "pls", "a", "an", "the", "now", "i", "want", "need", "me", "to", "with",
];

/// Japanese requests for a person, after normalisation (katakana folded to hiragana).
const JA_PERSON: &[&str] = &[
    "おぺれーたー",
    "人と話",
    "人間と話",
    "担当者",
    "有人",
    "すたっふ",
    "人に聞",
    "電話で話",
    "人につな",
    "人間につな",
    "人間に代わ",
    "人に代わ",
];

/// Whether the visitor is asking for a person.
pub fn asks_for_person(message: &str) -> bool {
    let normalized = normalize(message);
    if JA_PERSON.iter().any(|p| normalized.contains(p)) {
        return true;
    }
    let words: Vec<String> = chunks(&normalized)
        .into_iter()
        .filter_map(|c| match c {
            Chunk::Word(w) => Some(w),
            Chunk::Cjk(_) => None,
        })
        .collect();
    let content: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !FILLER.contains(w))
        .collect();
    if !content.is_empty() && PEOPLE_ALONE.contains(&content.join(" ").as_str()) {
        return true;
    }
    let has_verb = words.iter().any(|w| CONTACT_VERBS.contains(&w.as_str()));
    let person = words
        .iter()
        .any(|w| PEOPLE.contains(&w.as_str()) && w != "real" && w != "support")
        || normalized.contains("real person")
        || normalized.contains("live agent")
        || normalized.contains("customer service");
    has_verb && person
}

/// Signs of frustration in the latest message, given the visitor's earlier messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frustration {
    pub repeated_question: bool,
    pub negative_words: bool,
    pub shouting: bool,
}

impl Frustration {
    pub fn any(&self) -> bool {
        self.repeated_question || self.negative_words || self.shouting
    }
}

const NEGATIVE_EN: &[&str] = &[
    "useless",
    "not helpful",
    "doesnt help",
    "didnt help",
    "does not help",
    "did not help",
    "not what i asked",
    "stupid",
    "ridiculous",
    "annoying",
    "terrible",
    "awful",
    "waste of time",
    "frustrat",
    "wtf",
    "this sucks",
    "not working",
    "doesnt work",
    "still not",
    "again",
    "wrong answer",
    "no help",
];
const NEGATIVE_JA: &[&str] = &[
    "役に立たな",
    "使えな",
    "意味な",
    "違う",
    "ちがう",
    "わからな",
    "解決しな",
    "ふざけ",
    "いらいら",
    "むかつ",
    "最悪",
    "だめ",
    "ダメ",
];

pub fn frustration(message: &str, earlier: &[String]) -> Frustration {
    let normalized = normalize(message);
    let squashed: String = normalized
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect::<String>()
        .replace('\'', "");
    let key = |s: &str| {
        normalize(s)
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
    };
    let this_key = key(message);
    let letters: Vec<char> = message
        .chars()
        .filter(|c| c.is_alphabetic() && c.is_ascii())
        .collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    Frustration {
        repeated_question: !this_key.is_empty() && earlier.iter().any(|e| key(e) == this_key),
        negative_words: NEGATIVE_EN.iter().any(|w| squashed.contains(w))
            || NEGATIVE_JA
                .iter()
                .any(|w| normalized.contains(&normalize(w))),
        shouting: letters.len() >= 8 && upper * 10 >= letters.len() * 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_requests_for_a_person() {
        for yes in [
            "talk to a human",
            "Agent please",
            "I want to speak to a real person",
            "can you connect me with an agent?",
            "HUMAN!",
            "オペレーターと話したい",
            "人と話したい",
            "担当者に代わってください",
            "ｵﾍﾟﾚｰﾀｰ",
        ] {
            assert!(asks_for_person(yes), "{yes}");
        }
        for no in [
            "how do I return shoes",
            "where is my order",
            "返品したい",
            "what does the agent fee cover",
            "",
        ] {
            assert!(!asks_for_person(no), "{no}");
        }
    }

    #[test]
    fn notices_frustration() {
        let earlier = vec!["Where is my order?".to_string()];
        assert!(frustration("where is my order", &earlier).repeated_question);
        assert!(frustration("This doesn't help at all", &[]).negative_words);
        assert!(frustration("役に立たない", &[]).negative_words);
        assert!(frustration("WHERE IS MY PARCEL", &[]).shouting);
        assert!(!frustration("Where is my DHL parcel", &[]).any());
        assert!(!frustration("", &[]).any());
    }
}

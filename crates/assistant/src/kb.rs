//! The knowledge base: articles and synonyms, read from the TOML authoring format or the JSON
//! interchange format, and checked for the mistakes site owners make.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One help article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: String,
    pub title: String,
    /// How people ask for this article: the retrieval learns from every variant.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Markdown.
    pub answer: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Ids of articles to offer next.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow_up: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeBase {
    #[serde(default = "default_locale")]
    pub locale: String,
    /// Groups of words or phrases that mean the same here; the first of each group is the
    /// one the others are read as.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<Vec<String>>,
    #[serde(alias = "article")]
    pub articles: Vec<Article>,
}

fn default_locale() -> String {
    "en".to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KbError {
    #[error("the knowledge base is not valid JSON: {0}")]
    Json(String),
    #[error("the knowledge base is not valid TOML: {0}")]
    Toml(String),
    #[error("the knowledge base has no articles")]
    Empty,
    #[error("the knowledge base's TOML format cannot be read by this build")]
    TomlUnsupported,
}

impl KnowledgeBase {
    /// Reads either format: JSON when the text starts with `{`, TOML otherwise.
    pub fn parse(text: &str) -> Result<KnowledgeBase, KbError> {
        let text = text.trim_start_matches('\u{feff}');
        let base = if text.trim_start().starts_with('{') {
            serde_json::from_str::<KnowledgeBase>(text).map_err(|e| KbError::Json(e.to_string()))?
        } else {
            parse_toml(text)?
        };
        if base.articles.is_empty() {
            return Err(KbError::Empty);
        }
        Ok(base)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a knowledge base always serializes")
    }
}

#[cfg(feature = "authoring")]
fn parse_toml(text: &str) -> Result<KnowledgeBase, KbError> {
    if text.trim().is_empty() {
        return Err(KbError::Empty);
    }
    toml::from_str(text).map_err(|e| KbError::Toml(e.to_string()))
}

#[cfg(not(feature = "authoring"))]
fn parse_toml(_: &str) -> Result<KnowledgeBase, KbError> {
    Err(KbError::TomlUnsupported)
}

/// Something `ito assistant check` reports. Errors make the base unfit to publish; warnings
/// are worth a look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub article: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The checks that need no index: ids, empty fields, links, repeated questions.
pub fn lint(base: &KnowledgeBase) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut add = |severity, article: &str, message: String| {
        findings.push(Finding {
            severity,
            article: article.to_owned(),
            message,
        })
    };
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for article in &base.articles {
        *ids.entry(article.id.as_str()).or_default() += 1;
    }
    let mut seen_questions: HashMap<String, &str> = HashMap::new();
    for (position, article) in base.articles.iter().enumerate() {
        let id = article.id.as_str();
        if id.trim().is_empty() {
            add(
                Severity::Error,
                id,
                format!("article #{} has no id", position + 1),
            );
        }
        if ids[id] > 1 && base.articles.iter().position(|a| a.id == id) == Some(position) {
            add(
                Severity::Error,
                id,
                format!("the id {id:?} is used by {} articles", ids[id]),
            );
        }
        if article.answer.trim().is_empty() {
            add(Severity::Error, id, "the answer is empty".to_owned());
        }
        if article.title.trim().is_empty() {
            add(Severity::Error, id, "the title is empty".to_owned());
        }
        if article.questions.is_empty() {
            add(
                Severity::Warning,
                id,
                "no questions: add how people ask for this".to_owned(),
            );
        }
        for link in &article.links {
            let scheme_ok = ["http://", "https://", "mailto:"]
                .iter()
                .any(|s| link.url.starts_with(s));
            if !scheme_ok {
                add(
                    Severity::Error,
                    id,
                    format!("link {:?} must be http, https or mailto", link.url),
                );
            }
        }
        for next in &article.follow_up {
            if !ids.contains_key(next.as_str()) {
                add(
                    Severity::Error,
                    id,
                    format!("follow_up names the unknown article {next:?}"),
                );
            }
        }
        for question in &article.questions {
            let key = crate::text::normalize(question)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            match seen_questions.get(&key) {
                Some(other) if *other != id => add(
                    Severity::Error,
                    id,
                    format!("the question {question:?} is also a question of {other:?}"),
                ),
                _ => {
                    seen_questions.insert(key, id);
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"locale": "en", "articles": [{"id": "returns", "title": "Returns", "questions": ["How do I send something back?"], "answer": "Within 30 days.", "tags": []}]}"#;

    #[test]
    fn reads_the_interchange_format() {
        let base = KnowledgeBase::parse(JSON).unwrap();
        assert_eq!(base.locale, "en");
        assert_eq!(
            base.articles[0].questions,
            vec!["How do I send something back?"]
        );
    }

    #[test]
    fn reads_the_authoring_format() {
        let base = KnowledgeBase::parse(
            r#"
            locale = "ja"
            synonyms = [["返品", "返却"]]
            [[article]]
            id = "returns"
            title = "返品について"
            questions = ["返品したい"]
            answer = """
            30日以内なら**返品**できます。
            """
            links = [{ title = "返品フォーム", url = "https://shop.example/returns" }]
            "#,
        )
        .unwrap();
        assert_eq!(base.locale, "ja");
        assert_eq!(
            base.synonyms,
            vec![vec!["返品".to_string(), "返却".to_string()]]
        );
        assert!(base.articles[0].answer.contains("**返品**"));
    }

    #[test]
    fn malformed_and_empty_bases_are_errors() {
        assert!(matches!(
            KnowledgeBase::parse("{\"articles\": [}"),
            Err(KbError::Json(_))
        ));
        assert!(matches!(
            KnowledgeBase::parse("[[article]\nid="),
            Err(KbError::Toml(_))
        ));
        assert_eq!(KnowledgeBase::parse(""), Err(KbError::Empty));
        assert_eq!(
            KnowledgeBase::parse("{\"articles\": []}"),
            Err(KbError::Empty)
        );
        let missing_answer = r#"{"articles": [{"id": "a", "title": "A"}]}"#;
        assert!(
            KnowledgeBase::parse(missing_answer)
                .unwrap_err()
                .to_string()
                .contains("answer")
        );
    }

    #[test]
    fn lint_finds_duplicate_ids_empty_answers_and_shared_questions() {
        let article = |id: &str, answer: &str, question: &str| Article {
            id: id.into(),
            title: "T".into(),
            questions: vec![question.into()],
            answer: answer.into(),
            tags: vec![],
            links: vec![Link {
                title: "x".into(),
                url: "javascript:alert(1)".into(),
            }],
            follow_up: vec!["nowhere".into()],
        };
        let base = KnowledgeBase {
            locale: "en".into(),
            synonyms: vec![],
            articles: vec![
                article("a", "ok", "Where is it?"),
                article("a", " ", "where  is IT?"),
            ],
        };
        let messages: Vec<String> = lint(&base).into_iter().map(|f| f.message).collect();
        let has = |s: &str| messages.iter().any(|m| m.contains(s));
        assert!(has("is used by 2 articles"), "{messages:?}");
        assert!(has("the answer is empty"), "{messages:?}");
        assert!(has("must be http, https or mailto"), "{messages:?}");
        assert!(has("unknown article \"nowhere\""), "{messages:?}");
        // Same id, so not "another" article's question; a different id would be flagged.
        let mut other = base.clone();
        other.articles[1].id = "b".into();
        let messages: Vec<String> = lint(&other).into_iter().map(|f| f.message).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("is also a question of \"a\"")),
            "{messages:?}"
        );
    }
}

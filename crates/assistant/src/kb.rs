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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
            json::read(text).map_err(KbError::Json)?
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

    /// This base with `article` in the place of the one with its id, or last if it is new:
    /// what a draft becomes when an editor saves it.
    pub fn with_article(mut self, article: Article) -> KnowledgeBase {
        match self.articles.iter_mut().find(|a| a.id == article.id) {
            Some(old) => *old = article,
            None => self.articles.push(article),
        }
        self
    }

    /// The JSON browsers download: everything the assistant and the widget use. Tags are
    /// left out (nothing in a browser reads them), which every visitor's download is the
    /// smaller for.
    pub fn to_served_json(&self) -> String {
        let mut served = self.clone();
        served.articles.iter_mut().for_each(|a| a.tags.clear());
        served.to_json()
    }
}

/// The JSON interchange format read by hand over `serde_json::Value`, which the widget parses
/// anyway: serde's derived readers for these types cost it about 8 KB of code. Fields as the
/// derive names them, the same defaults, unknown keys ignored (a test holds the two equal).
mod json {
    use serde_json::{Map, Value};

    use super::{Article, KnowledgeBase, Link};

    type Object = Map<String, Value>;

    pub fn read(json: &str) -> Result<KnowledgeBase, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let base = value.as_object().ok_or("the base is not a JSON object")?;
        let mut synonyms = Vec::new();
        for group in array(base, "synonyms")? {
            synonyms.push(texts_in(group).map_err(|e| format!("synonyms: {e}"))?);
        }
        let articles = match base.get("articles") {
            Some(articles) => articles,
            None => base.get("article").ok_or("missing field `articles`")?,
        };
        let mut read = Vec::new();
        for article in articles.as_array().ok_or("articles: expected a list")? {
            read.push(self::article(article)?);
        }
        Ok(KnowledgeBase {
            locale: match base.get("locale") {
                None => super::default_locale(),
                Some(_) => text(base, "locale")?,
            },
            synonyms,
            articles: read,
        })
    }

    fn article(value: &Value) -> Result<Article, String> {
        let article = value.as_object().ok_or("an article is not a JSON object")?;
        let id = text(article, "id")?;
        let within = |e: String| format!("article {id}: {e}");
        let mut links = Vec::new();
        for link in array(article, "links").map_err(within)? {
            let link = link
                .as_object()
                .ok_or_else(|| within("a link is not an object".into()))?;
            links.push(Link {
                title: text(link, "title").map_err(within)?,
                url: text(link, "url").map_err(within)?,
            });
        }
        let texts = |key| texts_in_key(article, key).map_err(within);
        Ok(Article {
            title: text(article, "title").map_err(within)?,
            answer: text(article, "answer").map_err(within)?,
            questions: texts("questions")?,
            tags: texts("tags")?,
            follow_up: texts("follow_up")?,
            links,
            id,
        })
    }

    // The errors name what was expected, never the value found: writing a JSON value out
    // again would cost the widget the whole serializer.
    fn text(object: &Object, key: &str) -> Result<String, String> {
        match object.get(key) {
            None => Err(format!("missing field `{key}`")),
            Some(value) => value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{key}: expected a string")),
        }
    }

    /// The list under `key`, empty when the key is absent (as serde's `default`; a `null` is an
    /// error, as there).
    fn array<'a>(object: &'a Object, key: &str) -> Result<&'a [Value], String> {
        match object.get(key) {
            None => Ok(&[]),
            Some(value) => value
                .as_array()
                .map(Vec::as_slice)
                .ok_or_else(|| format!("{key}: expected a list")),
        }
    }

    fn texts_in_key(object: &Object, key: &str) -> Result<Vec<String>, String> {
        texts_of(array(object, key)?).map_err(|e| format!("{key}: {e}"))
    }

    fn texts_in(value: &Value) -> Result<Vec<String>, String> {
        texts_of(value.as_array().ok_or("expected a list")?)
    }

    fn texts_of(items: &[Value]) -> Result<Vec<String>, String> {
        let mut texts = Vec::new();
        for item in items {
            texts.push(item.as_str().ok_or("expected a string")?.to_owned());
        }
        Ok(texts)
    }
}

#[cfg(feature = "authoring")]
fn parse_toml(text: &str) -> Result<KnowledgeBase, KbError> {
    if text.trim().is_empty() {
        return Err(KbError::Empty);
    }
    toml::from_str(text).map_err(|e| KbError::Toml(e.to_string()))
}

#[cfg(feature = "authoring")]
impl KnowledgeBase {
    /// The TOML authoring format (`[[article]]` tables), which [`KnowledgeBase::parse`] reads
    /// back as it was: what `ito kb export` writes.
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct Authoring<'a> {
            locale: &'a str,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            synonyms: &'a [Vec<String>],
            article: &'a [Article],
        }
        toml::to_string_pretty(&Authoring {
            locale: &self.locale,
            synonyms: &self.synonyms,
            article: &self.articles,
        })
        .expect("a knowledge base always serializes")
    }
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
/// The only links an article may have, in its links or its answer.
const SAFE_SCHEMES: [&str; 3] = ["http://", "https://", "mailto:"];

/// The limits of one article: generous for a real FAQ, and they keep one mistaken paste from
/// reaching every visitor's download.
pub const MAX_ID_CHARS: usize = 100;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_ANSWER_CHARS: usize = 20_000;
pub const MAX_QUESTIONS: usize = 100;
pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_LINKS: usize = 20;
pub const MAX_TAGS: usize = 20;

fn valid_id(id: &str) -> bool {
    id.chars().count() <= MAX_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// What in `article` is over its limit, in words.
fn oversized(article: &Article) -> Vec<String> {
    let chars = |s: &str| s.chars().count();
    let mut problems = Vec::new();
    if chars(&article.title) > MAX_TITLE_CHARS {
        problems.push(format!("the title is over {MAX_TITLE_CHARS} characters"));
    }
    if chars(&article.answer) > MAX_ANSWER_CHARS {
        problems.push(format!(
            "the answer is {} characters, over the limit of {MAX_ANSWER_CHARS}: split it into articles",
            chars(&article.answer)
        ));
    }
    if article.questions.len() > MAX_QUESTIONS {
        problems.push(format!(
            "{} questions, over the limit of {MAX_QUESTIONS}",
            article.questions.len()
        ));
    }
    if let Some(long) = article
        .questions
        .iter()
        .find(|q| chars(q) > MAX_QUESTION_CHARS)
    {
        problems.push(format!(
            "a question is over {MAX_QUESTION_CHARS} characters: {:?}…",
            long.chars().take(40).collect::<String>()
        ));
    }
    if article.links.len() > MAX_LINKS {
        problems.push(format!("more than {MAX_LINKS} links"));
    }
    if article.tags.len() > MAX_TAGS {
        problems.push(format!("more than {MAX_TAGS} tags"));
    }
    problems
}

/// The first thing in `text` written as an HTML tag (`<b>`, `</p>`, `<!--`), if any.
fn html_tag(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let opens_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if let Some(end) = after.find('>').filter(|_| opens_tag) {
            let inside = &after[..end];
            // An autolink (`<https://…>`, `<a@b.example>`) is Markdown, not HTML.
            let autolink = inside.contains(':') && !inside.contains(' ') || inside.contains('@');
            if !autolink && !inside.contains('\n') {
                return Some(format!("<{}>", inside.chars().take(30).collect::<String>()));
            }
        }
        rest = after;
    }
    None
}

/// The targets of the Markdown links in `text`: `[words](target)` and `<target>`.
fn markdown_link_targets(text: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    for (at, _) in text.match_indices("](") {
        let rest = &text[at + 2..];
        if let Some(end) = rest.find(')') {
            targets.push(rest[..end].trim());
        }
    }
    for (at, _) in text.match_indices('<') {
        let rest = &text[at + 1..];
        if let Some(end) = rest.find('>') {
            let inside = &rest[..end];
            if inside.contains(':') && !inside.contains(' ') {
                targets.push(inside);
            }
        }
    }
    targets
}

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
        if !id.is_empty() && !valid_id(id) {
            add(
                Severity::Error,
                id,
                format!(
                    "the id {id:?} must be at most {MAX_ID_CHARS} letters, digits, '-', '_' or '.' (it is part of links)"
                ),
            );
        }
        if article.answer.trim().is_empty() {
            add(Severity::Error, id, "the answer is empty".to_owned());
        }
        for problem in oversized(article) {
            add(Severity::Error, id, problem);
        }
        if let Some(tag) = html_tag(&article.answer) {
            add(
                Severity::Error,
                id,
                format!("the answer contains HTML ({tag}): write Markdown, as HTML is never drawn"),
            );
        }
        for url in markdown_link_targets(&article.answer) {
            if !SAFE_SCHEMES.iter().any(|s| url.starts_with(s)) && url.contains(':') {
                add(
                    Severity::Error,
                    id,
                    format!("the answer links to {url:?}: links must be http, https or mailto"),
                );
            }
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
            let scheme_ok = SAFE_SCHEMES.iter().any(|s| link.url.starts_with(s));
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

    #[cfg(feature = "authoring")]
    #[test]
    fn the_authoring_format_written_reads_back_as_it_was() {
        for file in ["en.toml", "ja.toml"] {
            let path = format!("{}/../../examples/faq/{file}", env!("CARGO_MANIFEST_DIR"));
            let base = KnowledgeBase::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
            let written = base.to_toml();
            assert!(written.contains("[[article]]"), "{written}");
            assert_eq!(KnowledgeBase::parse(&written).unwrap(), base, "{file}");
        }
    }

    #[test]
    fn the_hand_reader_reads_what_serde_wrote_and_what_it_would_read() {
        let full = KnowledgeBase {
            locale: "ja".into(),
            synonyms: vec![vec!["返品".into(), "返却".into()]],
            articles: vec![Article {
                id: "a".into(),
                title: "A \"quoted\" title".into(),
                questions: vec!["one".into(), "two".into()],
                answer: "**Yes**".into(),
                tags: vec!["t".into()],
                links: vec![Link {
                    title: "L".into(),
                    url: "https://x.example".into(),
                }],
                follow_up: vec!["b".into()],
            }],
        };
        let written = full.to_json();
        assert_eq!(json::read(&written), Ok(full.clone()));
        assert_eq!(
            serde_json::from_str::<KnowledgeBase>(&written).unwrap(),
            full
        );
        for text in [
            JSON,
            r#"{"article": [{"id": "a", "title": "A", "answer": "x", "extra": 1}], "version": 2}"#,
        ] {
            assert_eq!(
                json::read(text),
                serde_json::from_str::<KnowledgeBase>(text).map_err(|e| e.to_string()),
                "{text}"
            );
        }
        for broken in [
            r#"[]"#,
            r#"{"articles": {}}"#,
            r#"{"articles": [{"id": 1, "title": "A", "answer": "x"}]}"#,
            r#"{"articles": [{"id": "a", "title": "A", "answer": "x", "links": [{"title": "L"}]}]}"#,
            r#"{"articles": [{"id": "a", "title": "A", "answer": "x", "tags": [3]}]}"#,
            r#"{"articles": [{"id": "a", "title": "A", "answer": "x", "questions": null}]}"#,
        ] {
            assert!(json::read(broken).is_err(), "{broken}");
            assert!(
                serde_json::from_str::<KnowledgeBase>(broken).is_err(),
                "{broken}"
            );
        }
        let err = json::read(r#"{"articles": [{"id": "a", "title": "A", "tags": ["x"]}]}"#);
        assert_eq!(err, Err("article a: missing field `answer`".to_owned()));
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

    #[test]
    fn lint_refuses_html_unsafe_links_odd_ids_and_oversized_articles() {
        let base = |answer: &str, id: &str, questions: usize| KnowledgeBase {
            locale: "en".into(),
            synonyms: vec![],
            articles: vec![Article {
                id: id.into(),
                title: "T".into(),
                questions: (0..questions).map(|i| format!("question {i}")).collect(),
                answer: answer.into(),
                tags: vec![],
                links: vec![],
                follow_up: vec![],
            }],
        };
        let errors = |b: &KnowledgeBase| -> Vec<String> {
            lint(b)
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.message)
                .collect()
        };
        let fine = base(
            "Orders < €50 ship for €4. See <https://shop.example/ship> or [write](mailto:a@b.example) to <help@shop.example>.",
            "shipping-cost_2.0",
            3,
        );
        assert_eq!(errors(&fine), Vec::<String>::new());
        let html = errors(&base("Click <b>here</b>.", "a", 1));
        assert!(html[0].contains("contains HTML (<b>)"), "{html:?}");
        let script = errors(&base("[Win](javascript:alert(1))", "a", 1));
        assert!(
            script[0].contains("links to \"javascript:alert(1\""),
            "{script:?}"
        );
        let odd = errors(&base("ok", "a b/c", 1));
        assert!(odd[0].contains("must be at most 100 letters"), "{odd:?}");
        let many = errors(&base("ok", "a", 1000));
        assert!(
            many[0].contains("1000 questions, over the limit of 100"),
            "{many:?}"
        );
        let long = errors(&base(&"x".repeat(MAX_ANSWER_CHARS + 1), "a", 1));
        assert!(long[0].contains("over the limit of 20000"), "{long:?}");
    }
}

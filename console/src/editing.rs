//! The knowledge editor as plain data: an article's fields as an editor types them (questions,
//! tags and follow-ups one per line, links as `title | url` lines) and back, what
//! `ito assistant check` finds in the draft with the edited article in it, and what the
//! assistant would answer a visitor from that draft (the same code the widget runs).

use ito_assistant::kb::Link;
use ito_assistant::kb::{Finding, Severity, lint};
use ito_assistant::{Article, Assistant, KnowledgeBase, Reply};

/// An article as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pub id: String,
    pub title: String,
    /// One way of asking per line.
    pub questions: String,
    /// Markdown.
    pub answer: String,
    /// One per line.
    pub tags: String,
    /// Ids of articles to offer next, one per line.
    pub follow_up: String,
    /// `title | url`, one per line.
    pub links: String,
}

impl Form {
    /// A new article from a gap's questions: the first is its title, the others its ways of
    /// asking, and its id is made from the title's letters and digits (Japanese titles leave
    /// the id to the editor).
    pub fn from_questions(questions: &[String]) -> Form {
        let title = questions.first().cloned().unwrap_or_default();
        let words: Vec<String> = title
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .take(6)
            .collect();
        Form {
            id: words.join("-"),
            title,
            questions: questions
                .iter()
                .skip(1)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
            ..Form::default()
        }
    }

    pub fn from_article(article: &Article) -> Form {
        Form {
            id: article.id.clone(),
            title: article.title.clone(),
            questions: article.questions.join("\n"),
            answer: article.answer.clone(),
            tags: article.tags.join("\n"),
            follow_up: article.follow_up.join("\n"),
            links: article
                .links
                .iter()
                .map(|l| format!("{} | {}", l.title, l.url))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The article these fields say: blank lines dropped, everything trimmed. A link line
    /// without `|` is its own title.
    pub fn to_article(&self) -> Article {
        Article {
            id: self.id.trim().to_owned(),
            title: self.title.trim().to_owned(),
            questions: lines(&self.questions),
            answer: self.answer.trim().to_owned(),
            tags: lines(&self.tags),
            links: lines(&self.links)
                .into_iter()
                .map(|line| match line.split_once('|') {
                    Some((title, url)) => Link {
                        title: title.trim().to_owned(),
                        url: url.trim().to_owned(),
                    },
                    None => Link {
                        title: line.clone(),
                        url: line,
                    },
                })
                .collect(),
            follow_up: lines(&self.follow_up),
        }
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What the check finds about `article` once it is in `base` (about it, or mistakes it makes
/// elsewhere that the base did not have), errors first: errors block saving.
pub fn findings(base: &KnowledgeBase, article: &Article) -> Vec<Finding> {
    let before = lint(base);
    let mut found: Vec<Finding> = lint(&base.clone().with_article(article.clone()))
        .into_iter()
        .filter(|f| f.article == article.id || !before.contains(f))
        .collect();
    found.sort_by_key(|f| f.severity != Severity::Error);
    found
}

pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// What a visitor asking `question` would get from `base` with `article` in it, in the
/// browser: the outcome and the top three articles.
pub fn try_it(base: &KnowledgeBase, article: &Article, question: &str) -> Reply {
    Assistant::new(base.clone().with_article(article.clone())).ask(question, 3)
}

/// The articles whose title, id, questions or answer contain `search` (ignoring case), in the
/// base's order.
pub fn matching<'a>(base: &'a KnowledgeBase, search: &str) -> Vec<&'a Article> {
    let search = search.trim().to_lowercase();
    base.articles
        .iter()
        .filter(|a| {
            search.is_empty()
                || a.id.to_lowercase().contains(&search)
                || a.title.to_lowercase().contains(&search)
                || a.answer.to_lowercase().contains(&search)
                || a.questions
                    .iter()
                    .any(|q| q.to_lowercase().contains(&search))
        })
        .collect()
}

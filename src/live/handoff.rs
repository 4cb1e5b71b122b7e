//! The five-second summary at the top of a handoff: what the visitor asked, which articles the
//! bot tried and how the visitor judged them, and why a person was called. Plain text lines,
//! built from the context the widget sent, so the console only has to show them.
//!
//! That context comes from a browser, so [`checked`] first makes it what the widget can
//! produce: bounded lengths and counts, bot lines that name articles of the site's own base
//! (with the base's title, not the sender's words), verdicts only on answers.
//!
//! [`question_answered`] picks, from the same context, the question an agent's inserted
//! article answers: what a suggestion to the site's editors is made of.

use ito_protocol::chat::{Author, HandoffContext, HandoffReason, TranscriptLine};

/// Transcript lines kept (the newest), pages kept, attributes kept.
const MAX_LINES: usize = 200;
const MAX_PAGES: usize = 50;
const MAX_ATTRIBUTES: usize = 50;
/// Characters kept of a transcript line, a URL or title, an attribute, a short field.
const MAX_LINE_CHARS: usize = 4_000;
const MAX_URL_CHARS: usize = 2_000;
const MAX_TITLE_CHARS: usize = 200;
const MAX_ATTRIBUTE_CHARS: usize = 500;
const MAX_FIELD_CHARS: usize = 256;

/// The context as the server keeps it, and what had to be changed to get there (for the log;
/// empty for anything the widget sent).
pub fn checked(
    mut context: HandoffContext,
    title_of: impl Fn(&str) -> Option<String>,
) -> (HandoffContext, Vec<String>) {
    let mut changed = Vec::new();
    if context.transcript.len() > MAX_LINES {
        let extra = context.transcript.len() - MAX_LINES;
        context.transcript.drain(..extra);
        changed.push(format!("{extra} oldest transcript lines dropped"));
    }
    for line in &mut context.transcript {
        check_line(line, &title_of, &mut changed);
    }
    if context.pages.len() > MAX_PAGES {
        let extra = context.pages.len() - MAX_PAGES;
        context.pages.drain(..extra);
        changed.push(format!("{extra} oldest pages dropped"));
    }
    let web = |url: &str| url.starts_with("https://") || url.starts_with("http://");
    let pages = context.pages.len();
    context
        .pages
        .retain(|(url, _)| web(url) && url.chars().count() <= MAX_URL_CHARS);
    if context.pages.len() < pages {
        changed.push(format!(
            "{} pages that are not web addresses dropped",
            pages - context.pages.len()
        ));
    }
    for (_, title) in &mut context.pages {
        cut(title, MAX_TITLE_CHARS, "a page title", &mut changed);
    }
    if context
        .current_page
        .as_deref()
        .is_some_and(|url| !web(url) || url.chars().count() > MAX_URL_CHARS)
    {
        context.current_page = None;
        changed.push("the current page is not a web address".to_owned());
    }
    for field in [
        &mut context.timezone,
        &mut context.user_agent,
        &mut context.name,
        &mut context.email,
    ]
    .into_iter()
    .flatten()
    {
        cut(field, MAX_FIELD_CHARS, "a field", &mut changed);
    }
    let attributes = context.attributes.len();
    context.attributes = std::mem::take(&mut context.attributes)
        .into_iter()
        .filter(|(key, value)| {
            key.chars().count() <= 64
                && match value {
                    serde_json::Value::String(text) => text.chars().count() <= MAX_ATTRIBUTE_CHARS,
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_) => true,
                    _ => false,
                }
        })
        .take(MAX_ATTRIBUTES)
        .collect();
    if context.attributes.len() < attributes {
        changed.push(format!(
            "{} attributes dropped",
            attributes - context.attributes.len()
        ));
    }
    (context, changed)
}

fn cut(text: &mut String, max: usize, what: &str, changed: &mut Vec<String>) {
    if text.chars().count() > max {
        *text = text.chars().take(max).collect();
        changed.push(format!("{what} cut to {max} characters"));
    }
}

/// One line as the widget writes them: the visitor's words without a verdict; an answer that
/// names an article of the base, with its title and maybe a verdict; other bot lines with
/// neither article nor verdict.
fn check_line(
    line: &mut TranscriptLine,
    title_of: &impl Fn(&str) -> Option<String>,
    changed: &mut Vec<String>,
) {
    cut(&mut line.text, MAX_LINE_CHARS, "a transcript line", changed);
    match &mut line.author {
        Author::Visitor => {
            if line.helpful.take().is_some() {
                changed.push("a verdict on the visitor's own words dropped".to_owned());
            }
        }
        Author::Agent { .. } => {
            line.author = Author::Visitor;
            line.helpful = None;
            changed.push("an agent line in the bot transcript made the visitor's".to_owned());
        }
        Author::Bot {
            article,
            confidence,
        } => {
            if confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
                *confidence = None;
                changed.push("a confidence outside 0..1 dropped".to_owned());
            }
            match article.as_deref().map(|id| (id, title_of(id))) {
                Some((_, Some(title))) => line.text = title,
                Some((id, None)) => {
                    changed.push(format!("article {id:?} is not in the site's base: dropped"));
                    *article = None;
                    line.text = "(an article that does not exist)".to_owned();
                    line.helpful = None;
                }
                None => {
                    if line.helpful.take().is_some() {
                        changed.push("a verdict on a line without an article dropped".to_owned());
                    }
                }
            }
        }
    }
}

/// The summary's lines, most important first.
pub fn summary(reason: HandoffReason, context: &HandoffContext) -> Vec<String> {
    let mut lines = Vec::new();
    let asked: Vec<&str> = context
        .transcript
        .iter()
        .filter(|line| line.author == Author::Visitor)
        .map(|line| line.text.as_str())
        .collect();
    match asked.as_slice() {
        [] => lines.push("Asked: nothing yet".to_owned()),
        [only] => lines.push(format!("Asked: {}", clip(only))),
        [first, .., last] => {
            lines.push(format!("Asked: {}", clip(first)));
            lines.push(format!("Then: {}", clip(last)));
        }
    }
    let tried: Vec<String> = context
        .transcript
        .iter()
        .filter_map(|line| match (&line.author, line.helpful) {
            (
                Author::Bot {
                    article: Some(_), ..
                },
                verdict,
            ) => Some(format!(
                "{} ({})",
                clip(&line.text),
                match verdict {
                    Some(true) => "helped",
                    Some(false) => "did not help",
                    None => "no verdict",
                }
            )),
            _ => None,
        })
        .collect();
    lines.push(if tried.is_empty() {
        "Bot tried: no article".to_owned()
    } else {
        format!("Bot tried: {}", tried.join("; "))
    });
    lines.push(format!(
        "Why a person: {}",
        match reason {
            HandoffReason::Asked => "the visitor asked for one",
            HandoffReason::Unsure => "the bot was not sure, twice",
            HandoffReason::NotHelpful => "an answer did not help",
            HandoffReason::Frustrated => "the visitor seemed frustrated",
        }
    ));
    if let Some(page) = &context.current_page {
        lines.push(format!("On: {}", clip(page)));
    }
    lines
}

/// Long text cut to what a glance takes in.
fn clip(text: &str) -> String {
    const MAX: usize = 120;
    let text = text.trim();
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>().trim_end())
    }
}

/// The visitor's question that an agent answering with `article` answers: the last words
/// after the bot's last reply that were not a request for a person (a question the bot never
/// got to), else the last question the bot replied to. `None` when there is none, or when the
/// bot already answered it with that very article: learning it again would change nothing.
pub fn question_answered<'a>(context: &'a HandoffContext, article: &str) -> Option<&'a str> {
    let lines = &context.transcript;
    let after_bot = lines
        .iter()
        .rposition(|l| matches!(l.author, Author::Bot { .. }))
        .map_or(0, |at| at + 1);
    let unanswered = lines[after_bot..]
        .iter()
        .rev()
        .filter(|line| line.author == Author::Visitor)
        .map(|line| line.text.as_str())
        .find(|text| !ito_assistant::intent::asks_for_person(text));
    let question =
        match unanswered {
            Some(question) => Some(question),
            None => {
                let replied = lines.windows(2).rev().find_map(|pair| {
                    match (&pair[0].author, &pair[1].author) {
                        (
                            Author::Visitor,
                            Author::Bot {
                                article: answered, ..
                            },
                        ) => Some((pair[0].text.as_str(), answered.as_deref())),
                        _ => None,
                    }
                });
                match replied {
                    Some((_, Some(answered))) if answered == article => None,
                    Some((question, _)) => Some(question),
                    None => None,
                }
            }
        };
    question
        .map(str::trim)
        .filter(|question| !question.is_empty())
}

#[cfg(test)]
mod tests {
    use ito_protocol::chat::TranscriptLine;

    use super::*;

    fn line(author: Author, text: &str, helpful: Option<bool>) -> TranscriptLine {
        TranscriptLine {
            author,
            text: text.into(),
            helpful,
        }
    }

    fn bot(article: &str) -> Author {
        Author::Bot {
            article: Some(article.into()),
            confidence: Some(0.6),
        }
    }

    #[test]
    fn the_summary_says_what_was_asked_tried_and_why() {
        let context = HandoffContext {
            transcript: vec![
                line(Author::Visitor, "where is my parcel", None),
                line(
                    bot("order-status"),
                    "Checking your order status",
                    Some(false),
                ),
                line(Author::Visitor, &"still nothing ".repeat(20), None),
                line(bot("shipping-time"), "How long delivery takes", None),
            ],
            current_page: Some("https://shop.example/orders/42".into()),
            ..HandoffContext::default()
        };
        let summary = summary(HandoffReason::NotHelpful, &context);
        assert_eq!(summary[0], "Asked: where is my parcel");
        assert!(summary[1].starts_with("Then: still nothing") && summary[1].ends_with('…'));
        assert_eq!(
            summary[2],
            "Bot tried: Checking your order status (did not help); How long delivery takes (no verdict)"
        );
        assert_eq!(summary[3], "Why a person: an answer did not help");
        assert_eq!(summary[4], "On: https://shop.example/orders/42");
    }

    fn unsure() -> Author {
        Author::Bot {
            article: None,
            confidence: None,
        }
    }

    fn context(transcript: Vec<TranscriptLine>) -> HandoffContext {
        HandoffContext {
            transcript,
            ..HandoffContext::default()
        }
    }

    #[test]
    fn the_question_answered_is_the_last_the_bot_replied_to() {
        let asked = context(vec![
            line(Author::Visitor, "where is my parcel", None),
            line(bot("order-status"), "Checking your order status", None),
            line(Author::Visitor, " can I pay with bitcoin ", None),
            line(unsure(), "(not sure)", None),
            line(Author::Visitor, "talk to a human please", None),
        ]);
        assert_eq!(
            question_answered(&asked, "payment-methods"),
            Some("can I pay with bitcoin")
        );
        // The bot's own answer to it, inserted again, teaches nothing.
        let answered = context(vec![
            line(Author::Visitor, "where is my parcel", None),
            line(
                bot("order-status"),
                "Checking your order status",
                Some(false),
            ),
        ]);
        assert_eq!(question_answered(&answered, "order-status"), None);
        assert_eq!(
            question_answered(&answered, "shipping-time"),
            Some("where is my parcel")
        );
    }

    #[test]
    fn without_a_bot_reply_the_question_is_the_last_words_that_are_not_asking_for_a_person() {
        let typed = context(vec![
            line(Author::Visitor, "my invoice shows the wrong address", None),
            line(Author::Visitor, "I want to talk to a person", None),
        ]);
        assert_eq!(
            question_answered(&typed, "invoices"),
            Some("my invoice shows the wrong address")
        );
        // Words after the bot's last reply that it never got to are the question.
        let later = context(vec![
            line(Author::Visitor, "where is my parcel", None),
            line(
                bot("order-status"),
                "Checking your order status",
                Some(true),
            ),
            line(Author::Visitor, "and can I pay with bitcoin?", None),
            line(Author::Visitor, "talk to a person", None),
        ]);
        assert_eq!(
            question_answered(&later, "payment-methods"),
            Some("and can I pay with bitcoin?")
        );
        let only_asked = context(vec![line(Author::Visitor, "talk to a human", None)]);
        assert_eq!(question_answered(&only_asked, "invoices"), None);
        assert_eq!(question_answered(&context(Vec::new()), "invoices"), None);
    }

    #[test]
    fn what_the_widget_cannot_produce_is_dropped_or_cut() {
        let title_of =
            |id: &str| (id == "shipping-time").then(|| "How long delivery takes".to_owned());
        let mut transcript: Vec<TranscriptLine> = (0..250)
            .map(|n| line(Author::Visitor, &format!("question {n}"), None))
            .collect();
        transcript.push(line(Author::Visitor, "judged myself", Some(true)));
        transcript.push(line(
            bot("shipping-time"),
            "Refunds are instant, the bot says",
            Some(false),
        ));
        transcript.push(line(bot("made-up"), "We promise a free car", Some(true)));
        transcript.push(line(
            Author::Bot {
                article: None,
                confidence: Some(7.0),
            },
            &"x".repeat(10_000),
            Some(true),
        ));
        let mut attributes = serde_json::Map::new();
        attributes.insert("plan".into(), "pro".into());
        attributes.insert("nested".into(), serde_json::json!({"a": 1}));
        let context = HandoffContext {
            transcript,
            pages: vec![
                ("javascript:alert(1)".into(), "x".into()),
                ("https://shop.example/".into(), "t".repeat(500)),
            ],
            current_page: Some("data:text/html,hi".into()),
            attributes,
            ..HandoffContext::default()
        };
        let (kept, changed) = checked(context, title_of);
        assert_eq!(kept.transcript.len(), MAX_LINES);
        let last = &kept.transcript[MAX_LINES - 4..];
        assert_eq!(last[0].helpful, None);
        assert_eq!(
            last[1].text, "How long delivery takes",
            "the base's title, not the sender's"
        );
        assert_eq!(last[1].helpful, Some(false), "a verdict on an answer stays");
        assert_eq!(
            last[2].author,
            Author::Bot {
                article: None,
                confidence: Some(0.6)
            }
        );
        assert_eq!(last[2].helpful, None);
        assert_eq!(last[3].text.chars().count(), MAX_LINE_CHARS);
        assert_eq!(last[3].helpful, None);
        assert_eq!(
            last[3].author,
            Author::Bot {
                article: None,
                confidence: None
            }
        );
        assert_eq!(kept.pages.len(), 1);
        assert_eq!(kept.pages[0].1.chars().count(), MAX_TITLE_CHARS);
        assert_eq!(kept.current_page, None);
        assert_eq!(kept.attributes.len(), 1);
        assert!(
            changed
                .iter()
                .any(|c| c.contains("\"made-up\" is not in the site's base")),
            "{changed:?}"
        );
        // What the widget sends passes untouched.
        let fine = HandoffContext {
            transcript: vec![
                line(Author::Visitor, "where is my parcel", None),
                TranscriptLine {
                    author: Author::Bot {
                        article: Some("shipping-time".into()),
                        confidence: Some(0.8),
                    },
                    text: "How long delivery takes".into(),
                    helpful: Some(false),
                },
            ],
            current_page: Some("https://shop.example/".into()),
            ..HandoffContext::default()
        };
        let (kept, changed) = checked(fine.clone(), title_of);
        assert_eq!((kept, changed), (fine, Vec::<String>::new()));
    }

    #[test]
    fn an_empty_handoff_still_reads() {
        let summary = summary(HandoffReason::Asked, &HandoffContext::default());
        assert_eq!(
            summary,
            [
                "Asked: nothing yet",
                "Bot tried: no article",
                "Why a person: the visitor asked for one"
            ]
        );
    }
}

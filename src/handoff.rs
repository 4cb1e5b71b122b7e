//! The five-second summary at the top of a handoff: what the visitor asked, which articles the
//! bot tried and how the visitor judged them, and why a person was called. Plain text lines,
//! built from the context the widget sent, so the console only has to show them.

use ito_protocol::chat::{Author, HandoffContext, HandoffReason};

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

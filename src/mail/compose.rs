//! The text of visitors' mail, per locale (`locales/*.json`, overridable per site in
//! `[site.strings.*]` like the widget's words), as plain functions of what was said.

use std::collections::BTreeMap;

use ito_protocol::Locale;
use ito_protocol::chat::{Author, Event, EventKind, TranscriptLine};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// A mail's words, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub body: String,
}

/// The mail strings of one locale, the site's own where it has them.
pub struct MailStrings {
    strings: BTreeMap<String, String>,
}

fn defaults(locale: Locale) -> serde_json::Value {
    let text = match locale {
        Locale::En => include_str!("locales/en.json"),
        Locale::Ja => include_str!("locales/ja.json"),
    };
    serde_json::from_str(text).expect("the mail locale files are JSON (tested)")
}

impl MailStrings {
    /// `locale`'s words with `overrides` (a site's strings for it, by dotted key) over them.
    pub fn new(locale: Locale, overrides: Option<&BTreeMap<String, String>>) -> MailStrings {
        let mut strings: BTreeMap<String, String> = defaults(locale)["mail"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
        for (key, text) in overrides.into_iter().flatten() {
            if let Some(name) = key.strip_prefix("mail.") {
                strings.insert(name.to_owned(), text.clone());
            }
        }
        MailStrings { strings }
    }

    fn get(&self, name: &str) -> &str {
        self.strings.get(name).map_or("", String::as_str)
    }
}

/// `template` with each `{name}` replaced by its value in one pass, so a value that itself
/// holds `{link}` stays as written.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let named = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| (*value, close))
        });
        match named {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An agent's reply, for a visitor who was not there to read it.
pub fn reply(strings: &MailStrings, site: &str, agent: &str, text: &str, link: &str) -> Composed {
    let values = [
        ("site", site),
        ("agent", agent),
        ("text", text),
        ("link", link),
    ];
    Composed {
        subject: one_line(&fill(strings.get("reply_subject"), &values)),
        body: fill(strings.get("reply_body"), &values),
    }
}

/// The whole conversation as the visitor saw it: the bot's part, then every event shown to
/// them (never agents' notes), with times in `zone`.
pub fn transcript(
    strings: &MailStrings,
    site: &str,
    bot_part: &[TranscriptLine],
    events: &[Event],
    zone: &TimeZone,
    link: &str,
) -> Composed {
    let zone_name = zone.iana_name().unwrap_or("UTC");
    let mut body = fill(
        strings.get("transcript_intro"),
        &[("site", site), ("zone", zone_name)],
    );
    body.push_str("\n\n");
    let who = |author: &Author| match author {
        Author::Visitor => strings.get("you").to_owned(),
        Author::Bot { .. } => strings.get("bot").to_owned(),
        Author::Agent { name, .. } => name.clone(),
    };
    for line in bot_part {
        body.push_str(&format!("{}: {}\n", who(&line.author), line.text));
    }
    for event in events.iter().filter(|e| e.kind.for_visitor()) {
        if let EventKind::Message { author, text, .. } = &event.kind {
            let at = Timestamp::from_millisecond(event.at)
                .unwrap_or(Timestamp::UNIX_EPOCH)
                .to_zoned(zone.clone());
            body.push_str(&format!(
                "[{}] {}: {}\n",
                at.strftime("%Y-%m-%d %H:%M"),
                who(author),
                text
            ));
        }
    }
    body.push('\n');
    body.push_str(&fill(strings.get("transcript_link"), &[("link", link)]));
    body.push('\n');
    Composed {
        subject: one_line(&fill(strings.get("transcript_subject"), &[("site", site)])),
        body,
    }
}

/// A subject never breaks into a second header line.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n']).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(seq: u64, at: i64, author: Author, text: &str) -> Event {
        Event {
            seq,
            at,
            kind: EventKind::Message {
                id: format!("m{seq}").parse().unwrap(),
                author,
                text: text.into(),
            },
        }
    }

    fn ann() -> Author {
        Author::Agent {
            id: "a1".into(),
            name: "Ann".into(),
        }
    }

    #[test]
    fn a_reply_names_the_agent_and_links_back_and_keeps_braces_as_typed() {
        let strings = MailStrings::new(Locale::En, None);
        let mail = reply(&strings, "Acme", "Ann", "Use {link} {agent}", "https://x/l");
        assert_eq!(mail.subject, "Ann replied to your message to Acme");
        assert!(
            mail.body
                .starts_with("Ann replied:\n\nUse {link} {agent}\n")
        );
        assert!(mail.body.contains("\nhttps://x/l\n"));
    }

    #[test]
    fn a_site_overrides_mail_words_per_locale_and_subjects_stay_one_line() {
        let overrides: BTreeMap<String, String> = [
            (
                "mail.reply_subject".to_owned(),
                "{site}:\n{agent} wrote".to_owned(),
            ),
            ("panel.title".to_owned(), "not mail".to_owned()),
        ]
        .into();
        let strings = MailStrings::new(Locale::Ja, Some(&overrides));
        let mail = reply(&strings, "Acme", "Ann", "はい", "L");
        assert_eq!(mail.subject, "Acme: Ann wrote");
        assert!(
            mail.body.starts_with("Annから返信が届きました"),
            "{}",
            mail.body
        );
    }

    #[test]
    fn a_transcript_has_the_bot_part_and_what_the_visitor_saw_in_their_zone_but_no_notes() {
        let strings = MailStrings::new(Locale::En, None);
        let bot_part = vec![
            TranscriptLine {
                author: Author::Visitor,
                text: "Where is my order?".into(),
                helpful: None,
            },
            TranscriptLine {
                author: Author::Bot {
                    article: Some("track".into()),
                    confidence: None,
                },
                text: "Tracking your order".into(),
                helpful: Some(false),
            },
        ];
        // 2026-12-07 09:30 UTC is 18:30 in Tokyo.
        let at = 1_796_635_800_000;
        let events = vec![
            message(3, at, ann(), "It ships today."),
            Event {
                seq: 4,
                at,
                kind: EventKind::Note {
                    id: "n1".parse().unwrap(),
                    author: ann(),
                    text: "VIP, be nice".into(),
                },
            },
            message(5, at + 60_000, Author::Visitor, "Thanks!"),
        ];
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let mail = transcript(&strings, "Acme", &bot_part, &events, &tokyo, "L");
        assert_eq!(mail.subject, "Your conversation with Acme");
        assert_eq!(
            mail.body,
            "Here is your conversation with Acme, as you asked. Times are Asia/Tokyo.\n\n\
             You: Where is my order?\n\
             Assistant: Tracking your order\n\
             [2026-12-07 18:30] Ann: It ships today.\n\
             [2026-12-07 18:31] You: Thanks!\n\
             \nTo go on with it, open:\nL\n"
        );
    }

    #[test]
    fn every_locale_has_every_mail_string() {
        let names = |locale| -> Vec<String> {
            defaults(locale)["mail"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert!(names(Locale::En).contains(&"reply_body".to_owned()));
        assert_eq!(names(Locale::Ja), names(Locale::En));
    }
}

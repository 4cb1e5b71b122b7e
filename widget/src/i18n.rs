//! Visible strings, one JSON file per locale under `locales/`, keyed by component.
//!
//! A file is read as a JSON value, the site's words are put in it, and the value is kept for
//! the page's life, so every string is a `&'static str` taken from it by hand: the structs
//! are `Copy` (no clone or drop code for them, and the widget's size is counted), and
//! serde's derived readers for nine structs would cost it kilobytes more.

use ito_protocol::Locale;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
pub struct Strings {
    pub panel: PanelStrings,
    pub composer: ComposerStrings,
    pub message_list: MessageListStrings,
    pub bot: BotStrings,
    pub article_card: ArticleCardStrings,
    pub feedback: FeedbackStrings,
    pub pre_chat: PreChatStrings,
    pub survey: SurveyStrings,
    pub email: EmailStrings,
}

/// The address form for mail (a reply, the transcript).
#[derive(Debug, Clone, Copy)]
pub struct EmailStrings {
    pub label: &'static str,
    pub send: &'static str,
    /// Offered while nobody can answer: the reply by mail too.
    pub follow_up: &'static str,
    /// Offered once the chat is over.
    pub transcript: &'static str,
}

/// The satisfaction and effort survey.
#[derive(Debug, Clone, Copy)]
pub struct SurveyStrings {
    pub csat: &'static str,
    /// The five CSAT scores' words, `|`-separated.
    pub csat_labels: &'static str,
    pub ces: &'static str,
    pub ces_low: &'static str,
    pub ces_high: &'static str,
    pub comment: &'static str,
    pub send: &'static str,
    pub skip: &'static str,
    pub thanks: &'static str,
    pub skipped: &'static str,
}

/// The questions some sites ask before a handoff, and what the bot says to an invalid answer.
#[derive(Debug, Clone, Copy)]
pub struct PreChatStrings {
    pub name: &'static str,
    pub email: &'static str,
    pub bad_name: &'static str,
    pub bad_email: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct PanelStrings {
    pub title: &'static str,
    pub greeting: &'static str,
    pub close: &'static str,
    pub talk_to_person: &'static str,
    pub loading: &'static str,
    /// Read to screen readers while the bot prepares an answer.
    pub typing: &'static str,
    pub end_chat: &'static str,
    /// Added to the greeting outside business hours; `{when}`: when the team is back.
    pub away: &'static str,
    /// The same when the team is not back within the hours the widget knows.
    pub away_long: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct ComposerStrings {
    pub label: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    /// The file picker's label (shown while a person is in the conversation).
    pub attach: &'static str,
    /// `{name}`: the file on its way.
    pub sending: &'static str,
    pub too_large: &'static str,
    pub unsupported: &'static str,
    pub not_sent: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct MessageListStrings {
    pub label: &'static str,
    pub you: &'static str,
    pub bot: &'static str,
    /// Under the visitor's last message once the person has read it.
    pub seen: &'static str,
}

/// What the bot says besides articles.
#[derive(Debug, Clone, Copy)]
pub struct BotStrings {
    pub suggestions: &'static str,
    pub unsure: &'static str,
    pub person_requested: &'static str,
    pub glad: &'static str,
    pub sorry: &'static str,
    pub unavailable: &'static str,
    /// `{position}` is the visitor's place in the queue.
    pub queue: &'static str,
    /// `{name}` is the person's name.
    pub agent_joined: &'static str,
    /// `{name}`: the person another handed the conversation to.
    pub agent_taking_over: &'static str,
    pub resolved: &'static str,
    /// `{minutes}`: the expected wait, rounded up.
    pub wait: &'static str,
    pub wait_soon: &'static str,
    /// Nobody is online: the visitor may leave a message.
    pub nobody_online: &'static str,
    /// The same outside business hours; `{when}`: when the team is back.
    pub away: &'static str,
    pub email_kept: &'static str,
    pub transcript_sent: &'static str,
    /// The server refused the address, or a transcript asked for too often.
    pub email_refused: &'static str,
    pub ended: &'static str,
    pub restarted: &'static str,
    /// Offered when the visitor sounds frustrated.
    pub frustrated: &'static str,
    /// `{name}` is the person's name.
    pub agent_typing: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct ArticleCardStrings {
    /// Read after a link's text: links in answers open in a new tab.
    pub new_tab: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct FeedbackStrings {
    pub question: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    /// Shown once the visitor answered, in place of the buttons.
    pub helpful: &'static str,
    pub not_helpful: &'static str,
}

fn source(locale: Locale) -> &'static str {
    match locale {
        Locale::En => include_str!("../locales/en.json"),
        Locale::Ja => include_str!("../locales/ja.json"),
    }
}

/// The strings for `locale`. Every locale file has every key (a test checks), so this cannot fail.
pub fn strings(locale: Locale) -> Strings {
    try_strings(locale).expect("locale files are complete and valid")
}

/// The locale's file as a JSON value.
fn file(locale: Locale) -> Value {
    serde_json::from_str(source(locale)).expect("locale files are JSON")
}

/// The strings for `locale`, or the keys its file lacks or has too many of.
pub fn try_strings(locale: Locale) -> Result<Strings, String> {
    from_file(file(locale))
}

/// Takes every string out of `file`, kept for the page's life; what is missing or left over
/// is an error.
fn from_file(file: Value) -> Result<Strings, String> {
    let file: &'static Value = Box::leak(Box::new(file));
    let mut missing = Vec::new();
    let mut taken = Vec::new();
    let mut take = |section: &'static str, key: &'static str| -> &'static str {
        taken.push((section, key));
        file.get(section)
            .and_then(|s| s.get(key))
            .and_then(Value::as_str)
            .unwrap_or_else(|| {
                missing.push(format!("{section}.{key}"));
                ""
            })
    };
    let strings = Strings {
        panel: PanelStrings {
            title: take("panel", "title"),
            greeting: take("panel", "greeting"),
            close: take("panel", "close"),
            talk_to_person: take("panel", "talk_to_person"),
            loading: take("panel", "loading"),
            typing: take("panel", "typing"),
            end_chat: take("panel", "end_chat"),
            away: take("panel", "away"),
            away_long: take("panel", "away_long"),
        },
        composer: ComposerStrings {
            label: take("composer", "label"),
            placeholder: take("composer", "placeholder"),
            send: take("composer", "send"),
            attach: take("composer", "attach"),
            sending: take("composer", "sending"),
            too_large: take("composer", "too_large"),
            unsupported: take("composer", "unsupported"),
            not_sent: take("composer", "not_sent"),
        },
        message_list: MessageListStrings {
            label: take("message_list", "label"),
            you: take("message_list", "you"),
            bot: take("message_list", "bot"),
            seen: take("message_list", "seen"),
        },
        bot: BotStrings {
            suggestions: take("bot", "suggestions"),
            unsure: take("bot", "unsure"),
            person_requested: take("bot", "person_requested"),
            glad: take("bot", "glad"),
            sorry: take("bot", "sorry"),
            unavailable: take("bot", "unavailable"),
            queue: take("bot", "queue"),
            agent_joined: take("bot", "agent_joined"),
            agent_taking_over: take("bot", "agent_taking_over"),
            resolved: take("bot", "resolved"),
            wait: take("bot", "wait"),
            wait_soon: take("bot", "wait_soon"),
            nobody_online: take("bot", "nobody_online"),
            away: take("bot", "away"),
            email_kept: take("bot", "email_kept"),
            transcript_sent: take("bot", "transcript_sent"),
            email_refused: take("bot", "email_refused"),
            ended: take("bot", "ended"),
            restarted: take("bot", "restarted"),
            frustrated: take("bot", "frustrated"),
            agent_typing: take("bot", "agent_typing"),
        },
        article_card: ArticleCardStrings {
            new_tab: take("article_card", "new_tab"),
        },
        feedback: FeedbackStrings {
            question: take("feedback", "question"),
            yes: take("feedback", "yes"),
            no: take("feedback", "no"),
            helpful: take("feedback", "helpful"),
            not_helpful: take("feedback", "not_helpful"),
        },
        pre_chat: PreChatStrings {
            name: take("pre_chat", "name"),
            email: take("pre_chat", "email"),
            bad_name: take("pre_chat", "bad_name"),
            bad_email: take("pre_chat", "bad_email"),
        },
        survey: SurveyStrings {
            csat: take("survey", "csat"),
            csat_labels: take("survey", "csat_labels"),
            ces: take("survey", "ces"),
            ces_low: take("survey", "ces_low"),
            ces_high: take("survey", "ces_high"),
            comment: take("survey", "comment"),
            send: take("survey", "send"),
            skip: take("survey", "skip"),
            thanks: take("survey", "thanks"),
            skipped: take("survey", "skipped"),
        },
        email: EmailStrings {
            label: take("email", "label"),
            send: take("email", "send"),
            follow_up: take("email", "follow_up"),
            transcript: take("email", "transcript"),
        },
    };
    // The loader's words are the server's business (it sends them with the site settings).
    let extra: Vec<String> = file
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(section, _)| *section != "launcher")
        .flat_map(|(section, keys)| {
            let keys = keys.as_object().into_iter().flatten();
            keys.map(move |(key, _)| (section.as_str(), key.as_str()))
        })
        .filter(|pair| !taken.contains(pair))
        .map(|(section, key)| format!("{section}.{key}"))
        .collect();
    if missing.is_empty() && extra.is_empty() {
        Ok(strings)
    } else {
        // Joined by hand: `{:?}` would bring the widget the code that escapes strings.
        Err(format!(
            "missing [{}], unknown [{}]",
            missing.join(", "),
            extra.join(", ")
        ))
    }
}

/// The strings for `locale` with the site's own words (`panel.greeting` = "...") in place.
/// The server accepts only keys that exist; anything else is ignored here.
pub fn site_strings(locale: Locale, overrides: Option<&BTreeMap<String, String>>) -> Strings {
    let mut file = file(locale);
    for (key, value) in overrides.into_iter().flatten() {
        let slot = key
            .split_once('.')
            .and_then(|(section, name)| file.get_mut(section)?.get_mut(name));
        if let Some(slot @ Value::String(_)) = slot {
            *slot = Value::String(value.clone());
        }
    }
    from_file(file).unwrap_or_else(|_| strings(locale))
}

/// A string made at run time (the bot's name, the greeting outside hours), kept for the
/// page's life like the file's.
pub fn keep(text: String) -> &'static str {
    text.leak()
}

//! Visible strings, one JSON file per locale under `locales/`, keyed by component.
//!
//! The files are read as plain maps of sections and then moved into the typed structs by
//! hand: serde's derived readers for eight structs cost the widget kilobytes more than one
//! map reader, and the widget's size is counted.

use ito_protocol::Locale;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
pub struct EmailStrings {
    pub label: String,
    pub send: String,
    /// Offered while nobody can answer: the reply by mail too.
    pub follow_up: String,
    /// Offered once the chat is over.
    pub transcript: String,
}

/// The satisfaction and effort survey.
#[derive(Debug, Clone)]
pub struct SurveyStrings {
    pub csat: String,
    /// The five CSAT scores' words, `|`-separated.
    pub csat_labels: String,
    pub ces: String,
    pub ces_low: String,
    pub ces_high: String,
    pub comment: String,
    pub send: String,
    pub skip: String,
    pub thanks: String,
    pub skipped: String,
}

/// The questions some sites ask before a handoff, and what the bot says to an invalid answer.
#[derive(Debug, Clone)]
pub struct PreChatStrings {
    pub name: String,
    pub email: String,
    pub bad_name: String,
    pub bad_email: String,
}

#[derive(Debug, Clone)]
pub struct PanelStrings {
    pub title: String,
    pub greeting: String,
    pub close: String,
    pub talk_to_person: String,
    pub loading: String,
    /// Read to screen readers while the bot prepares an answer.
    pub typing: String,
    pub end_chat: String,
    /// Added to the greeting outside business hours; `{when}`: when the team is back.
    pub away: String,
    /// The same when the team is not back within the hours the widget knows.
    pub away_long: String,
}

#[derive(Debug, Clone)]
pub struct ComposerStrings {
    pub label: String,
    pub placeholder: String,
    pub send: String,
}

#[derive(Debug, Clone)]
pub struct MessageListStrings {
    pub label: String,
    pub you: String,
    pub bot: String,
    /// Under the visitor's last message once the person has read it.
    pub seen: String,
}

/// What the bot says besides articles.
#[derive(Debug, Clone)]
pub struct BotStrings {
    pub suggestions: String,
    pub unsure: String,
    pub person_requested: String,
    pub glad: String,
    pub sorry: String,
    pub unavailable: String,
    /// `{position}` is the visitor's place in the queue.
    pub queue: String,
    /// `{name}` is the person's name.
    pub agent_joined: String,
    /// `{name}`: the person another handed the conversation to.
    pub agent_taking_over: String,
    pub resolved: String,
    /// `{minutes}`: the expected wait, rounded up.
    pub wait: String,
    pub wait_soon: String,
    /// Nobody is online: the visitor may leave a message.
    pub nobody_online: String,
    /// The same outside business hours; `{when}`: when the team is back.
    pub away: String,
    pub email_kept: String,
    pub transcript_sent: String,
    pub ended: String,
    pub restarted: String,
    /// Offered when the visitor sounds frustrated.
    pub frustrated: String,
    /// `{name}` is the person's name.
    pub agent_typing: String,
}

#[derive(Debug, Clone)]
pub struct ArticleCardStrings {
    /// Read after a link's text: links in answers open in a new tab.
    pub new_tab: String,
}

#[derive(Debug, Clone)]
pub struct FeedbackStrings {
    pub question: String,
    pub yes: String,
    pub no: String,
    /// Shown once the visitor answered, in place of the buttons.
    pub helpful: String,
    pub not_helpful: String,
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

type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Read through `serde_json::Value`, whose reader the widget has anyway: a derived reader of
/// nested maps would cost it kilobytes more.
fn sections(locale: Locale) -> Sections {
    let value: serde_json::Value =
        serde_json::from_str(source(locale)).expect("locale files are JSON");
    let object = |v: &serde_json::Value| v.as_object().cloned().unwrap_or_default();
    object(&value)
        .into_iter()
        .map(|(section, strings)| {
            let strings = object(&strings)
                .into_iter()
                .filter_map(|(key, text)| Some((key, text.as_str()?.to_owned())))
                .collect();
            (section, strings)
        })
        .collect()
}

/// The strings for `locale`, or the keys its file lacks or has too many of.
pub fn try_strings(locale: Locale) -> Result<Strings, String> {
    from_sections(sections(locale))
}

/// Takes every string out of `sections`; what is missing or left over is an error.
fn from_sections(mut sections: Sections) -> Result<Strings, String> {
    let mut missing = Vec::new();
    let mut take = |section: &str, key: &str| {
        sections
            .get_mut(section)
            .and_then(|s| s.remove(key))
            .unwrap_or_else(|| {
                missing.push(format!("{section}.{key}"));
                String::new()
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
    sections.remove("launcher");
    let extra: Vec<String> = sections
        .iter()
        .flat_map(|(section, keys)| keys.keys().map(move |key| format!("{section}.{key}")))
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
    let mut sections = sections(locale);
    for (key, value) in overrides.into_iter().flatten() {
        let slot = key
            .split_once('.')
            .and_then(|(section, name)| sections.get_mut(section)?.get_mut(name));
        if let Some(slot) = slot {
            slot.clone_from(value);
        }
    }
    from_sections(sections).unwrap_or_else(|_| strings(locale))
}

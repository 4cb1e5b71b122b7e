//! What is mailed to visitors: an agent's reply when the visitor is not there to read it (and
//! gave an address), and the transcript they ask for after a chat. Each mail links to the
//! same thread in the widget, whose page takes the conversation's token from the link.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use ito_protocol::Locale;
use ito_protocol::chat::ConversationId;
use tokio::sync::Notify;

use super::compose::{self, Composed, MailStrings};
use crate::live::visitors;
use crate::state::AppState;
use crate::store::mail::{self, MailKind};
use crate::store::{StoreError, events};

/// Transcripts one conversation may ask for: enough to fix a typo in the address.
pub const MAX_TRANSCRIPTS: i64 = 3;
/// Transcripts one address gets in a day, whoever asks from however many conversations: Ito
/// cannot be made to fill a stranger's inbox.
pub const MAX_TRANSCRIPTS_PER_ADDRESS: i64 = 6;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// Events a transcript reads, at most: far more than any chat has.
const MAX_TRANSCRIPT_EVENTS: u32 = 20_000;

/// What queueing mail needs besides the store: the sender to wake, and this server's address
/// for the links when `public_url` does not say it.
#[derive(Clone, Default)]
pub struct Mail {
    pub wake: Arc<Notify>,
    pub own_url: Arc<OnceLock<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    #[error("this server sends no mail (no [server.smtp])")]
    NoMail,
    #[error("a transcript is sent at most {MAX_TRANSCRIPTS} times")]
    TooMany,
    #[error(
        "this address was sent {MAX_TRANSCRIPTS_PER_ADDRESS} transcripts in the last day; ask again tomorrow"
    )]
    AddressFull,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for FollowUpError {
    fn from(e: sqlx::Error) -> Self {
        FollowUpError::Store(e.into())
    }
}

/// Whether `address` is one mail can go to: one `@` with text around it, no spaces or
/// controls, a dot in the domain, at most 254 bytes (as the widget checks it).
pub fn valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    address.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !address.chars().any(|c| c.is_whitespace() || c.is_control())
        && address.parse::<lettre::Address>().is_ok()
}

/// The conversation's thread in the widget, opened from a mail: the token travels in the
/// fragment, which browsers never send to a server or in a `Referer`.
fn thread_link(state: &AppState, site: &str, locale: Locale, token: &str) -> String {
    let base = match &state.config.server.public_url {
        Some(url) => url.origin().to_owned(),
        None => state
            .mail
            .own_url
            .get()
            .cloned()
            .unwrap_or_else(|| format!("http://{}", state.config.server.listen)),
    };
    format!(
        "{base}/embed/{site}?locale={}#resume={token}",
        locale.code()
    )
}

/// The site, its words for mail in the conversation's language, the link and the bot's part.
struct Setting {
    site: String,
    site_name: String,
    strings: MailStrings,
    link: String,
    context: Option<ito_protocol::chat::HandoffContext>,
}

async fn setting(
    state: &AppState,
    conversation: &ConversationId,
) -> Result<Option<Setting>, StoreError> {
    let Some(site_id) = events::site_of(&state.db, conversation).await? else {
        return Ok(None);
    };
    let Some(site) = state.config.site(&site_id) else {
        return Ok(None);
    };
    let context = events::handoff_of(&state.db, conversation)
        .await?
        .map(|(_, context)| context);
    let locale = context
        .as_ref()
        .and_then(|c| c.locale)
        .unwrap_or(site.locale);
    let token = state
        .tokens
        .sign(conversation, jiff::Timestamp::now().as_second());
    Ok(Some(Setting {
        strings: MailStrings::new(locale, site.strings.get(&locale)),
        link: thread_link(state, &site_id, locale, &token),
        site: site_id,
        site_name: site.name.clone(),
        context,
    }))
}

/// Queues `mail` under `id` (a mail queued again under its id is kept once).
async fn queue(
    state: &AppState,
    id: &str,
    (site, conversation): (&str, &ConversationId),
    kind: MailKind,
    to: &str,
    mail: Composed,
) -> Result<(), sqlx::Error> {
    let now = jiff::Timestamp::now().as_millisecond();
    let queued = mail::Queue {
        id,
        site,
        conversation: Some(conversation.as_str()),
        kind,
        recipient: to,
        subject: &mail.subject,
        body: &mail.body,
    };
    mail::enqueue(&state.db, &queued, now).await?;
    state.mail.wake.notify_one();
    Ok(())
}

/// After an agent's reply is stored as event `seq`: mails it to the visitor if they gave an
/// address and no connection of theirs is open anywhere (they would read it in the widget).
/// A resent reply (the same `seq`) is mailed once. Returns whether a mail was queued.
pub async fn agent_replied(
    state: &AppState,
    conversation: &ConversationId,
    seq: u64,
    agent: &str,
    text: &str,
) -> Result<bool, StoreError> {
    if state.config.server.smtp.is_none() {
        return Ok(false);
    }
    let Some(to) = events::visitor_of(&state.db, conversation)
        .await?
        .and_then(|v| v.email)
        .filter(|a| valid_address(a))
    else {
        return Ok(false);
    };
    let here = HashSet::from([conversation.clone()]);
    if !visitors::connected_anywhere(state, &here).await?.is_empty() {
        return Ok(false);
    }
    let Some(s) = setting(state, conversation).await? else {
        return Ok(false);
    };
    let mail = compose::reply(&s.strings, &s.site_name, agent, text, &s.link);
    let id = format!("reply-{conversation}-{seq}");
    let at = (s.site.as_str(), conversation);
    queue(state, &id, at, MailKind::Reply, &to, mail).await?;
    Ok(true)
}

/// The visitor asked for the conversation by mail, at `to` (checked by the caller).
pub async fn send_transcript(
    state: &AppState,
    conversation: &ConversationId,
    to: &str,
) -> Result<(), FollowUpError> {
    if state.config.server.smtp.is_none() {
        return Err(FollowUpError::NoMail);
    }
    if mail::transcripts_of(&state.db, conversation.as_str()).await? >= MAX_TRANSCRIPTS {
        return Err(FollowUpError::TooMany);
    }
    let day_ago = jiff::Timestamp::now().as_millisecond() - DAY_MS;
    if mail::transcripts_to(&state.db, to, day_ago).await? >= MAX_TRANSCRIPTS_PER_ADDRESS {
        return Err(FollowUpError::AddressFull);
    }
    let Some(s) = setting(state, conversation).await? else {
        return Err(FollowUpError::NoMail);
    };
    let events = events::events_after(&state.db, conversation, 0, MAX_TRANSCRIPT_EVENTS).await?;
    let zone = s
        .context
        .as_ref()
        .and_then(|c| c.timezone.as_deref())
        .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        .or_else(|| {
            let site = state.config.site(&s.site)?;
            jiff::tz::TimeZone::get(&site.time_zone).ok()
        })
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let bot_part = s.context.as_ref().map_or(&[][..], |c| &c.transcript[..]);
    let mail = compose::transcript(&s.strings, &s.site_name, bot_part, &events, &zone, &s.link);
    let id = format!("transcript-{}", crate::store::random_hex(12));
    let at = (s.site.as_str(), conversation);
    queue(state, &id, at, MailKind::Transcript, to, mail).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_as_the_widget_checks_them() {
        for good in ["ann@example.com", "a.b+c@mail.example.co.jp"] {
            assert!(valid_address(good), "{good}");
        }
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "ann @example.com",
            "ann@example.com\r\nBcc: x@y.z",
            "ann@.example.com",
        ] {
            assert!(!valid_address(bad), "{bad:?}");
        }
    }
}

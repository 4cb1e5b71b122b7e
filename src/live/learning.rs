//! Learning from agents: when an agent answers a handed-off visitor with an article, the
//! visitor's question becomes a suggestion to the site's editors ("asked X; the agent
//! answered with Y: add X as a way of asking Y?").

use ito_protocol::chat::ConversationId;

use crate::live::handoff;
use crate::site::config::Config;
use crate::site::knowledge::KnowledgeBases;
use crate::store::Store;
use crate::store::events::{self, StoreError};
use crate::store::knowledge::BaseKey;
use crate::store::learning::{self, NewSuggestion};

/// Makes the suggestion an agent's reply with `article` in `conversation` stands for, if the
/// conversation was handed off with a question the bot did not already answer with it, and
/// the article is in the visitor's base. Returns whether a new one was kept.
pub async fn suggest_from_answer(
    store: &Store,
    config: &Config,
    bases: &KnowledgeBases,
    conversation: &ConversationId,
    article: &str,
    agent: &str,
) -> Result<bool, StoreError> {
    let Some((_, context)) = events::handoff_of(store, conversation).await? else {
        return Ok(false);
    };
    let Some(site) = events::site_of(store, conversation).await? else {
        return Ok(false);
    };
    // A site that keeps no visitors' words keeps no suggestions made of them either.
    let Some(site) = config.site(&site).filter(|s| s.keep_bot_questions) else {
        return Ok(false);
    };
    let locale = context.locale.unwrap_or(site.locale);
    let Some(locale) = bases.served_locale(site, locale) else {
        return Ok(false);
    };
    if !bases.has_article(site.id.as_str(), locale, article) {
        return Ok(false);
    }
    let Some(question) = handoff::question_answered(&context, article) else {
        return Ok(false);
    };
    let new = NewSuggestion {
        key: BaseKey {
            site: site.id.as_str(),
            locale,
        },
        question,
        article,
        conversation,
        agent,
    };
    Ok(learning::suggest(store, new).await?)
}

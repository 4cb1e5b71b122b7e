//! Labels: the names a site's admins define, and which conversations carry which. A label
//! goes on a conversation only if its site defines it; taking one off the site's list leaves
//! it on the conversations that have it.

use std::collections::HashMap;

use ito_protocol::chat::ConversationId;

use super::{Store, with_pool};

/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("a label has 1 to {MAX_LABEL_CHARS} characters and no control characters")]
    BadName,
    #[error("this site has no label {0:?}: an admin adds it first")]
    Undefined(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// `name` as kept: trimmed, if it is one.
pub fn checked(name: &str) -> Result<&str, LabelError> {
    let name = name.trim();
    let chars = name.chars().count();
    if (1..=MAX_LABEL_CHARS).contains(&chars) && !name.chars().any(char::is_control) {
        Ok(name)
    } else {
        Err(LabelError::BadName)
    }
}

/// `site`'s labels, by name.
pub async fn defined(store: &Store, site: &str) -> Result<Vec<String>, sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT name FROM labels WHERE site = $1 ORDER BY name"
    )
    .bind(site)
    .fetch_all(pool)
    .await)
}

/// Adds `name` to `site`'s labels (adding it again changes nothing).
pub async fn define(store: &Store, site: &str, name: &str) -> Result<(), LabelError> {
    let name = checked(name)?;
    with_pool!(store, |pool, PG| sqlx::query(
        "INSERT INTO labels (site, name) VALUES ($1, $2) ON CONFLICT (site, name) DO NOTHING"
    )
    .bind(site)
    .bind(name)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Takes `name` off `site`'s list. Returns whether it was there.
pub async fn undefine(store: &Store, site: &str, name: &str) -> Result<bool, sqlx::Error> {
    let done = with_pool!(store, |pool, PG| sqlx::query(
        "DELETE FROM labels WHERE site = $1 AND name = $2"
    )
    .bind(site)
    .bind(name)
    .execute(pool)
    .await
    .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

/// Puts `label` on `conversation` (`on`) or takes it off. Returns whether anything changed.
pub async fn set(
    store: &Store,
    conversation: &ConversationId,
    label: &str,
    on: bool,
    by: &str,
) -> Result<bool, LabelError> {
    let label = checked(label)?;
    let changed = if on {
        with_pool!(store, |pool, PG| sqlx::query(
            "INSERT INTO conversation_labels (conversation_id, label, added_by)
             SELECT c.id, l.name, $3 FROM conversations c
             JOIN labels l ON l.site = c.site AND l.name = $2
             WHERE c.id = $1
             ON CONFLICT (conversation_id, label) DO NOTHING"
        )
        .bind(conversation.as_str())
        .bind(label)
        .bind(by)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?
    } else {
        with_pool!(store, |pool, PG| sqlx::query(
            "DELETE FROM conversation_labels WHERE conversation_id = $1 AND label = $2"
        )
        .bind(conversation.as_str())
        .bind(label)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?
    };
    if on && changed == 0 && !of(store, conversation).await?.iter().any(|l| l == label) {
        return Err(LabelError::Undefined(label.to_owned()));
    }
    Ok(changed == 1)
}

/// `conversation`'s labels, by name.
pub async fn of(store: &Store, conversation: &ConversationId) -> Result<Vec<String>, sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT label FROM conversation_labels WHERE conversation_id = $1 ORDER BY label"
    )
    .bind(conversation.as_str())
    .fetch_all(pool)
    .await)
}

/// The labels of every open conversation (waiting or assigned), for the inbox.
pub async fn of_open(store: &Store) -> Result<HashMap<String, Vec<String>>, sqlx::Error> {
    let rows: Vec<(String, String)> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT l.conversation_id, l.label FROM conversation_labels l
         JOIN conversations c ON c.id = l.conversation_id
         WHERE c.status IN ('waiting', 'assigned')
         ORDER BY l.conversation_id, l.label"
    )
    .fetch_all(pool)
    .await)?;
    let mut by_conversation: HashMap<String, Vec<String>> = HashMap::new();
    for (conversation, label) in rows {
        by_conversation.entry(conversation).or_default().push(label);
    }
    Ok(by_conversation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_label_goes_on_a_conversation_only_if_its_site_defines_it() {
        let (_dir, store) = crate::store::testing::fresh().await.unwrap();
        let (_, conversation) = crate::store::events::start_conversation(&store, "demo")
            .await
            .unwrap();
        let ann = crate::store::agents::add(
            &store,
            "ann@shop.example",
            "Ann",
            "correct horse",
            crate::store::agents::Role::Agent,
        )
        .await
        .unwrap();
        assert!(matches!(
            set(&store, &conversation, "billing", true, &ann.id).await,
            Err(LabelError::Undefined(_))
        ));
        define(&store, "other", "billing").await.unwrap();
        assert!(
            set(&store, &conversation, "billing", true, &ann.id)
                .await
                .is_err(),
            "another site's label"
        );
        define(&store, "demo", " billing ").await.unwrap();
        define(&store, "demo", "billing").await.unwrap();
        assert_eq!(defined(&store, "demo").await.unwrap(), ["billing"]);
        assert!(
            set(&store, &conversation, "billing", true, &ann.id)
                .await
                .unwrap()
        );
        assert!(
            !set(&store, &conversation, "billing", true, &ann.id)
                .await
                .unwrap()
        );
        assert_eq!(of(&store, &conversation).await.unwrap(), ["billing"]);
        // Off the site's list, it stays where it was put.
        assert!(undefine(&store, "demo", "billing").await.unwrap());
        assert_eq!(of(&store, &conversation).await.unwrap(), ["billing"]);
        assert!(
            set(&store, &conversation, "billing", false, &ann.id)
                .await
                .unwrap()
        );
        assert!(of(&store, &conversation).await.unwrap().is_empty());
        assert!(matches!(
            define(&store, "demo", "  ").await,
            Err(LabelError::BadName)
        ));
    }
}

//! Canned replies: per site, a shortcut and the text an agent inserts with it. Saving a
//! shortcut again replaces its text.

use super::{Store, sql, with_pool};

/// The longest canned reply, in bytes (a reply's own limit is larger; a canned one is a start).
pub const MAX_TEXT_BYTES: usize = 8 * 1024;
/// The longest shortcut, in characters.
pub const MAX_SHORTCUT_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canned {
    pub shortcut: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CannedError {
    #[error(
        "a shortcut is 1 to {MAX_SHORTCUT_CHARS} lowercase letters, digits, `-` or `_`, not {0:?}"
    )]
    BadShortcut(String),
    #[error("a canned reply has 1 to {MAX_TEXT_BYTES} bytes of text")]
    BadText,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Whether `shortcut` is one an agent can type after `/`.
pub fn valid_shortcut(shortcut: &str) -> bool {
    (1..=MAX_SHORTCUT_CHARS).contains(&shortcut.chars().count())
        && shortcut
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// `site`'s canned replies, by shortcut.
pub async fn list(store: &Store, site: &str) -> Result<Vec<Canned>, sqlx::Error> {
    let rows: Vec<(String, String)> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT shortcut, text FROM canned_replies WHERE site = $1 ORDER BY shortcut"
    )
    .bind(site)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(shortcut, text)| Canned { shortcut, text })
        .collect())
}

/// Saves `text` under `shortcut` for `site` (a new one, or in place of the old text).
pub async fn save(
    store: &Store,
    site: &str,
    shortcut: &str,
    text: &str,
    by: &str,
) -> Result<(), CannedError> {
    if !valid_shortcut(shortcut) {
        return Err(CannedError::BadShortcut(shortcut.to_owned()));
    }
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_TEXT_BYTES {
        return Err(CannedError::BadText);
    }
    with_pool!(store, |pool, PG| sqlx::query(sql(
        PG,
        "INSERT INTO canned_replies (site, shortcut, text, saved_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (site, shortcut) DO UPDATE SET text = excluded.text,
             saved_by = excluded.saved_by, saved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        "INSERT INTO canned_replies (site, shortcut, text, saved_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (site, shortcut) DO UPDATE SET text = excluded.text,
             saved_by = excluded.saved_by, saved_at = ito_now()",
    ))
    .bind(site)
    .bind(shortcut)
    .bind(text)
    .bind(by)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Deletes `site`'s `shortcut`. Returns whether there was one.
pub async fn delete(store: &Store, site: &str, shortcut: &str) -> Result<bool, sqlx::Error> {
    let done = with_pool!(store, |pool, PG| sqlx::query(
        "DELETE FROM canned_replies WHERE site = $1 AND shortcut = $2"
    )
    .bind(site)
    .bind(shortcut)
    .execute(pool)
    .await
    .map(|d| d.rows_affected()))?;
    Ok(done == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_what_an_agent_types_after_a_slash() {
        for good in ["refund", "ship-2", "hello_ja"] {
            assert!(valid_shortcut(good), "{good}");
        }
        for bad in [
            "",
            "Refund",
            "two words",
            "返金",
            &"x".repeat(41),
            "/refund",
        ] {
            assert!(!valid_shortcut(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_shortcut_saved_again_replaces_its_text_and_sites_keep_their_own() {
        let (_dir, store) = crate::store::testing::fresh().await.unwrap();
        let admin = crate::store::agents::add(
            &store,
            "ann@shop.example",
            "Ann",
            "correct horse",
            crate::store::agents::Role::Admin,
        )
        .await
        .unwrap();
        save(
            &store,
            "demo",
            "refund",
            "Hi {visitor_name}, refunds take 5 days.",
            &admin.id,
        )
        .await
        .unwrap();
        save(
            &store,
            "demo",
            "refund",
            " Refunds take 3 days now. ",
            &admin.id,
        )
        .await
        .unwrap();
        save(&store, "other", "refund", "Elsewhere.", &admin.id)
            .await
            .unwrap();
        assert_eq!(
            list(&store, "demo").await.unwrap(),
            [Canned {
                shortcut: "refund".into(),
                text: "Refunds take 3 days now.".into()
            }]
        );
        assert!(matches!(
            save(&store, "demo", "Bad Shortcut", "x", &admin.id).await,
            Err(CannedError::BadShortcut(_))
        ));
        assert!(matches!(
            save(&store, "demo", "empty", "   ", &admin.id).await,
            Err(CannedError::BadText)
        ));
        assert!(delete(&store, "demo", "refund").await.unwrap());
        assert!(!delete(&store, "demo", "refund").await.unwrap());
        assert_eq!(list(&store, "other").await.unwrap().len(), 1);
    }
}

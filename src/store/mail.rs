//! The mail outbox: mail to visitors kept until an SMTP server accepts it. Times are Unix
//! milliseconds from the caller, so the retry schedule is tested without waiting.

use super::{Store, time_text, with_pool};

/// How long a node holds a mail it is sending before another may try it: longer than any
/// SMTP exchange the sender allows.
pub const LEASE_MS: i64 = 120_000;

/// A mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Tries so far, this one included.
    pub attempts: i64,
}

/// What a mail is about, as the outbox keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// An agent's reply to a visitor who was not there to read it.
    Reply,
    /// The conversation, which the visitor asked for.
    Transcript,
}

impl MailKind {
    fn as_str(self) -> &'static str {
        match self {
            MailKind::Reply => "reply",
            MailKind::Transcript => "transcript",
        }
    }
}

/// A mail as the outbox shows it, for tests and the operator.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Queued {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
    pub failed_at: Option<String>,
}

/// A mail for the outbox.
pub struct Queue<'a> {
    /// Names the mail: queued again under the same id, it is kept once.
    pub id: &'a str,
    pub site: &'a str,
    pub conversation: Option<&'a str>,
    pub kind: MailKind,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// Keeps a mail to be sent from `now` on, unless one with its id is kept already.
pub async fn enqueue(store: &Store, mail: &Queue<'_>, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query(
        "INSERT INTO mail_outbox (id, site, conversation_id, kind, recipient, subject, body,
             next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(mail.id)
    .bind(mail.site)
    .bind(mail.conversation)
    .bind(mail.kind.as_str())
    .bind(mail.recipient)
    .bind(mail.subject)
    .bind(mail.body)
    .bind(time_text(now))
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Takes the mail due longest, if any, and holds it for [`LEASE_MS`]. Two nodes never take the
/// same mail: the lease is checked again by the update itself (PostgreSQL rechecks the outer
/// condition on the row it waited for; SQLite has one writer).
pub async fn take_due(store: &Store, now: i64) -> Result<Option<Outgoing>, sqlx::Error> {
    let (now_text, until) = (time_text(now), time_text(now + LEASE_MS));
    let row: Option<(String, String, String, String, i64)> =
        with_pool!(store, |pool, PG| sqlx::query_as(
            "UPDATE mail_outbox SET leased_until = $2, attempts = attempts + 1
             WHERE id = (SELECT id FROM mail_outbox
                         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
                           AND (leased_until IS NULL OR leased_until <= $1)
                         ORDER BY next_attempt_at, id LIMIT 1)
               AND sent_at IS NULL AND (leased_until IS NULL OR leased_until <= $1)
             RETURNING id, recipient, subject, body, attempts"
        )
        .bind(&now_text)
        .bind(&until)
        .fetch_optional(pool)
        .await)?;
    Ok(
        row.map(|(id, recipient, subject, body, attempts)| Outgoing {
            id,
            recipient,
            subject,
            body,
            attempts,
        }),
    )
}

/// The SMTP server accepted it.
pub async fn mark_sent(store: &Store, id: &str, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query(
        "UPDATE mail_outbox SET sent_at = $2, leased_until = NULL, last_error = NULL WHERE id = $1"
    )
    .bind(id)
    .bind(time_text(now))
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// This try failed: tried again at `retry_at`, or never (`None`: refused for good).
pub async fn mark_failed(
    store: &Store,
    id: &str,
    error: &str,
    now: i64,
    retry_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    let (retry, failed) = match retry_at {
        Some(at) => (Some(time_text(at)), None),
        None => (None, Some(time_text(now))),
    };
    with_pool!(store, |pool, PG| sqlx::query(
        "UPDATE mail_outbox SET leased_until = NULL, last_error = $2,
             next_attempt_at = COALESCE($3, next_attempt_at), failed_at = $4
         WHERE id = $1"
    )
    .bind(id)
    .bind(error)
    .bind(retry)
    .bind(failed)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// When the next mail is due, if any waits (leased ones included, at their lease's end).
pub async fn next_due(store: &Store) -> Result<Option<String>, sqlx::Error> {
    let next: Option<(Option<String>,)> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT MIN(CASE WHEN leased_until IS NOT NULL AND leased_until > next_attempt_at
                         THEN leased_until ELSE next_attempt_at END)
         FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL"
    )
    .fetch_optional(pool)
    .await)?;
    Ok(next.and_then(|(at,)| at))
}

/// A conversation's mail, oldest first.
pub async fn of_conversation(
    store: &Store,
    conversation: &str,
) -> Result<Vec<Queued>, sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT id, kind, recipient, subject, attempts, last_error, sent_at, failed_at
         FROM mail_outbox WHERE conversation_id = $1 ORDER BY created_at, id"
    )
    .bind(conversation)
    .fetch_all(pool)
    .await)
}

/// How many transcripts of `conversation` were asked for: a visitor gets a few, not a flood.
pub async fn transcripts_of(store: &Store, conversation: &str) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT COUNT(*) FROM mail_outbox WHERE conversation_id = $1 AND kind = 'transcript'"
    )
    .bind(conversation)
    .fetch_one(pool)
    .await)?;
    Ok(count)
}

/// How many transcripts were queued for `recipient` (in any case) since `since`.
pub async fn transcripts_to(
    store: &Store,
    recipient: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT COUNT(*) FROM mail_outbox
         WHERE lower(recipient) = lower($1) AND kind = 'transcript' AND created_at > $2"
    )
    .bind(recipient)
    .bind(time_text(since))
    .fetch_one(pool)
    .await)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(id: &str, kind: MailKind) -> Queue<'_> {
        Queue {
            id,
            site: "demo",
            conversation: None,
            kind,
            recipient: "v@example.com",
            subject: "Hi",
            body: "Body",
        }
    }

    #[tokio::test]
    async fn a_failed_mail_waits_for_its_retry_and_is_taken_once() {
        let (_dir, store) = crate::store::testing::fresh().await.unwrap();
        {
            let id = "r1";
            let mail = mail("r1", MailKind::Reply);
            enqueue(&store, &mail, 1_000).await.unwrap();
            enqueue(&store, &mail, 1_000).await.unwrap();
            assert_eq!(take_due(&store, 999).await.unwrap(), None, "not due yet");
            let first = take_due(&store, 1_000).await.unwrap().unwrap();
            assert_eq!((first.id.as_str(), first.attempts), (id, 1));
            assert_eq!(
                take_due(&store, 1_001).await.unwrap(),
                None,
                "held, and kept once"
            );
            mark_failed(&store, id, "connection refused", 2_000, Some(7_000))
                .await
                .unwrap();
            assert_eq!(next_due(&store).await.unwrap(), Some(time_text(7_000)));
            assert_eq!(take_due(&store, 6_999).await.unwrap(), None);
            let second = take_due(&store, 7_000).await.unwrap().unwrap();
            assert_eq!(second.attempts, 2);
            mark_sent(&store, id, 7_100).await.unwrap();
            assert_eq!(take_due(&store, 1_000_000).await.unwrap(), None, "sent");
            assert_eq!(next_due(&store).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn a_lease_that_ran_out_lets_another_node_try_and_a_refusal_ends_it() {
        let (_dir, store) = crate::store::testing::fresh().await.unwrap();
        {
            let id = "t1";
            enqueue(&store, &mail(id, MailKind::Transcript), 0)
                .await
                .unwrap();
            take_due(&store, 0).await.unwrap().unwrap();
            // The node died mid-send: after the lease, the mail is due again.
            let again = take_due(&store, LEASE_MS).await.unwrap().unwrap();
            assert_eq!(again.attempts, 2);
            mark_failed(&store, id, "550 no such user", LEASE_MS, None)
                .await
                .unwrap();
            assert_eq!(take_due(&store, i64::MAX / 4).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn transcripts_are_counted_by_address_whatever_its_case() {
        let (_dir, store) = crate::store::testing::fresh().await.unwrap();
        let now = jiff::Timestamp::now().as_millisecond();
        for (id, kind, to) in [
            ("t1", MailKind::Transcript, "Mika@Example.com"),
            ("t2", MailKind::Transcript, "mika@example.com"),
            ("r1", MailKind::Reply, "mika@example.com"),
            ("t3", MailKind::Transcript, "someone@example.com"),
        ] {
            let mail = Queue {
                recipient: to,
                ..mail(id, kind)
            };
            enqueue(&store, &mail, now).await.unwrap();
        }
        let day_ago = now - 24 * 3600 * 1000;
        assert_eq!(
            transcripts_to(&store, "MIKA@example.com", day_ago)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            transcripts_to(&store, "nobody@example.com", day_ago)
                .await
                .unwrap(),
            0
        );
        let later = now + 60_000;
        assert_eq!(
            transcripts_to(&store, "mika@example.com", later)
                .await
                .unwrap(),
            0
        );
    }
}

//! Sends the outbox's mail over SMTP, one due mail at a time, on every node. A try that fails
//! for a while (connection refused, a 4xx reply) is made again later, ever more slowly; a
//! mail the server refuses for good (a 5xx reply) is kept, marked failed, with the reason.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::Notify;

use super::smtp::{Security, SmtpConfig};
use crate::store::{Store, mail};

/// Longest a sleeping sender waits before looking at the outbox again: mail another node
/// queued is sent here at the latest this much later (the node that queued it wakes at once).
const LOOK_AGAIN: Duration = Duration::from_secs(10);
/// Longest one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long after the `attempts`-th failed try the next one is made: soon at first (a server
/// restarting), then ever less often, at most hourly, and never given up.
pub fn retry_delay(attempts: i64) -> Duration {
    const STEPS: [u64; 6] = [5, 15, 60, 300, 900, 3_600];
    let at = usize::try_from(attempts.max(1) - 1).unwrap_or(usize::MAX);
    Duration::from_secs(STEPS[at.min(STEPS.len() - 1)])
}

/// The SMTP client and who mail is from.
#[derive(Clone)]
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Sender {
    pub fn new(config: &SmtpConfig) -> Result<Sender, String> {
        let builder = match config.security {
            Security::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                    .map_err(|e| format!("smtp.host {:?}: {e}", config.host))?
            }
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| format!("smtp.host {:?}: {e}", config.host))?,
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        };
        let mut builder = builder.port(config.port()).timeout(Some(SMTP_TIMEOUT));
        if let (Some(user), Some(password)) = (&config.user, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
        }
        Ok(Sender {
            transport: builder.build(),
            from: config.from.0.clone(),
        })
    }

    async fn send(&self, mail: &mail::Outgoing) -> Result<(), Failure> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| Failure::Permanent(format!("recipient: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
            Err(e) => Err(Failure::Transient(e.to_string())),
        }
    }
}

enum Failure {
    Transient(String),
    Permanent(String),
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Sends every mail due now; returns how many were tried.
pub async fn send_due(store: &Store, sender: &Sender) -> Result<usize, sqlx::Error> {
    let mut tried = 0;
    while let Some(mail) = mail::take_due(store, now_ms()).await? {
        tried += 1;
        match sender.send(&mail).await {
            Ok(()) => {
                mail::mark_sent(store, &mail.id, now_ms()).await?;
                tracing::info!(mail = %mail.id, "mail sent");
            }
            Err(Failure::Transient(error)) => {
                let delay = retry_delay(mail.attempts);
                tracing::warn!(mail = %mail.id, attempts = mail.attempts, %error,
                    "mail not sent; trying again in {} s", delay.as_secs());
                let now = now_ms();
                let retry = now + delay.as_millis() as i64;
                mail::mark_failed(store, &mail.id, &error, now, Some(retry)).await?;
            }
            Err(Failure::Permanent(error)) => {
                tracing::warn!(mail = %mail.id, %error, "the mail server refused the mail for good");
                mail::mark_failed(store, &mail.id, &error, now_ms(), None).await?;
            }
        }
    }
    Ok(tried)
}

/// Runs the sender for as long as the process: wakes when mail is queued here, when the next
/// retry is due, or every [`LOOK_AGAIN`].
pub fn start(store: Store, sender: Sender, wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = send_due(&store, &sender).await {
                tracing::warn!(error = %e, "the mail outbox could not be read; trying again");
            }
            let next = mail::next_due(&store).await.ok().flatten();
            let sleep = next
                .and_then(|at| at.parse::<jiff::Timestamp>().ok())
                .map(|at| at.as_millisecond() - now_ms())
                .map_or(LOOK_AGAIN, |ms| {
                    Duration::from_millis(ms.max(0) as u64).min(LOOK_AGAIN)
                });
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_slow_down_to_hourly_and_never_stop() {
        let delays: Vec<u64> = (1..=8).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(delays, [5, 15, 60, 300, 900, 3_600, 3_600, 3_600]);
        assert_eq!(retry_delay(0).as_secs(), 5);
        assert_eq!(retry_delay(i64::MAX).as_secs(), 3_600);
    }
}

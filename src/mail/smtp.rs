//! `[server.smtp]`: the mail server Ito hands visitors' mail to.

use serde::Deserialize;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587 by default).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465 by default).
    Tls,
    /// No encryption: only for a relay on this machine or a private network (port 25).
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// 587, 465 or 25 by `security` when absent.
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    /// Sign in with this user and `password`; no sign-in without them.
    pub user: Option<String>,
    pub password: Option<Password>,
    /// The sender, as visitors see it: `"Acme Help <help@example.com>"`.
    pub from: Sender,
}

impl SmtpConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        })
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("smtp.host is empty".into());
        }
        if self.user.is_some() != self.password.is_some() {
            return Err("smtp: give both user and password, or neither".into());
        }
        Ok(())
    }
}

/// The SMTP password as written, or read from the environment variable `env:NAME` names.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

impl TryFrom<String> for Password {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.strip_prefix("env:") {
            Some(name) => std::env::var(name).map(Password).map_err(|_| {
                format!("smtp.password names the environment variable {name}, which is not set")
            }),
            None => Ok(Password(value)),
        }
    }
}

/// A checked sender address (with an optional display name).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Sender(pub lettre::message::Mailbox);

impl TryFrom<String> for Sender {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        value.parse().map(Sender).map_err(|_| {
            format!(
                "smtp.from {value:?} is not an address such as \"Acme Help <help@example.com>\""
            )
        })
    }
}

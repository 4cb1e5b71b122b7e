//! Identified visitors: `Ito('identify', {id, name, email, signature})`, where the site's own
//! server computed `signature` as hex HMAC-SHA256 of `id` with the site's identity secret.
//! A signature that checks out (compared in constant time) makes the visitor *verified*: their
//! conversations follow them to any device. Anything else is a claim, kept and shown to agents
//! as unverified, and never used to find a conversation.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// A site's identity secret, as `identity_secret` in `ito.toml`: the secret itself, or
/// `env:NAME` to read it from the environment variable `NAME` at start-up.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct IdentitySecret(Vec<u8>);

/// Shorter secrets are too easy to guess for something that proves who a visitor is.
pub const MIN_SECRET_BYTES: usize = 16;

impl std::fmt::Debug for IdentitySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentitySecret(..)")
    }
}

impl TryFrom<String> for IdentitySecret {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        let secret = match value.strip_prefix("env:") {
            Some(name) => std::env::var(name).map_err(|_| {
                format!("identity_secret names the environment variable {name}, which is not set")
            })?,
            None => value,
        };
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "identity_secret must have at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        Ok(IdentitySecret(secret.into_bytes()))
    }
}

impl IdentitySecret {
    pub fn new(secret: impl Into<Vec<u8>>) -> IdentitySecret {
        IdentitySecret(secret.into())
    }

    /// The signed message: the id, or the id, a newline and the expiry. Ids with control
    /// characters are never verified, so a site never signs one that could read as an id
    /// with an expiry.
    fn mac(&self, id: &str, expires: Option<i64>) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        if let Some(expires) = expires {
            mac.update(format!("\n{expires}").as_bytes());
        }
        mac
    }

    /// The signature a site's server sends for visitor `id` (lowercase hex).
    pub fn sign(&self, id: &str) -> String {
        self.sign_until(id, None)
    }

    /// The signature for `id` that stops vouching at `expires` (Unix seconds), if given.
    pub fn sign_until(&self, id: &str, expires: Option<i64>) -> String {
        self.mac(id, expires)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `signature` (hex, either case) is this secret's for `id`, in constant time.
    pub fn verify(&self, id: &str, signature: &str) -> bool {
        self.verify_at(id, None, signature, 0)
    }

    /// Whether `signature` is this secret's for `id` and `expires`, and `now` (Unix seconds)
    /// is before `expires`.
    pub fn verify_at(&self, id: &str, expires: Option<i64>, signature: &str, now: i64) -> bool {
        if id.chars().any(char::is_control) || expires.is_some_and(|at| now >= at) {
            return false;
        }
        match decode_hex(signature) {
            Some(bytes) => self.mac(id, expires).verify_slice(&bytes).is_ok(),
            None => false,
        }
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_with_an_expiry_vouches_until_then_and_for_nothing_else() {
        let secret = IdentitySecret::new("a secret of enough bytes");
        let signed = secret.sign_until("user-42", Some(2_000));
        assert!(secret.verify_at("user-42", Some(2_000), &signed, 1_999));
        assert!(
            !secret.verify_at("user-42", Some(2_000), &signed, 2_000),
            "expired"
        );
        assert!(
            !secret.verify_at("user-42", Some(9_999), &signed, 1_999),
            "expiry is signed"
        );
        assert!(!secret.verify_at("user-42", None, &signed, 0));
        let forever = secret.sign("user-42");
        assert!(!secret.verify_at("user-42", Some(99_999_999_999), &forever, 0));
        // An id with a control character is never verified: a site has no reason to sign one
        // (and must not: its plain signature would read as one with an expiry).
        let lookalike = secret.sign("user-42\n99999999999");
        assert!(!secret.verify_at("user-42\n99999999999", None, &lookalike, 0));
    }

    #[test]
    fn a_signature_made_with_the_secret_verifies_and_nothing_else_does() {
        let secret = IdentitySecret::new("a site's long identity secret");
        let signature = secret.sign("user-42");
        assert_eq!(signature.len(), 64);
        assert!(secret.verify("user-42", &signature));
        assert!(secret.verify("user-42", &signature.to_uppercase()));
        assert!(!secret.verify("user-43", &signature), "another id");
        let other = IdentitySecret::new("another site's identity secret");
        assert!(!other.verify("user-42", &signature), "another secret");
        assert!(!secret.verify("user-42", &signature[..62]), "cut short");
        assert!(!secret.verify("user-42", "zz"), "not hex");
        assert!(!secret.verify("user-42", ""));
    }

    #[test]
    fn the_known_answer_matches_what_a_site_server_computes() {
        // echo -n "user-42" | openssl dgst -sha256 -hmac "a site's long identity secret"
        let secret = IdentitySecret::new("a site's long identity secret");
        assert_eq!(
            secret.sign("user-42"),
            "f90a0fb8db357f670137eb8bd6beebadf7bfeb09147ce966c2a8ca90bcc76029"
        );
    }

    #[test]
    fn short_or_missing_secrets_are_refused() {
        let short = IdentitySecret::try_from("short".to_owned()).unwrap_err();
        assert!(short.contains("at least 16 bytes"), "{short}");
        let missing =
            IdentitySecret::try_from("env:ITO_TEST_SURELY_UNSET_VARIABLE".to_owned()).unwrap_err();
        assert!(
            missing.contains("ITO_TEST_SURELY_UNSET_VARIABLE"),
            "{missing}"
        );
    }
}

//! Conversation tokens: the proof, held by a visitor's widget, that a conversation is theirs.
//! `conversation.expiry.signature`, the signature being HMAC-SHA256 over the first two parts
//! with this installation's secret, checked in constant time. Nothing else is needed to
//! authorise a visitor's frames: the conversation is the token's, never the frame's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use ito_protocol::chat::ConversationId;
use sha2::Sha256;

/// How long a token stays good: a returning visitor within a month finds their thread.
pub const TOKEN_LIFETIME_SECS: i64 = 30 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the conversation token is malformed")]
    Malformed,
    #[error("the conversation token's signature does not match")]
    Forged,
    #[error("the conversation token has expired")]
    Expired,
}

/// The key tokens are signed with (kept in the database's instance settings).
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    pub fn new(secret: impl Into<Vec<u8>>) -> TokenKey {
        TokenKey(secret.into())
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        mac
    }

    /// A token for `conversation`, good until `now + TOKEN_LIFETIME_SECS` (Unix seconds).
    pub fn sign(&self, conversation: &ConversationId, now: i64) -> String {
        let payload = format!("{conversation}.{}", now + TOKEN_LIFETIME_SECS);
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The conversation a token proves, if it is genuine and not expired at `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<ConversationId, TokenError> {
        let mut parts = token.splitn(3, '.');
        let (Some(conversation), Some(expiry), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let conversation: ConversationId =
            conversation.parse().map_err(|_| TokenError::Malformed)?;
        let expiry: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        self.mac(&format!("{conversation}.{expiry}"))
            .verify_slice(&signature)
            .map_err(|_| TokenError::Forged)?;
        if now >= expiry {
            return Err(TokenError::Expired);
        }
        Ok(conversation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_proves_its_conversation_until_it_expires() {
        let key = TokenKey::new("secret");
        let conversation: ConversationId = "c0ffee".parse().unwrap();
        let token = key.sign(&conversation, 1_000);
        assert_eq!(key.verify(&token, 1_000), Ok(conversation.clone()));
        assert_eq!(
            key.verify(&token, 1_000 + TOKEN_LIFETIME_SECS),
            Err(TokenError::Expired)
        );
        assert_eq!(
            TokenKey::new("other").verify(&token, 1_000),
            Err(TokenError::Forged)
        );
        let other_conversation = token.replacen("c0ffee", "c0ffef", 1);
        assert_eq!(
            key.verify(&other_conversation, 1_000),
            Err(TokenError::Forged)
        );
        let longer = token.replacen(
            &format!(".{}", 1_000 + TOKEN_LIFETIME_SECS),
            ".99999999999",
            1,
        );
        assert_eq!(
            key.verify(&longer, 1_000),
            Err(TokenError::Forged),
            "expiry is signed"
        );
        for bad in ["", "a.b", "c0ffee.x.y", "../x.1.AAAA", "c0ffee.1.!!"] {
            assert_eq!(key.verify(bad, 0), Err(TokenError::Malformed), "{bad:?}");
        }
    }
}

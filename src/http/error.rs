//! The error every handler returns: a status and a short message for the client; details go
//! to the log, never to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("unknown site")]
    UnknownSite,
    /// Something that does not exist; the text says what.
    #[error("{0}")]
    NotFound(&'static str),
    /// Too many at once from one place; the text says what.
    #[error("{0}")]
    TooMany(&'static str),
    /// Too many attempts: try again after `retry_after` (sent as `Retry-After`, and in words).
    #[error("{what}: try again in {}", crate::live::limits::in_words(*retry_after))]
    Throttled {
        what: &'static str,
        retry_after: std::time::Duration,
    },
    /// No valid session, or wrong email or password (never which).
    #[error("sign in first, with a valid email and password")]
    Unauthorized,
    /// Not allowed from here; the text says what.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The request's own values are wrong; the text says how.
    #[error("{0}")]
    BadRequest(String),
    /// The request's body is over its limit; the text says what the limit is.
    #[error("{0}")]
    TooLarge(String),
    /// The body is not of a kind accepted here, or not what it claims; the text says why.
    #[error("{0}")]
    Unsupported(String),
    /// Someone else changed it first; the text says what to do.
    #[error("{0}")]
    Conflict(String),
    /// Not available now (off, or still starting); the text says what.
    #[error("{0}")]
    Unavailable(&'static str),
    /// A front end has not been compiled yet; says which, and how to build it.
    #[error("the {0} is not built: run `cargo xtask build`, then reload")]
    NotBuilt(&'static str),
    #[error("internal error")]
    Internal(String),
}

impl HttpError {
    pub fn internal(cause: impl std::fmt::Display) -> HttpError {
        HttpError::Internal(cause.to_string())
    }

    fn status(&self) -> StatusCode {
        match self {
            HttpError::UnknownSite | HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Conflict(_) => StatusCode::CONFLICT,
            HttpError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpError::TooMany(_) | HttpError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            HttpError::NotBuilt(_) | HttpError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        if let HttpError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = (self.status(), format!("{self}\n")).into_response();
        if let HttpError::Throttled { retry_after, .. } = &self {
            let secs = retry_after.as_secs().max(1).to_string();
            let value =
                axum::http::HeaderValue::from_str(&secs).expect("digits are a header value");
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

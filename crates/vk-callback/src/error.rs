//! Error types of the crate. Each one says what went wrong in lower case and
//! keeps its cause as a `#[source]`.

use std::time::Duration;

/// Why a request body is not a callback envelope (answered `400 Bad Request`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The body holds no JSON value.
    #[error("empty body")]
    Empty,
    /// The body is not valid JSON.
    #[error("invalid json")]
    Json(#[source] serde_json::Error),
    /// The top-level value is neither an object nor `null`.
    #[error("the envelope is not a json object")]
    NotAnObject,
    /// An envelope field has the wrong JSON type.
    #[error("envelope field `{0}` has the wrong json type")]
    Field(&'static str),
}

/// A handler asked for a reply this crate refuses to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// VK accepts only 410, 429 and 503 with `Retry-After`.
    #[error("status {0} is not allowed with retry-after (use 410, 429 or 503)")]
    StatusNotAllowed(u16),
    /// VK resends at most 3 hours later.
    #[error("retry delay {0:?} is longer than the 3 hour maximum")]
    DelayTooLong(Duration),
    /// The response has already gone: background mode answers `ok` first.
    #[error("the response was already sent (background mode)")]
    AlreadyAnswered,
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// Binding the listening socket failed.
    #[error("cannot listen on the given address")]
    Bind(#[source] std::io::Error),
    /// Waiting for the shutdown signal failed.
    #[error("cannot wait for the shutdown signal")]
    Signal(#[source] std::io::Error),
}

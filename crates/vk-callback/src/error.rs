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
    /// Arrays and objects nest deeper than the limit (the envelope is level 1).
    #[error("json nested deeper than {0} levels")]
    TooDeep(usize),
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

/// A VK API call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// VK answered with an error object.
    #[error("vk api error {code} in {method}: {message}")]
    Vk {
        /// The method called.
        method: String,
        /// VK's `error_code` (5: authorization failed, 15: access denied,
        /// 100: bad parameter, ...).
        code: i64,
        /// VK's `error_msg`.
        message: String,
    },
    /// The request could not be sent or the answer not received.
    #[error("cannot reach the vk api")]
    Transport(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The answer's HTTP status was not 200.
    #[error("the vk api answered http status {0}")]
    Status(u16),
    /// The answer was not the JSON expected.
    #[error("unexpected vk api answer")]
    Decode(#[source] serde_json::Error),
    /// No answer within the client's timeout.
    #[error("the vk api call timed out")]
    Timeout,
    /// The base URL and method do not form a valid URI.
    #[error("invalid vk api url")]
    Url(#[source] hyper::http::uri::InvalidUri),
    /// TLS could not be set up.
    #[error("cannot set up tls")]
    Tls(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// VK's error code, when VK answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Vk { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// AutoSetting failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// VK limits a callback server's title to 14 characters.
    #[error("title has {0} characters; vk allows at most 14")]
    TitleTooLong(usize),
    /// `groups.getById` refused the token: a community token is needed.
    #[error("need a community access token")]
    NeedGroupToken(#[source] ApiError),
    /// `groups.getById` returned no community.
    #[error("the token belongs to no community")]
    NoGroup,
    /// A VK API call in the sequence failed.
    #[error("{step} failed")]
    Api {
        /// The method that failed.
        step: &'static str,
        /// Why.
        #[source]
        source: ApiError,
    },
    /// The system random source failed while making the secret.
    #[error("cannot generate a secret")]
    Random,
}

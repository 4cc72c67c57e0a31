//! Every error push-fcm returns: loading credentials, getting an access
//! token, sending a message, and the Google API error body ([`ApiError`])
//! that the retry policy classifies.
//!
//! It does not decide what to do about an error; [`crate::policy`] does.

use std::error::Error as StdError;
use std::time::Duration;

use serde::Deserialize;

/// A boxed source error (hyper's, rustls', io).
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Why a service-account key could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The key JSON does not parse or lacks a field.
    #[error("service account key: {0}")]
    Json(#[source] serde_json::Error),
    /// A required field is empty.
    #[error("service account key: field `{0}` is empty")]
    Empty(&'static str),
    /// `private_key` is not a PKCS#8 PEM RSA key ring accepts.
    #[error("service account key: `private_key` is not a usable PKCS#8 RSA key: {0}")]
    Key(String),
    /// A URL field does not parse.
    #[error("service account key: `{field}` is not a valid http(s) URL")]
    Url {
        /// The field.
        field: &'static str,
    },
    /// The key file could not be read.
    #[error("service account key file {path}: {source}")]
    File {
        /// The path as given.
        path: String,
        /// The io error.
        #[source]
        source: std::io::Error,
    },
}

/// Why no access token could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token endpoint answered with an error.
    #[error("token endpoint answered {status}: {error}{}", description_suffix(.description))]
    Rejected {
        /// HTTP status.
        status: u16,
        /// OAuth2 `error` (`invalid_grant`, …), or empty.
        error: String,
        /// OAuth2 `error_description`, or empty.
        description: String,
    },
    /// The token endpoint's success answer is not the expected JSON.
    #[error("token endpoint answer unreadable: {0}")]
    Decode(String),
    /// Signing the JWT failed.
    #[error("signing the JWT assertion failed")]
    Sign,
    /// The request did not complete.
    #[error("token request failed: {0}")]
    Transport(#[source] BoxError),
    /// The request took longer than the request timeout.
    #[error("token request timed out")]
    Timeout,
    /// The refresh this call waited for (made by another caller) failed.
    #[error("token refresh failed: {message}")]
    Shared {
        /// That failure, as text.
        message: String,
        /// Whether that failure was transient.
        transient: bool,
    },
}

fn description_suffix(description: &str) -> String {
    if description.is_empty() { String::new() } else { format!(" ({description})") }
}

impl TokenError {
    /// Worth trying again later: a network failure, a timeout, or a 5xx /
    /// 429 answer from the token endpoint.
    pub fn is_transient(&self) -> bool {
        match self {
            TokenError::Transport(_) | TokenError::Timeout => true,
            TokenError::Rejected { status, .. } => *status == 429 || *status >= 500,
            TokenError::Shared { transient, .. } => *transient,
            TokenError::Decode(_) | TokenError::Sign => false,
        }
    }
}

/// Why one FCM call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// FCM answered with an error.
    #[error("{0}")]
    Api(ApiError),
    /// No access token.
    #[error("{0}")]
    Token(#[source] TokenError),
    /// The request did not complete (connect failure, reset).
    #[error("request failed: {0}")]
    Transport(#[source] BoxError),
    /// No answer within the request timeout.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// FCM answered 2xx with a body that is not the expected JSON.
    #[error("unreadable success answer: {0}")]
    Decode(String),
    /// The message could not be encoded (never for the crate's own types).
    #[error("message not encodable: {0}")]
    Encode(#[source] serde_json::Error),
}

impl SendError {
    /// The API error, if FCM answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            SendError::Api(api) => Some(api),
            _ => None,
        }
    }
}

/// A Google API error answer (`{"error": {code, message, status, details}}`)
/// with what the retry policy needs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub http_status: u16,
    /// The canonical status (`NOT_FOUND`, `INVALID_ARGUMENT`, …), or empty.
    pub status: String,
    /// The FCM error code from the `FcmError` detail (`UNREGISTERED`, …),
    /// or empty when the body has none.
    pub fcm_code: String,
    /// The human-readable message.
    pub message: String,
    /// The `fieldViolations[].field` of a `BadRequest` detail.
    pub field_violations: Vec<String>,
    /// The `Retry-After` header (seconds or an HTTP-date) as a delay, if present and valid.
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FCM answered {}", self.http_status)?;
        for part in [&self.fcm_code, &self.status] {
            if !part.is_empty() {
                write!(f, " {part}")?;
            }
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if !self.field_violations.is_empty() {
            write!(f, " (fields: {})", self.field_violations.join(", "))?;
        }
        Ok(())
    }
}

impl StdError for ApiError {}

impl ApiError {
    /// Reads an error answer. A body that is not Google's error JSON still
    /// gives an error with the HTTP status (and the first 200 bytes of the
    /// body as message), never a parse failure.
    pub fn from_response(http_status: u16, retry_after: Option<Duration>, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            message: String,
            #[serde(default)]
            status: String,
            #[serde(default)]
            details: Vec<serde_json::Value>,
        }
        let mut error = ApiError {
            http_status,
            status: String::new(),
            fcm_code: String::new(),
            message: String::new(),
            field_violations: Vec::new(),
            retry_after,
        };
        match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope { error: parsed }) => {
                error.status = parsed.status;
                error.message = parsed.message;
                for detail in &parsed.details {
                    let kind = detail.get("@type").and_then(|t| t.as_str()).unwrap_or("");
                    if kind.ends_with("google.firebase.fcm.v1.FcmError")
                        && let Some(code) = detail.get("errorCode").and_then(|c| c.as_str())
                    {
                        error.fcm_code = code.to_owned();
                    } else if kind.ends_with("google.rpc.BadRequest")
                        && let Some(list) = detail.get("fieldViolations").and_then(|v| v.as_array())
                    {
                        let fields = list.iter().filter_map(|v| v.get("field")?.as_str());
                        error.field_violations.extend(fields.map(str::to_owned));
                    }
                }
            }
            Err(_) => {
                let end = body.len().min(200);
                error.message = String::from_utf8_lossy(&body[..end]).into_owned();
            }
        }
        error
    }

    /// FCM says the token is dead: `UNREGISTERED`, or a 404 without an
    /// FCM code.
    pub fn is_unregistered(&self) -> bool {
        self.fcm_code == "UNREGISTERED" || (self.fcm_code.is_empty() && self.http_status == 404)
    }

    /// An `INVALID_ARGUMENT` whose field violation is about the token
    /// (`message.token`), so the token itself is malformed.
    pub fn is_invalid_token(&self) -> bool {
        let invalid = self.fcm_code == "INVALID_ARGUMENT"
            || (self.fcm_code.is_empty() && self.status == "INVALID_ARGUMENT");
        invalid && self.field_violations.iter().any(|f| f == "message.token")
    }

    /// Worth retrying: 429 (`QUOTA_EXCEEDED`), 500 (`INTERNAL`), 503
    /// (`UNAVAILABLE`), by HTTP status or by FCM code.
    pub fn is_transient(&self) -> bool {
        matches!(self.http_status, 429 | 500 | 503)
            || matches!(self.fcm_code.as_str(), "QUOTA_EXCEEDED" | "UNAVAILABLE" | "INTERNAL")
    }
}

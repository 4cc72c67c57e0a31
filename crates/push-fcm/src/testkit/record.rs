//! What the fake recorded: one type per endpoint, decoded for assertions.

use std::collections::BTreeMap;

use tokio::time::Instant;

/// One `messages:send` request as the fake received it.
#[derive(Debug, Clone)]
pub struct SentMessage {
    /// The `message` object.
    pub message: serde_json::Value,
    /// The whole request body.
    pub body: serde_json::Value,
    /// `validate_only` was true.
    pub validate_only: bool,
    /// Request headers (lower-case names; `authorization` included).
    pub headers: BTreeMap<String, String>,
    /// The HTTP version (`HTTP/1.1`, `HTTP/2.0`).
    pub version: String,
    /// When it arrived (tokio's clock, so virtual in paused tests).
    pub at: Instant,
    /// The token it was addressed to, if any.
    pub token: Option<String>,
    /// What the fake answered (status).
    pub status: u16,
}

/// One token request as the fake received it.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// The `Content-Type` header.
    pub content_type: String,
    /// The raw form body.
    pub form: String,
    /// The `grant_type` form field (decoded).
    pub grant_type: String,
    /// The `assertion` form field.
    pub assertion: String,
    /// The JWT header, if the signature verified.
    pub jwt_header: Option<serde_json::Value>,
    /// The JWT claims, if the signature verified.
    pub jwt_claims: Option<serde_json::Value>,
    /// Why the JWT was refused, if it was.
    pub jwt_error: Option<String>,
    /// When it arrived.
    pub at: Instant,
}

/// One Instance ID topic batch call.
#[derive(Debug, Clone)]
pub struct TopicCall {
    /// `batchAdd` or `batchRemove`.
    pub operation: String,
    /// The `to` field (`/topics/<name>`).
    pub to: String,
    /// The registration tokens.
    pub tokens: Vec<String>,
    /// The `access_token_auth` header.
    pub access_token_auth: Option<String>,
}

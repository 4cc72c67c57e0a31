//! [`Reply`]: what the fake answers to one `messages:send`, with
//! constructors for each FCM error the research lists (push.md §6.3), in
//! Google's exact error-body shape.

use std::time::Duration;

/// A scripted answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 200 with a message name.
    Ok,
    /// An error answer.
    Error {
        /// HTTP status.
        http: u16,
        /// Canonical status (`NOT_FOUND`, …).
        status: &'static str,
        /// FCM error code in an `FcmError` detail, or empty for none.
        fcm_code: &'static str,
        /// Fields of a `BadRequest` detail.
        violations: Vec<&'static str>,
        /// `Retry-After` seconds.
        retry_after: Option<u64>,
    },
    /// 200 with a body that is not JSON.
    Garbage,
    /// The stream (h2) or connection (HTTP/1.1) is reset, no answer.
    Reset,
    /// No answer for this long, then a normal answer.
    Delay(Duration),
}

impl Reply {
    fn error(http: u16, status: &'static str, fcm_code: &'static str) -> Self {
        Reply::Error { http, status, fcm_code, violations: vec![], retry_after: None }
    }

    /// 404 `UNREGISTERED`.
    pub fn unregistered() -> Self {
        Self::error(404, "NOT_FOUND", "UNREGISTERED")
    }

    /// 404 with no FCM detail.
    pub fn not_found() -> Self {
        Self::error(404, "NOT_FOUND", "")
    }

    /// 400 `INVALID_ARGUMENT` naming `field` as the violation.
    pub fn invalid_argument(field: &'static str) -> Self {
        Reply::Error {
            http: 400,
            status: "INVALID_ARGUMENT",
            fcm_code: "INVALID_ARGUMENT",
            violations: vec![field],
            retry_after: None,
        }
    }

    /// 403 `SENDER_ID_MISMATCH`.
    pub fn sender_id_mismatch() -> Self {
        Self::error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH")
    }

    /// 401 `THIRD_PARTY_AUTH_ERROR` (APNs or web push credentials).
    pub fn third_party_auth() -> Self {
        Self::error(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR")
    }

    /// 401 without an FCM code: the access token is not accepted.
    pub fn unauthenticated() -> Self {
        Self::error(401, "UNAUTHENTICATED", "")
    }

    /// 429 `QUOTA_EXCEEDED`, with `Retry-After` seconds if given.
    pub fn quota_exceeded(retry_after: Option<u64>) -> Self {
        Reply::Error {
            http: 429,
            status: "RESOURCE_EXHAUSTED",
            fcm_code: "QUOTA_EXCEEDED",
            violations: vec![],
            retry_after,
        }
    }

    /// 503 `UNAVAILABLE`, with `Retry-After` seconds if given.
    pub fn unavailable(retry_after: Option<u64>) -> Self {
        Reply::Error {
            http: 503,
            status: "UNAVAILABLE",
            fcm_code: "UNAVAILABLE",
            violations: vec![],
            retry_after,
        }
    }

    /// 500 `INTERNAL`.
    pub fn internal() -> Self {
        Self::error(500, "INTERNAL", "INTERNAL")
    }

    /// The JSON error body Google sends for this reply, if it is an error.
    pub fn error_body(&self) -> Option<serde_json::Value> {
        let Reply::Error { http, status, fcm_code, violations, .. } = self else { return None };
        let mut details = Vec::new();
        if !fcm_code.is_empty() {
            details.push(serde_json::json!({
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": fcm_code,
            }));
        }
        if !violations.is_empty() {
            let list: Vec<_> = violations
                .iter()
                .map(|f| serde_json::json!({"field": f, "description": "invalid value"}))
                .collect();
            details.push(serde_json::json!({
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": list,
            }));
        }
        Some(serde_json::json!({"error": {
            "code": http,
            "message": format!("fake FCM: {status}"),
            "status": status,
            "details": details,
        }}))
    }
}

//! The exact responses VK sees, byte for byte.
//!
//! Success bodies (`ok`, `remove`, the confirmation code) are sent as they
//! are; error bodies are Go's `http.Error` shape: the status text and a
//! newline, with `X-Content-Type-Options: nosniff`. All are
//! `text/plain; charset=utf-8`.

use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS};
use hyper::{Response, StatusCode};

/// The response type of the callback service.
pub type CallbackResponse = Response<Full<Bytes>>;

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// 200 with `body` verbatim.
pub(crate) fn text(body: Bytes) -> CallbackResponse {
    let mut response = Response::new(Full::new(body));
    response.headers_mut().insert(CONTENT_TYPE, TEXT);
    response
}

/// 200 `ok`.
pub(crate) fn ok() -> CallbackResponse {
    text(Bytes::from_static(b"ok"))
}

/// 200 `remove`.
pub(crate) fn remove() -> CallbackResponse {
    text(Bytes::from_static(b"remove"))
}

/// `status` with `body` and the error headers.
pub(crate) fn error(status: StatusCode, body: &'static str) -> CallbackResponse {
    let mut response = text(Bytes::from_static(body.as_bytes()));
    *response.status_mut() = status;
    response.headers_mut().insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// 400 `Bad Request\n`.
pub(crate) fn bad_request() -> CallbackResponse {
    error(StatusCode::BAD_REQUEST, "Bad Request\n")
}

/// 403 `Bad Secret\n`.
pub(crate) fn bad_secret() -> CallbackResponse {
    error(StatusCode::FORBIDDEN, "Bad Secret\n")
}

/// 413 `Request Entity Too Large\n`, closing the connection (the rest of
/// the body is not read, or only discarded).
pub(crate) fn too_large() -> CallbackResponse {
    let mut response = error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large\n");
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 408 `Request Timeout\n`.
pub(crate) fn timeout() -> CallbackResponse {
    error(StatusCode::REQUEST_TIMEOUT, "Request Timeout\n")
}

/// 500 `Internal Server Error\n`.
pub(crate) fn internal() -> CallbackResponse {
    error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n")
}

/// One of the retry statuses with `Retry-After: <IMF-fixdate>`.
pub(crate) fn retry(status: StatusCode, at: SystemTime) -> CallbackResponse {
    let body = match status {
        StatusCode::GONE => "Gone\n",
        StatusCode::TOO_MANY_REQUESTS => "Too Many Requests\n",
        _ => "Service Unavailable\n",
    };
    let mut response = error(status, body);
    if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(at)) {
        response.headers_mut().insert(RETRY_AFTER, date);
    }
    response
}

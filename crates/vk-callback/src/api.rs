//! A minimal VK API client: form-encoded POSTs to `<base>/<method>` over
//! HTTPS (hyper-rustls with webpki roots, ring) or plain HTTP for tests,
//! with typed errors. It carries only what AutoSetting needs; it is not a
//! general VK API wrapper.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::{Instrument, debug, info_span};

use crate::error::ApiError;

/// The real VK API.
pub const DEFAULT_BASE_URL: &str = "https://api.vk.com/method/";
/// The API version requested, for calls and for callback events.
pub const API_VERSION: &str = "5.199";

/// A VK API client for one access token.
#[derive(Clone)]
pub struct VkApi {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: String,
    token: String,
    version: String,
    timeout: Duration,
}

impl VkApi {
    /// A client for the real API with `token`, API version [`API_VERSION`].
    ///
    /// # Errors
    /// TLS cannot be set up.
    pub fn new(token: impl Into<String>) -> Result<Self, ApiError> {
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| ApiError::Tls(Box::new(e)))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: DEFAULT_BASE_URL.to_owned(),
            token: token.into(),
            version: API_VERSION.to_owned(),
            timeout: Duration::from_secs(30),
        })
    }

    /// Sends calls to `base` instead (`http://127.0.0.1:port/method/` in tests).
    pub fn with_base_url(mut self, base: impl Into<String>) -> Self {
        self.base = base.into();
        if !self.base.ends_with('/') {
            self.base.push('/');
        }
        self
    }

    /// Requests another API version.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Limits each call's duration (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The API version requested.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Calls `method` with `params` and decodes `response`.
    ///
    /// # Errors
    /// Transport failures, non-200 statuses, VK error objects and answers
    /// that do not decode into `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: &[(&str, String)],
    ) -> Result<T, ApiError> {
        let span = info_span!("vk_api", method);
        let call = async {
            let uri: Uri = format!("{}{method}", self.base).parse().map_err(ApiError::Url)?;
            let mut form = form_encode(params.iter().map(|(k, v)| (*k, v.as_str())));
            form.push('&');
            form.push_str(&form_encode([
                ("access_token", self.token.as_str()),
                ("v", &self.version),
            ]));
            let mut request = Request::post(uri)
                .body(Full::new(Bytes::from(form)))
                .map_err(|e| ApiError::Transport(Box::new(e)))?;
            request.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            let response =
                self.client.request(request).await.map_err(|e| ApiError::Transport(Box::new(e)))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| ApiError::Transport(Box::new(e)))?
                .to_bytes();
            if !status.is_success() {
                return Err(ApiError::Status(status.as_u16()));
            }
            decode(method, &body)
        };
        match tokio::time::timeout(self.timeout, call).instrument(span).await {
            Ok(result) => {
                if let Err(e) = &result {
                    debug!(method, error = %e, "vk api call failed");
                }
                result
            }
            Err(_) => Err(ApiError::Timeout),
        }
    }
}

impl std::fmt::Debug for VkApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VkApi")
            .field("base", &self.base)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Splits VK's `{response}` / `{error}` answer.
fn decode<T: DeserializeOwned>(method: &str, body: &[u8]) -> Result<T, ApiError> {
    #[derive(Deserialize)]
    struct Answer {
        response: Option<Value>,
        error: Option<VkError>,
    }
    #[derive(Deserialize)]
    struct VkError {
        error_code: i64,
        #[serde(default)]
        error_msg: String,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(ApiError::Decode)?;
    match (answer.error, answer.response) {
        (Some(e), _) => Err(ApiError::Vk {
            method: method.to_owned(),
            code: e.error_code,
            message: e.error_msg,
        }),
        (None, Some(response)) => serde_json::from_value(response).map_err(ApiError::Decode),
        (None, None) => Err(ApiError::Decode(serde::de::Error::missing_field("response"))),
    }
}

/// `application/x-www-form-urlencoded`, percent-encoding all but unreserved bytes.
pub(crate) fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        percent_encode(name, &mut out);
        out.push('=');
        percent_encode(value, &mut out);
    }
    out
}

fn percent_encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 15)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_encode_everything_but_unreserved_bytes() {
        let form = form_encode([("url", "https://x.org/a b?c=d&e"), ("title", "Бот~")]);
        assert_eq!(form, "url=https%3A%2F%2Fx.org%2Fa%20b%3Fc%3Dd%26e&title=%D0%91%D0%BE%D1%82~");
    }

    #[test]
    fn answers_split_into_response_and_typed_errors() {
        let ok: i64 = decode("m", br#"{"response":1}"#).unwrap();
        assert_eq!(ok, 1);
        let err = decode::<i64>(
            "groups.getById",
            br#"{"error":{"error_code":5,"error_msg":"User authorization failed"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), Some(5));
        assert_eq!(err.to_string(), "vk api error 5 in groups.getById: User authorization failed");
        assert!(matches!(decode::<i64>("m", b"{}"), Err(ApiError::Decode(_))));
        assert!(matches!(decode::<i64>("m", b"<html>"), Err(ApiError::Decode(_))));
        assert!(matches!(decode::<i64>("m", br#"{"response":"x"}"#), Err(ApiError::Decode(_))));
    }
}

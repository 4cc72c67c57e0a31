//! The HTTP layer: one pooled hyper-util client over hyper-rustls (ring,
//! webpki roots by default), speaking HTTP/2 (ALPN `h2`, or prior-knowledge
//! h2c on `http://` URLs) or HTTP/1.1, with a timeout on every request.
//!
//! It knows nothing about FCM: it posts bytes and returns status, the
//! `Retry-After` header and the body.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::HeaderMap;
use hyper::{Method, Request, Uri};
use hyper_rustls::{ConfigBuilderExt as _, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::BoxError;

/// Which HTTP version the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/2 over TLS when the server offers it by ALPN, else HTTP/1.1;
    /// HTTP/1.1 on `http://` URLs.
    Auto,
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 only: ALPN `h2` over TLS, prior-knowledge h2c on `http://`.
    Http2,
}

/// Which certificate authorities the client trusts.
#[derive(Debug, Clone)]
pub enum Roots {
    /// Mozilla's roots, compiled in (webpki-roots): no OS trust store.
    WebPki,
    /// Exactly these (a private CA, a test CA).
    Custom(Arc<rustls::RootCertStore>),
}

/// What a completed request returned.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Bytes,
}

/// Why a request did not complete.
pub(crate) enum Failure {
    Timeout,
    Other(BoxError),
}

/// The shared client.
#[derive(Clone)]
pub(crate) struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Transport {
    pub(crate) fn new(
        version: HttpVersion,
        roots: &Roots,
        timeout: Duration,
    ) -> Result<Self, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?;
        let tls = match roots {
            Roots::WebPki => builder.with_webpki_roots(),
            Roots::Custom(store) => builder.with_root_certificates(Arc::clone(store)),
        }
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let schemes =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http();
        let connector = match version {
            HttpVersion::Auto => schemes.enable_all_versions().wrap_connector(http),
            HttpVersion::Http1 => schemes.enable_http1().wrap_connector(http),
            HttpVersion::Http2 => schemes.enable_http2().wrap_connector(http),
        };
        let mut client = Client::builder(TokioExecutor::new());
        client.pool_idle_timeout(Duration::from_secs(90));
        if version == HttpVersion::Http2 {
            client.http2_only(true);
        }
        Ok(Self { client: client.build(connector), timeout })
    }

    /// Sends one request and reads the whole answer, within the timeout.
    pub(crate) async fn send(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Answer, Failure> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let exchange = async {
            let response =
                self.client.request(request).await.map_err(|e| Failure::Other(e.into()))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(hyper::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let body =
                response.into_body().collect().await.map_err(|e| Failure::Other(e.into()))?;
            Ok(Answer { status, retry_after, body: body.to_bytes() })
        };
        tokio::time::timeout(self.timeout, exchange).await.unwrap_or(Err(Failure::Timeout))
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// A `Retry-After` value as a delay from `now`: delay-seconds, or an
/// HTTP-date (a date already past is no delay). `None` when it is neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::parse_retry_after;

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("30", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(90)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        for bad in ["", "-1", "1.5", "soon", "Tue, 99 Nov 2026 00:00:00 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }
}

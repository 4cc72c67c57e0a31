//! The request pipeline as a hyper [`Service`]: body limits, envelope
//! parsing, the secret check (first), the confirmation answer, then
//! [`Callback::deliver`]. Every request runs in a `vk_callback` tracing span
//! carrying the group, event id, type, retry counter and answered status.
//!
//! Any method and path are accepted, as in vksdk: mount the service where
//! VK should post.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::{Pin, pin};

use bytes::Bytes;
use hyper::body::Body;
use hyper::header::{CONTENT_LENGTH, EXPECT, HeaderName};
use hyper::service::Service;
use hyper::{Request, Response, StatusCode};
use tracing::field::Empty;
use tracing::{Instrument, Span, info_span, warn};

use crate::body::{self, BodyError};
use crate::callback::Callback;
use crate::envelope::Envelope;
use crate::events::EventType;
use crate::policy::Limits;
use crate::response::{self, CallbackResponse};

/// VK's redelivery counter.
static RETRY_COUNTER: HeaderName = HeaderName::from_static("x-retry-counter");

impl Callback {
    /// Answers one request. This is the whole server without the socket:
    /// use it to mount the endpoint in another router.
    ///
    /// A body refused as too large is dropped with the answer; the host
    /// server decides how to close the connection (the [`Service`] impl and
    /// [`crate::Server`] linger, see [`CallbackBuilder::lingering_close`]).
    ///
    /// [`CallbackBuilder::lingering_close`]: crate::CallbackBuilder::lingering_close
    pub async fn handle<B>(&self, request: Request<B>) -> CallbackResponse
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (head, span, body) = Head::split(request);
        let body = pin!(body);
        self.reply_to(body, &head, &span).instrument(span.clone()).await
    }

    /// [`Callback::handle`] on an owned handle: a `'static` future holding
    /// the request once, which lingers over a refused body. The service
    /// boxes it per request, so its size matters (kept under glibc's
    /// small-allocation limit).
    pub(crate) fn answer_request<B>(
        self,
        request: Request<B>,
    ) -> impl Future<Output = CallbackResponse> + use<B>
    where
        B: Body + Send + Unpin + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (head, span, mut body) = Head::split(request);
        let fields = span.clone();
        async move {
            let response = self.reply_to(Pin::new(&mut body), &head, &fields).await;
            let limits = self.inner.limits;
            if head.lingers(&response, &body, &limits) {
                let drain = body::linger(body, limits.linger_bytes, limits.linger_time);
                tokio::spawn(drain.in_current_span());
            }
            response
        }
        .instrument(span)
    }

    async fn reply_to<B>(&self, body: Pin<&mut B>, head: &Head, span: &Span) -> CallbackResponse
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let response = self.respond(body, head.declared, head.retry, span).await;
        span.record("status", response.status().as_u16());
        response
    }

    async fn respond<B>(
        &self,
        body: Pin<&mut B>,
        declared: Option<u64>,
        retry: u32,
        span: &Span,
    ) -> CallbackResponse
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        // Boxed: reading is the largest state, and it ends before delivery.
        let body = match Box::pin(body::read(body, declared, &self.inner.limits)).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                warn!(declared, "body over the limit");
                return response::too_large();
            }
            Err(BodyError::Timeout) => {
                warn!("body read timed out");
                return response::timeout();
            }
            Err(BodyError::Read(e)) => {
                warn!(error = %e, "cannot read the body");
                return response::bad_request();
            }
        };
        let handlers = &self.inner.handlers;
        let want = |kind: EventType| {
            !handlers.typed(Some(kind)).is_empty() && handlers.raw(kind.as_str()).is_empty()
        };
        let (envelope, event) = match Envelope::parse_typed(&body, &want) {
            Ok(parsed) => parsed,
            Err(e) => {
                warn!(error = %e, "bad request");
                return response::bad_request();
            }
        };
        span.record("group_id", envelope.group_id());
        span.record("event_id", envelope.event_id());
        span.record("event_type", envelope.event_type());
        span.record("retry", retry);
        let keys = &self.inner.keys;
        if !keys.check_secret(envelope.group_id(), envelope.secret()) {
            warn!("bad secret");
            return response::bad_secret();
        }
        if envelope.event_type() == "confirmation" {
            return response::text(keys.confirmation(envelope.group_id()));
        }
        Box::pin(self.deliver(envelope, event, retry)).await
    }
}

/// What a request's head says that the answer needs; only these headers
/// and the body are kept, not the request.
struct Head {
    retry: u32,
    declared: Option<u64>,
    /// `Expect: 100-continue`: the client waits for a go-ahead before
    /// sending the body.
    expects_continue: bool,
}

impl Head {
    /// The head's facts, the request's span (fields filled in later) and
    /// the body.
    fn split<B>(request: Request<B>) -> (Self, Span, B) {
        let span = info_span!(
            "vk_callback",
            group_id = Empty,
            event_id = Empty,
            event_type = Empty,
            retry = Empty,
            status = Empty,
        );
        let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
        let head = Self {
            retry: header(&RETRY_COUNTER).and_then(|v| v.trim().parse().ok()).unwrap_or(0),
            declared: header(&CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            expects_continue: header(&EXPECT)
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue")),
        };
        (head, span, request.into_body())
    }

    /// Whether to keep reading a refused body after the answer: a 413 with
    /// body bytes still to come, unless the client is waiting for a
    /// `100 Continue` it was never sent (its body was never asked for).
    fn lingers<B: Body>(&self, response: &CallbackResponse, body: &B, limits: &Limits) -> bool {
        let declared_over = self.declared.is_some_and(|n| n > limits.max_body_bytes as u64);
        response.status() == StatusCode::PAYLOAD_TOO_LARGE
            && !body.is_end_stream()
            && !(self.expects_continue && declared_over)
            && limits.linger_bytes > 0
            && !limits.linger_time.is_zero()
    }
}

impl<B> Service<Request<B>> for Callback
where
    B: Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Response = Response<http_body_util::Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        let answer = self.clone().answer_request(request);
        Box::pin(async move { Ok(answer.await) })
    }
}

//! The request pipeline as a hyper [`Service`]: body limits, envelope
//! parsing, the secret check (first), the confirmation answer, then
//! [`Callback::deliver`]. Every request runs in a `vk_callback` tracing span
//! carrying the group, event id, type, retry counter and answered status.
//!
//! Any method and path are accepted, as in vksdk: mount the service where
//! VK should post.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::header::{CONTENT_LENGTH, HeaderName};
use hyper::service::Service;
use hyper::{Request, Response};
use tracing::field::Empty;
use tracing::{Instrument, Span, info_span, warn};

use crate::callback::Callback;
use crate::envelope::Envelope;
use crate::events::EventType;
use crate::response::{self, CallbackResponse};

/// VK's redelivery counter.
static RETRY_COUNTER: HeaderName = HeaderName::from_static("x-retry-counter");

impl Callback {
    /// Answers one request. This is the whole server without the socket:
    /// use it to mount the endpoint in another router.
    pub async fn handle<B>(&self, request: Request<B>) -> CallbackResponse
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        self.clone().answer_request(request).await
    }

    /// [`Callback::handle`] on an owned handle: a `'static` future holding
    /// the request once. The service boxes it per request, so its size
    /// matters (kept under glibc's small-allocation limit).
    pub(crate) fn answer_request<B>(
        self,
        request: Request<B>,
    ) -> impl Future<Output = CallbackResponse>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let span = info_span!(
            "vk_callback",
            group_id = Empty,
            event_id = Empty,
            event_type = Empty,
            retry = Empty,
            status = Empty,
        );
        // Only the two headers used and the body are kept, not the request.
        let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
        let retry = header(&RETRY_COUNTER).and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(0);
        let declared = header(&CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
        let body = request.into_body();
        let fields = span.clone();
        async move {
            let response = self.respond(body, declared, retry, &fields).await;
            fields.record("status", response.status().as_u16());
            response
        }
        .instrument(span)
    }

    async fn respond<B>(
        &self,
        body: B,
        declared: Option<u64>,
        retry: u32,
        span: &Span,
    ) -> CallbackResponse
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        // Boxed: reading is the largest state, and it ends before delivery.
        let body = match Box::pin(self.read_body(body, declared)).await {
            Ok(body) => body,
            Err(response) => return response,
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

    async fn read_body<B>(&self, body: B, declared: Option<u64>) -> Result<Bytes, CallbackResponse>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let limits = self.inner.limits;
        if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
            warn!(declared, "body over the limit");
            return Err(response::too_large());
        }
        let mut collect = pin!(Limited::new(body, limits.max_body_bytes).collect());
        // A body that is already complete (the usual case: it came with the
        // head) needs no timer; the deadline starts at the first wait.
        let read = match poll_fn(|cx| Poll::Ready(collect.as_mut().poll(cx))).await {
            Poll::Ready(read) => Ok(read),
            Poll::Pending => tokio::time::timeout(limits.body_read_timeout, collect).await,
        };
        match read {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.is::<LengthLimitError>() => {
                warn!("body over the limit");
                Err(response::too_large())
            }
            Ok(Err(e)) => {
                warn!(error = %e, "cannot read the body");
                Err(response::bad_request())
            }
            Err(_) => {
                warn!("body read timed out");
                Err(response::timeout())
            }
        }
    }
}

impl<B> Service<Request<B>> for Callback
where
    B: Body + Send + 'static,
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

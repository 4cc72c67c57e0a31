//! Delivering one authenticated, non-confirmation event: typed decode with
//! its policy, deduplication, and running the handlers synchronously or in
//! the background with panic isolation.
//!
//! Synchronous mode runs the handlers in place until they first wait, then
//! on a spawned task (see [`crate::inline`]): the work survives a client
//! that hangs up, and a panic becomes a 500 (the event id is released so
//! VK's retry runs again). Background mode takes a slot from
//! a bounded semaphore, answers `ok`, and runs each handler on its own task;
//! a panic is logged and the remaining handlers still run.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hyper::StatusCode;

use tracing::{Instrument, Span, debug, error, warn};

use crate::callback::{Callback, Mode};
use crate::context::{Context, Reply};
use crate::dedup::{Claimed, Ticket};
use crate::envelope::Envelope;
use crate::events::{Event, EventType};
use crate::handlers::{BoxFuture, RawFn, TypedFn};
use crate::policy::{DecodePolicy, DecodeReport};

/// The `Retry-After` delay asked of a redelivery that arrives while the
/// first delivery of the same event is still running.
const IN_FLIGHT_RETRY: Duration = Duration::from_secs(5);
use crate::response::{self, CallbackResponse};

/// The handlers of one event and what they receive. It borrows the
/// handler lists: the calls it makes are built before anything is spawned.
struct Job<'a> {
    ctx: Context,
    /// Shared with the raw handlers; `None` when there are none.
    envelope: Option<Arc<Envelope>>,
    raw: &'a [RawFn],
    typed: &'a [TypedFn],
    event: Option<Box<Event>>,
}

impl Job<'_> {
    /// The job as one future running its calls in order. One typed handler
    /// (the usual case) is run as it is, without a list.
    fn work(mut self) -> BoxFuture {
        if let (None, [only]) = (&self.envelope, self.typed)
            && let Some(event) = self.event.take()
        {
            return only(self.ctx, *event);
        }
        let calls = self.calls();
        Box::pin(async move {
            for call in calls {
                call.await;
            }
        })
    }

    /// Every handler call of the job, in order.
    fn calls(self) -> Vec<BoxFuture> {
        let mut calls = Vec::with_capacity(self.raw.len() + self.typed.len());
        if let Some(envelope) = &self.envelope {
            calls.extend(self.raw.iter().map(|f| f(self.ctx.clone(), envelope.clone())));
        }
        if let (Some(event), Some((last, rest))) = (self.event, self.typed.split_last()) {
            calls.extend(rest.iter().map(|f| f(self.ctx.clone(), Event::clone(&event))));
            calls.push(last(self.ctx, *event));
        }
        calls
    }
}

impl Callback {
    /// Runs the handlers for `envelope` and says what to answer.
    /// `event` is the object already decoded while parsing, if it was. It is
    /// boxed to keep this future (boxed per request by the service) small.
    pub(crate) async fn deliver(
        &self,
        mut envelope: Envelope,
        mut event: Option<Box<Event>>,
        retry: u32,
    ) -> CallbackResponse {
        let inner = &self.inner;
        let kind = EventType::from_name(envelope.event_type());
        let typed = inner.handlers.typed(kind);
        let mut raw = Cow::Borrowed(inner.handlers.raw(envelope.event_type()));
        if kind.is_none() && !envelope.event_type().is_empty() && !inner.handlers.unknown.is_empty()
        {
            raw.to_mut().extend(inner.handlers.unknown.iter().cloned());
        }
        if let (Some(kind), false, None) = (kind, typed.is_empty(), &event) {
            let object =
                if raw.is_empty() { envelope.take_object() } else { envelope.object().cloned() };
            match object.map(|o| Event::decode(kind, o)) {
                Some(Ok(decoded)) => event = Some(Box::new(decoded)),
                failed => {
                    self.report(kind, &envelope, failed.and_then(Result::err));
                    if inner.policy == DecodePolicy::Reject {
                        return response::bad_request();
                    }
                }
            }
        }
        if raw.is_empty() && event.is_none() {
            return response::ok();
        }
        let sync = matches!(inner.mode, Mode::Sync);
        let mut key = None;
        if let (Some(store), false) = (&inner.dedup, envelope.event_id().is_empty()) {
            let (claimed, ticket) = store.claim(envelope.group_id(), envelope.event_id()).await;
            match claimed {
                Claimed::New => key = Some(ticket),
                Claimed::Done => {
                    debug!("duplicate delivery answered ok");
                    return response::ok();
                }
                // Background mode acknowledged the first delivery already.
                Claimed::InFlight if !sync => {
                    debug!("duplicate of a background delivery answered ok");
                    return response::ok();
                }
                Claimed::InFlight => {
                    // Its outcome is not known yet: `ok` now would lose the
                    // event if the first delivery then fails or asks for a retry.
                    debug!("redelivery while the first is running: retry later");
                    return response::retry(
                        StatusCode::SERVICE_UNAVAILABLE,
                        SystemTime::now() + IN_FLIGHT_RETRY,
                    );
                }
            }
        }
        let group_id = envelope.group_id();
        // Without raw handlers nothing else needs the envelope: its strings
        // move into the context instead of being copied.
        let (ctx, envelope) = if raw.is_empty() {
            let (event_id, api_version) = envelope.take_ids();
            (Context::new(group_id, event_id, api_version, retry, sync), None)
        } else {
            let ctx =
                Context::new(group_id, envelope.event_id(), envelope.api_version(), retry, sync);
            (ctx, Some(Arc::new(envelope)))
        };
        let typed = if event.is_some() { typed } else { &[] };
        let job = Job { ctx: ctx.clone(), envelope, raw: &raw, typed, event };
        match &inner.mode {
            Mode::Sync => match crate::inline::run(job.work()).await {
                Ok(()) => self.answer(ctx.reply(), key).await,
                Err(()) => {
                    error!("handler panicked; answering 500");
                    self.release(key).await;
                    response::internal()
                }
            },
            Mode::Background { slots, .. } => {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return response::internal();
                };
                if let (Some(store), Some(key)) = (&inner.dedup, &key) {
                    store.finish(key).await;
                }
                let calls = job.calls();
                let span = Span::current();
                tokio::spawn(
                    async move {
                        for call in calls {
                            if let Err(e) = tokio::spawn(call.in_current_span()).await {
                                error!(error = %e, "background handler panicked");
                            }
                        }
                        drop(slot);
                    }
                    .instrument(span),
                );
                response::ok()
            }
        }
    }

    async fn answer(&self, reply: Reply, key: Option<Ticket>) -> CallbackResponse {
        match reply {
            Reply::Ok | Reply::Remove => {
                if let (Some(store), Some(key)) = (&self.inner.dedup, &key) {
                    store.finish(key).await;
                }
                if reply == Reply::Ok { response::ok() } else { response::remove() }
            }
            Reply::Retry(status, at) => {
                self.release(key).await;
                response::retry(status, at)
            }
        }
    }

    async fn release(&self, key: Option<Ticket>) {
        if let (Some(store), Some(key)) = (&self.inner.dedup, key) {
            store.release(&key).await;
        }
    }

    fn report(&self, kind: EventType, envelope: &Envelope, error: Option<serde_json::Error>) {
        match &error {
            Some(e) => warn!(error = %e, "event object does not decode"),
            None => warn!("event has no object"),
        }
        let report = DecodeReport {
            event_type: kind,
            group_id: envelope.group_id(),
            event_id: envelope.event_id().to_owned(),
            error,
        };
        for hook in &self.inner.handlers.decode_errors {
            hook(&report);
        }
    }
}

//! The registered handlers: typed per event type, raw per type name, the
//! catch-all for unknown types, and decode-failure hooks.
//!
//! Handlers are stored type-erased as boxed-future closures; this module
//! only stores and lists them. Running them is [`crate::dispatch`]'s job.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::context::Context;
use crate::envelope::Envelope;
use crate::events::{Event, EventType};
use crate::policy::DecodeReport;

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
pub(crate) type TypedFn = Arc<dyn Fn(Context, Event) -> BoxFuture + Send + Sync>;
pub(crate) type RawFn = Arc<dyn Fn(Context, Arc<Envelope>) -> BoxFuture + Send + Sync>;
pub(crate) type ReportFn = Arc<dyn Fn(&DecodeReport) + Send + Sync>;

#[derive(Default, Clone)]
pub(crate) struct Handlers {
    pub(crate) typed: HashMap<EventType, Vec<TypedFn>>,
    pub(crate) raw: HashMap<String, Vec<RawFn>>,
    pub(crate) unknown: Vec<RawFn>,
    pub(crate) decode_errors: Vec<ReportFn>,
}

impl Handlers {
    pub(crate) fn typed(&self, kind: Option<EventType>) -> &[TypedFn] {
        kind.and_then(|k| self.typed.get(&k)).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn raw(&self, name: &str) -> &[RawFn] {
        self.raw.get(name).map_or(&[], Vec::as_slice)
    }

    /// Every event name with a typed or raw handler, sorted, once each.
    pub(crate) fn event_names(&self) -> BTreeSet<String> {
        let typed = self.typed.keys().map(|k| k.as_str().to_owned());
        typed.chain(self.raw.keys().cloned()).collect()
    }
}

/// Wraps a typed closure.
pub(crate) fn typed<F, Fut>(f: F) -> TypedFn
where
    F: Fn(Context, Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |ctx, event| Box::pin(f(ctx, event)))
}

/// Wraps a raw closure.
pub(crate) fn raw<F, Fut>(f: F) -> RawFn
where
    F: Fn(Context, Arc<Envelope>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |ctx, envelope| Box::pin(f(ctx, envelope)))
}

//! [`Callback`]: the configured server, shared cheaply between connections.
//!
//! It is a hyper [`Service`](hyper::service::Service) (see
//! [`crate::service`]) to mount in any router, and runs on its own with
//! [`Callback::serve`] or [`crate::Server`].

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::builder::CallbackBuilder;
use crate::dedup::Dedup;
use crate::handlers::Handlers;
use crate::keys::Keys;
use crate::policy::{DecodePolicy, Limits};

/// A VK Callback API endpoint. Clone it freely: clones share everything.
#[derive(Clone)]
pub struct Callback {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) keys: Keys,
    pub(crate) handlers: Handlers,
    pub(crate) policy: DecodePolicy,
    pub(crate) mode: Mode,
    pub(crate) dedup: Option<Dedup>,
    pub(crate) limits: Limits,
}

pub(crate) enum Mode {
    Sync,
    Background { slots: Arc<Semaphore>, max: usize },
}

impl Callback {
    /// Starts configuring a server.
    pub fn builder() -> CallbackBuilder {
        CallbackBuilder::default()
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self { inner: Arc::new(inner) }
    }

    /// The secrets and confirmation codes, changeable while serving.
    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    /// Every event name with a registered handler: what AutoSetting enables.
    pub fn event_names(&self) -> BTreeSet<String> {
        self.inner.handlers.event_names()
    }

    /// Waits until every background handler has finished (immediately in
    /// synchronous mode).
    pub(crate) async fn drain_background(&self) {
        if let Mode::Background { slots, max } = &self.inner.mode {
            let max = u32::try_from(*max).unwrap_or(u32::MAX);
            // The semaphore is never closed, so this only waits.
            let _all = slots.acquire_many(max).await;
        }
    }
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("keys", &self.inner.keys)
            .field("events", &self.event_names())
            .field("policy", &self.inner.policy)
            .field("background", &matches!(self.inner.mode, Mode::Background { .. }))
            .finish_non_exhaustive()
    }
}

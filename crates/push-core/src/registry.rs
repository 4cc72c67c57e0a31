//! [`Registry`]: handlers by name, initialised from Tinode's `push` config
//! array, fanning every receipt out to the ready ones without waiting.
//!
//! Handlers built on a [`Mailbox`](crate::Mailbox) (every
//! [`Plugin`](crate::Plugin)) keep their queues in the registry's hub, so a
//! push offers the receipt to all of them under one lock, one short
//! critical section per receipt rather than one synchronised send per
//! handler; other handlers get `push_if_ready` calls.
//!
//! Differences from Tinode, on purpose: registering a duplicate name is an
//! error, not a panic; an unknown name in the config is skipped with a
//! warning, not silently; a failed `init` stops the handlers it already
//! started; `stop` runs every handler's stop at once under one deadline.
//! It does not own a runtime, retry, or reorder: each handler delivers on
//! its own worker.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::hub::Hub;
use crate::{ChannelReq, Counters, Handler, Offer, Receipt, RegistryError};

/// One element of the config array: `{"name": …, "config": …}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlerConfig {
    /// The name the handler is registered under.
    pub name: String,
    /// The handler's own config, passed to its `init` as is.
    pub config: serde_json::Value,
}

/// The push handlers by name, in registration order.
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use push_core::{Action, Payload, Receipt, Registry, Timestamp};
/// # use push_core::{ChannelReq, Deliver, DeliveryError, HandlerError, Mailbox, Plugin};
/// # struct Quiet;
/// # #[async_trait::async_trait]
/// # impl Deliver for Quiet {
/// #     async fn receipt(&mut self, _: Arc<Receipt>) -> Result<(), DeliveryError> { Ok(()) }
/// #     async fn channel(&mut self, _: Arc<ChannelReq>) -> Result<(), DeliveryError> { Ok(()) }
/// # }
/// # struct Log(Mailbox);
/// # #[async_trait::async_trait]
/// # impl Plugin for Log {
/// #     fn mailbox(&self) -> &Mailbox { &self.0 }
/// #     async fn setup(&self, config: &serde_json::Value) -> Result<bool, HandlerError> {
/// #         match config["enabled"].as_bool() {
/// #             Some(true) => self.0.start(8, Quiet).map(|()| true),
/// #             _ => self.0.disable().map(|()| false),
/// #         }
/// #     }
/// # }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut registry = Registry::new();
/// registry.register("log", Arc::new(Log(Mailbox::new("log"))))?;
/// registry.register("other", Arc::new(Log(Mailbox::new("other"))))?;
///
/// let enabled = registry
///     .init(r#"[{"name": "nope", "config": {}}, {"name": "log", "config": {"enabled": true}}]"#)
///     .await?;
/// assert_eq!(enabled, ["log"]);
///
/// let receipt = Receipt::new(Payload::new(Action::Msg, "grpX", "usrA", Timestamp::now()));
/// assert_eq!(registry.push(receipt), 1); // "other" was never enabled
/// registry.stop(Duration::from_secs(1)).await;
/// assert_eq!(registry.counters()[0], ("log", push_core::Counters { accepted: 1, delivered: 1, ..Default::default() }));
/// # Ok(())
/// # }
/// ```
pub struct Registry {
    handlers: Vec<(String, Arc<dyn Handler>)>,
    /// The queues of the handlers that joined it (their mailboxes').
    hub: Arc<Hub>,
    /// The handlers that did not, offered one by one.
    direct: Vec<Arc<dyn Handler>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self { handlers: Vec::new(), hub: Hub::new(), direct: Vec::new() }
    }

    /// Adds a handler under `name`. Names are unique and not empty.
    pub fn register(&mut self, name: &str, handler: Arc<dyn Handler>) -> Result<(), RegistryError> {
        if name.is_empty() {
            return Err(RegistryError::EmptyName);
        }
        if self.handler(name).is_some() {
            return Err(RegistryError::DuplicateName(name.to_owned()));
        }
        // A mailbox already placed elsewhere (started, or in another
        // registry) keeps its queues there and is offered one by one.
        if !handler.as_mailbox().is_some_and(|mailbox| mailbox.join(&self.hub)) {
            self.direct.push(Arc::clone(&handler));
        }
        self.handlers.push((name.to_owned(), handler));
        Ok(())
    }

    /// Initialises handlers from Tinode's `push` config: a JSON array of
    /// `{"name": …, "config": …}`; see [`init_entries`](Self::init_entries).
    pub async fn init(&self, config: &str) -> Result<Vec<String>, RegistryError> {
        let entries: Vec<HandlerConfig> =
            serde_json::from_str(config).map_err(RegistryError::Config)?;
        self.init_entries(&entries).await
    }

    /// Initialises handlers in array order: a name nobody registered is
    /// skipped with a warning; the first handler error stops everything this
    /// call started and is returned with the handler's name. Returns the
    /// names that reported enabled, in order. Registered handlers the config
    /// does not name stay uninitialised and get no pushes.
    pub async fn init_entries(
        &self,
        entries: &[HandlerConfig],
    ) -> Result<Vec<String>, RegistryError> {
        let mut enabled = Vec::new();
        for entry in entries {
            let Some(handler) = self.handler(&entry.name) else {
                tracing::warn!(name = %entry.name, "push config names an unregistered handler; skipped");
                continue;
            };
            match handler.init(&entry.config).await {
                Ok(true) => {
                    tracing::info!(name = %entry.name, "push handler enabled");
                    enabled.push(entry.name.clone());
                }
                Ok(false) => tracing::info!(name = %entry.name, "push handler disabled"),
                Err(source) => {
                    for name in &enabled {
                        if let Some(started) = self.handler(name) {
                            started.stop(Duration::ZERO).await;
                        }
                    }
                    return Err(RegistryError::Handler { name: entry.name.clone(), source });
                }
            }
        }
        Ok(enabled)
    }

    /// Offers one shared receipt to every ready handler without waiting;
    /// returns how many accepted it (the others dropped and counted it).
    pub fn push(&self, receipt: impl Into<Arc<Receipt>>) -> usize {
        let receipt = receipt.into();
        self.offered(&receipt, |h| h.push_if_ready(&receipt))
    }

    /// Offers one shared channel request to every ready handler without
    /// waiting; returns how many accepted it.
    pub fn channel_sub(&self, req: impl Into<Arc<ChannelReq>>) -> usize {
        let req = req.into();
        self.offered(&req, |h| h.channel_if_ready(&req))
    }

    /// Offers `item` to the hub's running lanes under one lock, and with
    /// `offer` to every other handler; counts the acceptances.
    #[inline]
    fn offered<T: crate::hub::Item>(
        &self,
        item: &Arc<T>,
        offer: impl Fn(&dyn Handler) -> Option<Offer>,
    ) -> usize {
        // Every handler not offered directly joined the hub.
        let any_joined = self.direct.len() < self.handlers.len();
        let joined = if any_joined { self.hub.offer_running(item) } else { 0 };
        joined + self.direct.iter().filter(|h| offer(&***h).is_some_and(Offer::is_accepted)).count()
    }

    /// Stops every handler at once, each draining its queue for at most
    /// `grace`; returns when all have stopped. Idempotent.
    pub async fn stop(&self, grace: Duration) {
        let mut stops = tokio::task::JoinSet::new();
        for (_, handler) in &self.handlers {
            let handler = Arc::clone(handler);
            stops.spawn(async move { handler.stop(grace).await });
        }
        while let Some(joined) = stops.join_next().await {
            if let Err(error) = joined {
                tracing::error!(%error, "push handler stop panicked");
            }
        }
    }

    /// The handler registered under `name`.
    pub fn handler(&self, name: &str) -> Option<&Arc<dyn Handler>> {
        self.handlers.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }

    /// Every handler's counters, in registration order.
    pub fn counters(&self) -> Vec<(&str, Counters)> {
        self.handlers.iter().map(|(name, h)| (name.as_str(), h.counters())).collect()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.handlers.iter().map(|(name, _)| name)).finish()
    }
}

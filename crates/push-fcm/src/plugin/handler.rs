//! [`FcmHandler`]: the [`Handler`] on a push-core [`Mailbox`]: `init`
//! reads the config, loads the credentials and starts the worker; the
//! worker expands each receipt into messages and starts them on the
//! dispatcher, then takes the next receipt while they are sent (at most
//! `concurrency` messages in flight across all receipts; with every slot
//! busy the worker waits and receipts stay in the mailbox's bounded queue);
//! the dispatcher retries, removes dead tokens and records one outcome per
//! message, and the mailbox counts each receipt when its last message
//! ends. `stop` stops the mailbox (abandoning, and counting, what is
//! queued or in flight when the grace runs out), then waits until every
//! aborted send has recorded its `abandoned` outcome.
//!
//! Channel requests become Instance ID topic batches, one attempt each (a
//! failure is counted as a failed item by the mailbox). A request for one
//! device to all of a user's channels needs a [`UserChannels`] lookup; it
//! fails, counted, without one.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use push_core::{
    ChannelReq, ChannelTarget, Counters, Deliver, DeliveryError, DeviceStore, Handler,
    HandlerError, Mailbox, Offer, Pending, Receipt,
};
use tracing::Instrument as _;

use super::config::FcmConfig;
use super::payload::expand;
use crate::client::{ClientConfig, ClientError, FCM_BASE_URL, FcmClient, IID_BASE_URL};
use crate::credentials::ServiceAccount;
use crate::dispatch::{DispatchConfig, Dispatcher};
use crate::error::BoxError;
use crate::outcome::{Outcome, OutcomeCallback, OutcomeTotals};
use crate::policy::RetryPolicy;
use crate::transport::Roots;

/// The name the handler registers under (Tinode's).
pub const NAME: &str = "fcm";

/// The channels (group topics read as FCM topics) a user reads; Tinode's
/// `Users.GetChannels`.
#[async_trait]
pub trait UserChannels: Send + Sync {
    /// The channel (FCM topic) names of `uid`.
    async fn channels(&self, uid: &str) -> Result<Vec<String>, BoxError>;
}

/// The FCM push handler.
///
/// ```
/// use std::sync::Arc;
/// use push_core::{Handler, MemoryDeviceStore};
/// use push_fcm::FcmHandler;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), push_core::HandlerError> {
/// let handler = FcmHandler::new(Arc::new(MemoryDeviceStore::new()));
/// // Disabled: no credentials needed, never ready.
/// assert!(!handler.init(&serde_json::json!({"enabled": false})).await?);
/// let missing = FcmHandler::new(Arc::new(MemoryDeviceStore::new()))
///     .init(&serde_json::json!({"enabled": true})).await.err();
/// assert!(missing.is_some_and(|e| e.to_string().contains("`credentials`")));
/// # Ok(())
/// # }
/// ```
pub struct FcmHandler {
    mailbox: Mailbox,
    store: Arc<dyn DeviceStore>,
    channels: Option<Arc<dyn UserChannels>>,
    callback: Option<OutcomeCallback>,
    roots: Option<Roots>,
    dispatcher: OnceLock<Arc<Dispatcher>>,
}

impl std::fmt::Debug for FcmHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmHandler")
            .field("mailbox", &self.mailbox)
            .field("outcomes", &self.outcomes())
            .finish_non_exhaustive()
    }
}

impl FcmHandler {
    /// A handler whose recipients' devices are in `store` (dead tokens are
    /// removed from it).
    pub fn new(store: Arc<dyn DeviceStore>) -> Self {
        Self {
            mailbox: Mailbox::new(NAME),
            store,
            channels: None,
            callback: None,
            roots: None,
            dispatcher: OnceLock::new(),
        }
    }

    /// Calls `callback` with every message's outcome.
    pub fn with_outcome_callback(mut self, callback: OutcomeCallback) -> Self {
        self.callback = Some(callback);
        self
    }

    /// Looks up a user's channels for device-wide channel requests.
    pub fn with_user_channels(mut self, channels: Arc<dyn UserChannels>) -> Self {
        self.channels = Some(channels);
        self
    }

    /// Trusts these roots instead of webpki's (a private CA, a test CA).
    pub fn with_roots(mut self, roots: Roots) -> Self {
        self.roots = Some(roots);
        self
    }

    /// Outcomes per message so far (all zero before an enabled `init`).
    pub fn outcomes(&self) -> OutcomeTotals {
        self.dispatcher.get().map(|d| d.totals()).unwrap_or_default()
    }

    /// The FCM client, once enabled.
    pub fn client(&self) -> Option<&FcmClient> {
        self.dispatcher.get().map(|d| d.client())
    }

    async fn setup(&self, json: &serde_json::Value) -> Result<bool, HandlerError> {
        let config = FcmConfig::from_json(json)?;
        if !config.enabled {
            self.mailbox.disable()?;
            return Ok(false);
        }
        let invalid = |field: &str, e: &dyn std::fmt::Display| {
            HandlerError::ConfigValue(format!("`{field}`: {e}"))
        };
        let account = match (&config.credentials, &config.credentials_file) {
            (Some(value), _) => {
                ServiceAccount::from_value(value).map_err(|e| invalid("credentials", &e))?
            }
            (None, Some(path)) => ServiceAccount::from_file(Path::new(path))
                .map_err(|e| invalid("credentials_file", &e))?,
            (None, None) => {
                let why = "missing: give `credentials` or `credentials_file`";
                return Err(invalid("credentials", &why));
            }
        };
        let account = match &config.token_uri {
            Some(uri) => account.with_token_uri(uri),
            None => account,
        };
        let client_config = ClientConfig {
            fcm_base_url: config.fcm_base_url.clone().unwrap_or_else(|| FCM_BASE_URL.to_owned()),
            iid_base_url: config.iid_base_url.clone().unwrap_or_else(|| IID_BASE_URL.to_owned()),
            http_version: config.http_version,
            roots: self.roots.clone().unwrap_or(Roots::WebPki),
            concurrency: config.concurrency,
            request_timeout: Duration::from_secs(30),
            refresh_margin: Duration::from_secs(60),
        };
        let project = account.project_id().to_owned();
        let client = FcmClient::new(account, client_config).map_err(|e| match &e {
            ClientError::Url { field, .. } => invalid(field, &e),
            _ => HandlerError::Backend(Box::new(e)),
        })?;
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        let dispatch = DispatchConfig {
            policy: RetryPolicy { max_attempts: config.max_attempts, ..RetryPolicy::standard() },
            concurrency: config.concurrency,
            validate_only: config.dry_run,
            seed,
        };
        let store = Arc::clone(&self.store);
        let dispatcher = Arc::new(Dispatcher::new(
            client,
            Some(Arc::clone(&store)),
            dispatch,
            self.callback.clone(),
        ));
        let buffer = config.buffer;
        let worker = Worker {
            config: Arc::new(config),
            dispatcher: Arc::clone(&dispatcher),
            store,
            channels: self.channels.clone(),
            receipts: 0,
        };
        self.mailbox.start(buffer, worker)?;
        let _ = self.dispatcher.set(dispatcher);
        tracing::info!(project = %project, "fcm push handler enabled");
        Ok(true)
    }
}

#[async_trait]
impl Handler for FcmHandler {
    async fn init(&self, config: &serde_json::Value) -> Result<bool, HandlerError> {
        self.setup(config).await
    }

    fn is_ready(&self) -> bool {
        self.mailbox.is_ready()
    }

    fn push(&self, receipt: &Arc<Receipt>) -> Offer {
        self.mailbox.offer_receipt(receipt)
    }

    fn channel(&self, req: &Arc<ChannelReq>) -> Offer {
        self.mailbox.offer_channel(req)
    }

    fn push_if_ready(&self, receipt: &Arc<Receipt>) -> Option<Offer> {
        self.mailbox.offer_receipt_if_ready(receipt)
    }

    fn channel_if_ready(&self, req: &Arc<ChannelReq>) -> Option<Offer> {
        self.mailbox.offer_channel_if_ready(req)
    }

    fn as_mailbox(&self) -> Option<&Mailbox> {
        Some(&self.mailbox)
    }

    async fn stop(&self, grace: Duration) {
        self.mailbox.stop(grace).await;
        if let Some(dispatcher) = self.dispatcher.get() {
            dispatcher.settle().await;
        }
    }

    fn counters(&self) -> Counters {
        self.mailbox.counters()
    }
}

struct Worker {
    config: Arc<FcmConfig>,
    dispatcher: Arc<Dispatcher>,
    store: Arc<dyn DeviceStore>,
    channels: Option<Arc<dyn UserChannels>>,
    receipts: u64,
}

impl Worker {
    async fn topic_call(
        &self,
        topic: &str,
        tokens: &[&str],
        unsub: bool,
    ) -> Result<(), DeliveryError> {
        if tokens.is_empty() {
            return Ok(());
        }
        let client = self.dispatcher.client();
        let results = match unsub {
            true => client.unsubscribe(topic, tokens).await?,
            false => client.subscribe(topic, tokens).await?,
        };
        let failed = results.iter().filter(|r| r.is_some()).count();
        match failed {
            0 => Ok(()),
            n => {
                Err(format!("{n} of {} tokens not (un)subscribed to `{topic}`", tokens.len())
                    .into())
            }
        }
    }
}

#[async_trait]
impl Deliver for Worker {
    async fn receipt(&mut self, receipt: Arc<Receipt>) -> Result<(), DeliveryError> {
        match self.start_receipt(receipt).await {
            Pending::Done(result) => result,
            Pending::Later(end) => end.await,
        }
    }

    /// Waits for a free send slot before the mailbox takes more receipts,
    /// so a busy dispatcher leaves them in the mailbox's bounded queue.
    async fn ready(&mut self) {
        self.dispatcher.ready().await;
    }

    /// Expands the receipt and starts its messages (waiting for slots when
    /// all `concurrency` are busy); the end waits for their outcomes.
    async fn start_receipt(&mut self, receipt: Arc<Receipt>) -> Pending {
        self.receipts += 1;
        let uids: Vec<&str> = receipt.to.keys().map(String::as_str).collect();
        let devices = match uids.is_empty() {
            true => BTreeMap::new(),
            false => match self.store.get_all(&uids).await {
                Ok(devices) => devices,
                Err(error) => return Pending::Done(Err(error.into())),
            },
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let jobs = expand(&self.config, &receipt, &devices, self.receipts, now);
        if jobs.is_empty() {
            return Pending::Done(Ok(()));
        }
        let started = self.dispatcher.start(jobs).await;
        Pending::Later(Box::pin(async move {
            let outcomes = started.outcomes().await;
            let failed = outcomes
                .iter()
                .filter(|o| !matches!(o, Outcome::Delivered | Outcome::TokenRemoved))
                .count();
            match failed {
                0 => Ok(()),
                n => Err(format!("{n} of {} FCM messages failed", outcomes.len()).into()),
            }
        }))
    }

    async fn channel(&mut self, req: Arc<ChannelReq>) -> Result<(), DeliveryError> {
        let span = tracing::debug_span!("fcm_channel", unsub = req.unsub());
        self.channel_request(&req).instrument(span).await
    }
}

impl Worker {
    async fn channel_request(&self, req: &ChannelReq) -> Result<(), DeliveryError> {
        match req.target() {
            ChannelTarget::Channel(topic) => {
                let devices = self.store.get_all(&[req.uid()]).await?;
                let tokens: Vec<&str> = devices
                    .values()
                    .flatten()
                    .map(|d| d.token.as_str())
                    .filter(|t| !t.is_empty())
                    .collect();
                self.topic_call(topic, &tokens, req.unsub()).await
            }
            ChannelTarget::Device(token) => {
                let lookup = self.channels.as_ref().ok_or(
                    "a device-wide channel request needs a UserChannels lookup (FcmHandler::with_user_channels)",
                )?;
                for topic in lookup.channels(req.uid()).await? {
                    self.topic_call(&topic, &[token.as_str()], req.unsub()).await?;
                }
                Ok(())
            }
        }
    }
}

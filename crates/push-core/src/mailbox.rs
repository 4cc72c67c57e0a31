//! [`Mailbox`]: the queues, worker, counters and stop rules of a push
//! handler, so a plugin only writes how to deliver one item ([`Deliver`]).
//!
//! Two bounded queues (receipts and channel requests, like Tinode's two Go
//! channels) feed one worker task. The queues live in a lane of a hub
//! (`crate::hub`): the mailbox's own, or, once it is registered, its
//! [`Registry`](crate::Registry)'s, which then offers a receipt to all its
//! mailboxes under one lock. The worker takes everything queued at once
//! and delivers it outside the lock one item at a time, each queue in
//! order (channel requests first in each batch; no order between the two
//! kinds is promised). Offers never wait. It does not retry or run
//! deliveries concurrently itself: a plugin that does starts each receipt
//! in [`Deliver::start_receipt`] and returns its [`Pending`] end, which the
//! worker awaits while it starts the next ones.

mod counters;
mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::task::JoinHandle;

use crate::hub::{Hub, Item, LaneRef, State};
use crate::{ChannelReq, Counters, DeliveryError, HandlerError, Offer, Receipt};
use counters::Outcomes;

/// The largest queue a mailbox accepts (per queue), to keep a typo in a
/// config from reserving unbounded memory.
pub const MAX_BUFFER: usize = 1 << 20;

/// How a plugin delivers one item; run by the [`Mailbox`] worker, one item
/// at a time, in queue order.
///
/// A plugin that sends concurrently across receipts overrides
/// [`start_receipt`](Self::start_receipt) (start the receipt, return its
/// [`Pending`] end) and [`ready`](Self::ready) (wait for room to start
/// another): the worker then keeps the ends of several receipts pending,
/// counts each when it ends, and takes nothing from the queue while the
/// plugin is not ready, so a busy plugin still fills the bounded queue and
/// offers are dropped, not buffered elsewhere.
#[async_trait]
pub trait Deliver: Send + 'static {
    /// Delivers one receipt.
    async fn receipt(&mut self, receipt: Arc<Receipt>) -> Result<(), DeliveryError>;

    /// Carries out one channel subscription request.
    async fn channel(&mut self, req: Arc<ChannelReq>) -> Result<(), DeliveryError>;

    /// Waits until another receipt can be started; the worker takes no
    /// item from the queue meanwhile. Default: ready at once.
    async fn ready(&mut self) {}

    /// Starts delivering one receipt and returns its end, which the worker
    /// awaits next to later receipts (and drops, abandoning the receipt, if
    /// `stop`'s grace runs out). Default: the whole [`receipt`](Self::receipt)
    /// delivery, already ended.
    async fn start_receipt(&mut self, receipt: Arc<Receipt>) -> Pending {
        Pending::Done(self.receipt(receipt).await)
    }
}

/// The end of a receipt's delivery, as [`Deliver::start_receipt`] returns it.
pub enum Pending {
    /// Already ended.
    Done(Result<(), DeliveryError>),
    /// Ends when this future does.
    Later(std::pin::Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send>>),
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pending::Done(result) => f.debug_tuple("Done").field(result).finish(),
            Pending::Later(_) => f.write_str("Later(..)"),
        }
    }
}

/// The queue and worker behind a [`Handler`](crate::Handler).
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use push_core::{
///     Action, ChannelReq, Deliver, DeliveryError, Mailbox, Payload, Receipt, Timestamp,
/// };
///
/// struct Print;
///
/// #[async_trait::async_trait]
/// impl Deliver for Print {
///     async fn receipt(&mut self, r: Arc<Receipt>) -> Result<(), DeliveryError> {
///         tracing::info!(topic = %r.payload.topic, "push");
///         Ok(())
///     }
///     async fn channel(&mut self, _: Arc<ChannelReq>) -> Result<(), DeliveryError> {
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mailbox = Mailbox::new("print");
/// mailbox.start(32, Print)?;
/// let receipt = Receipt::new(Payload::new(Action::Msg, "grpX", "usrA", Timestamp::now()));
/// assert!(mailbox.offer_receipt(&Arc::new(receipt)).is_accepted());
/// mailbox.stop(Duration::from_secs(1)).await;
/// assert_eq!(mailbox.counters().delivered, 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Mailbox {
    name: Arc<str>,
    /// Set by the first of `start`, `disable` (a hub of its own) or a
    /// registry's `register` (the registry's hub).
    lane: OnceLock<LaneRef>,
    outcomes: Arc<Outcomes>,
    /// Offers made before the mailbox had a lane (all refused).
    early_drops: AtomicU64,
    worker: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Held by `stop` while it runs, so a second call waits for the first.
    stopping: tokio::sync::Mutex<()>,
}

impl Mailbox {
    /// A mailbox for the handler called `name` (used in logs), not started.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            lane: OnceLock::new(),
            outcomes: Arc::default(),
            early_drops: AtomicU64::new(0),
            worker: std::sync::Mutex::new(None),
            stopping: tokio::sync::Mutex::new(()),
        }
    }

    /// Puts this mailbox's queues in `hub` if it has none yet; true if it
    /// did. The registry does this at `register`, so one lock covers all
    /// its mailboxes when it pushes.
    pub(crate) fn join(&self, hub: &Arc<Hub>) -> bool {
        let mut joined = false;
        self.lane.get_or_init(|| {
            joined = true;
            hub.add_lane()
        });
        joined
    }

    /// The lane, in a hub of its own unless the mailbox joined one.
    fn lane(&self) -> &LaneRef {
        self.lane.get_or_init(|| Hub::new().add_lane())
    }

    /// Records a disabled `init`: the mailbox never runs, and a later
    /// `start` or `disable` is [`HandlerError::AlreadyInitialized`].
    pub fn disable(&self) -> Result<(), HandlerError> {
        match self.lane().claim(None) {
            true => Ok(()),
            false => Err(HandlerError::AlreadyInitialized),
        }
    }

    /// Starts the worker with queues of `buffer` items each (1 to
    /// [`MAX_BUFFER`]). Needs a tokio runtime. Starts once only.
    ///
    /// The worker takes everything queued at once, so besides up to
    /// `buffer` queued items of each kind, up to that many more can be
    /// taken and awaiting delivery.
    pub fn start(&self, buffer: usize, deliver: impl Deliver) -> Result<(), HandlerError> {
        if !(1..=MAX_BUFFER).contains(&buffer) {
            return Err(HandlerError::ConfigValue(format!(
                "buffer {buffer} is outside 1..={MAX_BUFFER}"
            )));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| HandlerError::NoRuntime)?;
        let lane = self.lane();
        if !lane.claim(Some(buffer)) {
            return Err(HandlerError::AlreadyInitialized);
        }
        let span = tracing::info_span!("push_worker", handler = %self.name);
        let worker =
            worker::run(Arc::clone(&self.name), deliver, lane.clone(), Arc::clone(&self.outcomes));
        let handle = runtime.spawn(tracing::Instrument::instrument(worker, span));
        *self.worker.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
        tracing::info!(handler = %self.name, buffer, "push handler started");
        Ok(())
    }

    /// True from `start` until `stop` closes the queues (or the worker dies).
    pub fn is_ready(&self) -> bool {
        self.lane.get().is_some_and(|lane| lane.state() == State::Running)
    }

    /// Queues a receipt (cloning the `Arc`), or drops it if the queue is
    /// full or closed.
    #[inline]
    pub fn offer_receipt(&self, receipt: &Arc<Receipt>) -> Offer {
        self.offer(receipt)
    }

    /// Queues a channel request (cloning the `Arc`), or drops it if the
    /// queue is full or closed.
    #[inline]
    pub fn offer_channel(&self, req: &Arc<ChannelReq>) -> Offer {
        self.offer(req)
    }

    /// [`offer_receipt`](Self::offer_receipt) if [`is_ready`](Self::is_ready)
    /// (one check instead of two), else `None` with nothing counted.
    #[inline]
    pub fn offer_receipt_if_ready(&self, receipt: &Arc<Receipt>) -> Option<Offer> {
        self.lane.get()?.offer(receipt, true)
    }

    /// [`offer_channel`](Self::offer_channel) if [`is_ready`](Self::is_ready),
    /// else `None` with nothing counted.
    #[inline]
    pub fn offer_channel_if_ready(&self, req: &Arc<ChannelReq>) -> Option<Offer> {
        self.lane.get()?.offer(req, true)
    }

    #[inline]
    fn offer<T: Item>(&self, item: &Arc<T>) -> Offer {
        match self.lane.get().and_then(|lane| lane.offer(item, false)) {
            Some(offer) => offer,
            None => {
                self.early_drops.fetch_add(1, Ordering::Relaxed);
                Offer::Closed
            }
        }
    }

    /// Closes the queues, lets the worker deliver what is queued for at most
    /// `grace`, then abandons the rest (counted as `abandoned`). When this
    /// returns the worker has ended. Concurrent and repeated calls wait for
    /// the first one and return.
    pub async fn stop(&self, grace: Duration) {
        let _stopping = self.stopping.lock().await;
        let taken = self.worker.lock().unwrap_or_else(PoisonError::into_inner).take();
        let (Some(mut handle), Some(lane)) = (taken, self.lane.get()) else { return };
        lane.close();
        let ended = match tokio::time::timeout(grace, &mut handle).await {
            Ok(ended) => ended,
            Err(_) => {
                handle.abort();
                handle.await
            }
        };
        if let Err(error) = &ended
            && error.is_panic()
        {
            tracing::error!(handler = %self.name, "push handler worker panicked");
        }
        let counters = self.counters();
        tracing::info!(
            handler = %self.name,
            delivered = counters.delivered,
            failed = counters.failed,
            abandoned = counters.abandoned,
            "push handler stopped"
        );
    }

    /// The counters so far. Each number is exact; while the worker runs
    /// they are not read at one instant.
    pub fn counters(&self) -> Counters {
        let offers = self.lane.get().map(LaneRef::offers).unwrap_or_default();
        Counters {
            accepted: offers.accepted,
            dropped: offers.dropped + self.early_drops.load(Ordering::Relaxed),
            delivered: self.outcomes.delivered(),
            failed: self.outcomes.failed(),
            abandoned: offers.abandoned,
        }
    }
}

/// A dropped mailbox takes no more offers; its worker delivers what it
/// holds and ends.
impl Drop for Mailbox {
    fn drop(&mut self) {
        if let Some(lane) = self.lane.get() {
            lane.close();
        }
    }
}

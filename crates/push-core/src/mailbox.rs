//! [`Mailbox`]: the queue, worker, counters and stop rules of a push
//! handler, so a plugin only writes how to deliver one item ([`Deliver`]).
//!
//! Two bounded queues (receipts and channel requests, like Tinode's two Go
//! channels) feed one worker task that delivers items one at a time, each
//! queue in order (channel requests first when both have items; no order
//! between the two kinds is promised). Offers never wait. It does not retry, batch or run deliveries concurrently:
//! that is the plugin's business inside [`Deliver`].

mod counters;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{ChannelReq, Counters, DeliveryError, HandlerError, Offer, Receipt};
use counters::AtomicCounters;

/// The largest queue a mailbox accepts (per queue), to keep a typo in a
/// config from reserving unbounded memory.
pub const MAX_BUFFER: usize = 1 << 20;

/// How a plugin delivers one item; run by the [`Mailbox`] worker, one item
/// at a time, in queue order.
#[async_trait]
pub trait Deliver: Send + 'static {
    /// Delivers one receipt.
    async fn receipt(&mut self, receipt: Arc<Receipt>) -> Result<(), DeliveryError>;

    /// Carries out one channel subscription request.
    async fn channel(&mut self, req: Arc<ChannelReq>) -> Result<(), DeliveryError>;
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
    initialized: AtomicBool,
    counters: Arc<AtomicCounters>,
    senders: OnceLock<Senders>,
    worker: std::sync::Mutex<Option<Worker>>,
    /// Held by `stop` while it runs, so a second call waits for the first.
    stopping: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Senders {
    receipts: mpsc::Sender<Arc<Receipt>>,
    channels: mpsc::Sender<Arc<ChannelReq>>,
}

#[derive(Debug)]
struct Worker {
    handle: JoinHandle<()>,
    drain: oneshot::Sender<()>,
}

impl Mailbox {
    /// A mailbox for the handler called `name` (used in logs), not started.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            initialized: AtomicBool::new(false),
            counters: Arc::default(),
            senders: OnceLock::new(),
            worker: std::sync::Mutex::new(None),
            stopping: tokio::sync::Mutex::new(()),
        }
    }

    /// Records a disabled `init`: the mailbox never runs, and a later
    /// `start` or `disable` is [`HandlerError::AlreadyInitialized`].
    pub fn disable(&self) -> Result<(), HandlerError> {
        self.claim()
    }

    /// Starts the worker with queues of `buffer` items each (1 to
    /// [`MAX_BUFFER`]). Needs a tokio runtime. Starts once only.
    pub fn start(&self, buffer: usize, deliver: impl Deliver) -> Result<(), HandlerError> {
        if !(1..=MAX_BUFFER).contains(&buffer) {
            return Err(HandlerError::ConfigValue(format!(
                "buffer {buffer} is outside 1..={MAX_BUFFER}"
            )));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| HandlerError::NoRuntime)?;
        self.claim()?;
        let (receipts, receipt_rx) = mpsc::channel(buffer);
        let (channels, channel_rx) = mpsc::channel(buffer);
        let (drain, drain_rx) = oneshot::channel();
        let queues = worker::Queues::new(receipt_rx, channel_rx, Arc::clone(&self.counters));
        let span = tracing::info_span!("push_worker", handler = %self.name);
        let worker = worker::run(Arc::clone(&self.name), deliver, queues, drain_rx);
        let handle = runtime.spawn(tracing::Instrument::instrument(worker, span));
        // `claim` succeeded, so this is the only `start` that gets here.
        let _ = self.senders.set(Senders { receipts, channels });
        *self.worker.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Worker { handle, drain });
        tracing::info!(handler = %self.name, buffer, "push handler started");
        Ok(())
    }

    fn claim(&self) -> Result<(), HandlerError> {
        match self.initialized.swap(true, Ordering::AcqRel) {
            true => Err(HandlerError::AlreadyInitialized),
            false => Ok(()),
        }
    }

    /// True from `start` until `stop` closes the queues (or the worker dies).
    #[inline]
    pub fn is_ready(&self) -> bool {
        self.ready().is_some()
    }

    /// The senders while ready.
    #[inline]
    fn ready(&self) -> Option<&Senders> {
        self.senders.get().filter(|s| !s.receipts.is_closed())
    }

    /// Queues a receipt (cloning the `Arc`), or drops it if the queue is
    /// full or closed.
    #[inline]
    pub fn offer_receipt(&self, receipt: &Arc<Receipt>) -> Offer {
        self.count(self.senders.get().map_or(Offer::Closed, |s| offer(&s.receipts, receipt)))
    }

    /// Queues a channel request (cloning the `Arc`), or drops it if the
    /// queue is full or closed.
    #[inline]
    pub fn offer_channel(&self, req: &Arc<ChannelReq>) -> Offer {
        self.count(self.senders.get().map_or(Offer::Closed, |s| offer(&s.channels, req)))
    }

    /// [`offer_receipt`](Self::offer_receipt) if [`is_ready`](Self::is_ready)
    /// (one check instead of two), else `None` with nothing counted.
    #[inline]
    pub fn offer_receipt_if_ready(&self, receipt: &Arc<Receipt>) -> Option<Offer> {
        self.ready().map(|s| self.count(offer(&s.receipts, receipt)))
    }

    /// [`offer_channel`](Self::offer_channel) if [`is_ready`](Self::is_ready),
    /// else `None` with nothing counted.
    #[inline]
    pub fn offer_channel_if_ready(&self, req: &Arc<ChannelReq>) -> Option<Offer> {
        self.ready().map(|s| self.count(offer(&s.channels, req)))
    }

    #[inline]
    fn count(&self, offer: Offer) -> Offer {
        self.counters.offered(offer);
        offer
    }

    /// Closes the queues, lets the worker deliver what is queued for at most
    /// `grace`, then abandons the rest (counted as `abandoned`). When this
    /// returns the worker has ended. Concurrent and repeated calls wait for
    /// the first one and return.
    pub async fn stop(&self, grace: Duration) {
        let _stopping = self.stopping.lock().await;
        let taken = self.worker.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(Worker { mut handle, drain }) = taken else { return };
        let _ = drain.send(());
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

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.counters.snapshot()
    }
}

/// Reserves a slot first, so a full queue costs no reference counting.
#[inline]
fn offer<T>(queue: &mpsc::Sender<Arc<T>>, item: &Arc<T>) -> Offer {
    match queue.try_reserve() {
        Ok(slot) => {
            slot.send(Arc::clone(item));
            Offer::Accepted
        }
        Err(mpsc::error::TrySendError::Full(())) => Offer::Full,
        Err(mpsc::error::TrySendError::Closed(())) => Offer::Closed,
    }
}

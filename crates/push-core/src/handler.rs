//! The [`Handler`] port every push plugin implements, and the small types
//! it answers with ([`Offer`], [`Counters`]).
//!
//! It does not queue or deliver anything itself: plugins usually build on
//! [`Mailbox`](crate::Mailbox), which implements the queue, counters and
//! stop rules the conformance suite (feature `conformance`) checks, and get
//! this trait from [`Plugin`](crate::Plugin)'s blanket implementation.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::{ChannelReq, HandlerError, Receipt};

/// A push plugin (Tinode's `push.Handler`), used as `Arc<dyn Handler>`.
///
/// The contract, which the conformance suite checks:
/// - [`init`](Self::init) parses the handler's own JSON config and answers
///   `Ok(true)` when enabled and started, `Ok(false)` when disabled, an
///   error for a bad config; a second successful `init` is
///   [`HandlerError::AlreadyInitialized`];
/// - [`is_ready`](Self::is_ready) is true from an enabled `init` until
///   [`stop`](Self::stop);
/// - [`push`](Self::push) and [`channel`](Self::channel) never wait: they
///   put the item in a bounded queue or drop it, and count either way;
/// - `stop` drains the queue until `grace` has passed, then abandons the
///   rest; when it returns nothing more is delivered; it is idempotent.
#[async_trait]
pub trait Handler: Send + Sync {
    /// Reads the handler's config and, when enabled, starts its worker.
    async fn init(&self, config: &serde_json::Value) -> Result<bool, HandlerError>;

    /// True while the handler takes receipts.
    fn is_ready(&self) -> bool;

    /// Offers a receipt without waiting; the handler clones the `Arc` only
    /// if it takes the receipt, so a drop costs no reference counting.
    fn push(&self, receipt: &Arc<Receipt>) -> Offer;

    /// Offers a channel subscription request without waiting.
    fn channel(&self, req: &Arc<ChannelReq>) -> Offer;

    /// [`push`](Self::push) if [`is_ready`](Self::is_ready), else `None`
    /// with nothing counted; what [`Registry::push`](crate::Registry::push)
    /// calls. Override it when one combined check is cheaper than the two
    /// calls (as [`Plugin`](crate::Plugin)'s implementation does).
    fn push_if_ready(&self, receipt: &Arc<Receipt>) -> Option<Offer> {
        self.is_ready().then(|| self.push(receipt))
    }

    /// [`channel`](Self::channel) if [`is_ready`](Self::is_ready), else
    /// `None` with nothing counted; see [`push_if_ready`](Self::push_if_ready).
    fn channel_if_ready(&self, req: &Arc<ChannelReq>) -> Option<Offer> {
        self.is_ready().then(|| self.channel(req))
    }

    /// The [`Mailbox`](crate::Mailbox) this handler's `push`, `channel`,
    /// `is_ready`, `stop` and `counters` are exactly the calls of, if any
    /// ([`Plugin`](crate::Plugin)'s implementation says so). A
    /// [`Registry`](crate::Registry) then keeps the mailbox's queues with
    /// its other mailboxes' and offers each receipt to all of them under
    /// one lock, instead of calling [`push_if_ready`](Self::push_if_ready).
    /// `None` (the default) for handlers with queueing of their own.
    fn as_mailbox(&self) -> Option<&crate::Mailbox> {
        None
    }

    /// Stops the worker: delivers what is queued for at most `grace`, then
    /// abandons the rest. Returns at once if not running.
    async fn stop(&self, grace: Duration);

    /// The handler's counters so far.
    fn counters(&self) -> Counters;
}

/// What happened to one offered receipt or channel request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offer {
    /// Queued for delivery.
    Accepted,
    /// Dropped: the queue was full.
    Full,
    /// Dropped: the handler is not running (never enabled, or stopped).
    Closed,
}

impl Offer {
    /// True for [`Offer::Accepted`].
    pub fn is_accepted(self) -> bool {
        self == Offer::Accepted
    }
}

/// How many receipts and channel requests a handler took and what became
/// of them. Once a handler has stopped,
/// `accepted == delivered + failed + abandoned`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Counters {
    /// Offered and queued.
    pub accepted: u64,
    /// Offered and refused (queue full, or handler not running).
    pub dropped: u64,
    /// Delivered successfully.
    pub delivered: u64,
    /// Delivery attempted and failed.
    pub failed: u64,
    /// Queued (or in flight) when `stop`'s grace ran out.
    pub abandoned: u64,
}

impl Counters {
    /// Accepted items not yet delivered, failed or abandoned.
    pub fn pending(&self) -> u64 {
        self.accepted.saturating_sub(self.delivered + self.failed + self.abandoned)
    }
}

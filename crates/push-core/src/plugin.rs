//! [`Plugin`]: a [`Handler`] built on a [`Mailbox`], so a plugin writes only
//! its config handling and its [`Deliver`](crate::Deliver); the blanket
//! implementation supplies the rest of the port.
//!
//! It does not fit a plugin that needs its own queueing; such a plugin
//! implements [`Handler`] directly.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::{ChannelReq, Counters, Handler, HandlerError, Mailbox, Offer, Receipt};

/// A push plugin whose queue, worker, counters and stop are its [`Mailbox`].
///
/// ```
/// use std::sync::Arc;
/// use push_core::{ChannelReq, Deliver, DeliveryError, Handler, HandlerError, Mailbox, Plugin, Receipt};
///
/// struct Forget;
///
/// #[async_trait::async_trait]
/// impl Deliver for Forget {
///     async fn receipt(&mut self, _: Arc<Receipt>) -> Result<(), DeliveryError> { Ok(()) }
///     async fn channel(&mut self, _: Arc<ChannelReq>) -> Result<(), DeliveryError> { Ok(()) }
/// }
///
/// struct Noop(Mailbox);
///
/// #[async_trait::async_trait]
/// impl Plugin for Noop {
///     fn mailbox(&self) -> &Mailbox { &self.0 }
///     async fn setup(&self, _config: &serde_json::Value) -> Result<bool, HandlerError> {
///         self.0.start(16, Forget).map(|()| true)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), HandlerError> {
/// let handler: Arc<dyn Handler> = Arc::new(Noop(Mailbox::new("noop")));
/// assert!(handler.init(&serde_json::json!({})).await?);
/// assert!(handler.is_ready());
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait Plugin: Send + Sync {
    /// The mailbox the plugin's `setup` starts or disables.
    fn mailbox(&self) -> &Mailbox;

    /// [`Handler::init`]: reads the config, then calls
    /// [`Mailbox::start`] (enabled) or [`Mailbox::disable`].
    async fn setup(&self, config: &serde_json::Value) -> Result<bool, HandlerError>;
}

#[async_trait]
impl<P: Plugin> Handler for P {
    async fn init(&self, config: &serde_json::Value) -> Result<bool, HandlerError> {
        self.setup(config).await
    }

    fn is_ready(&self) -> bool {
        Plugin::mailbox(self).is_ready()
    }

    fn push(&self, receipt: &Arc<Receipt>) -> Offer {
        Plugin::mailbox(self).offer_receipt(receipt)
    }

    fn channel(&self, req: &Arc<ChannelReq>) -> Offer {
        Plugin::mailbox(self).offer_channel(req)
    }

    fn push_if_ready(&self, receipt: &Arc<Receipt>) -> Option<Offer> {
        Plugin::mailbox(self).offer_receipt_if_ready(receipt)
    }

    fn channel_if_ready(&self, req: &Arc<ChannelReq>) -> Option<Offer> {
        Plugin::mailbox(self).offer_channel_if_ready(req)
    }

    fn as_mailbox(&self) -> Option<&Mailbox> {
        Some(Plugin::mailbox(self))
    }

    async fn stop(&self, grace: Duration) {
        Plugin::mailbox(self).stop(grace).await;
    }

    fn counters(&self) -> Counters {
        Plugin::mailbox(self).counters()
    }
}

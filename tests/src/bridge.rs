//! The one place two domains meet: a VK `message_new` handled by the
//! callback server becomes a push [`Receipt`] offered to a push
//! [`Registry`]. Only this integration crate composes domains; the crates
//! themselves never depend on each other.
//!
//! Rules: the receipt is built from the event alone ([`receipt_for`]), so
//! it is deterministic; when no push handler accepts it, the handler asks VK
//! to redeliver later (503 with `Retry-After`), so a push outage loses no
//! message — vk-callback releases the event id for the redelivery. It does
//! not look up devices or unread counts; recipients are fixed at build time.
//! A redelivery that arrives while the first delivery is still being handled
//! is asked to retry (503) by vk-callback, so a deferral cannot be lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use push_core::{Action, MAX_PAYLOAD_CHARS, Payload, Receipt, Registry, Timestamp};
use vk_callback::CallbackBuilder;
use vk_callback::events::Message;

/// How long VK is asked to wait when no push handler took the receipt.
pub const RETRY_DELAY: Duration = Duration::from_secs(30);

/// The push topic of a VK conversation: `vk<group>_<peer>`.
pub fn topic(group_id: i64, peer_id: i64) -> String {
    format!("vk{group_id}_{peer_id}")
}

/// The receipt a VK message becomes: a `msg` push about the conversation's
/// topic, from `vk<from_id>`, seq = the conversation message id, the text
/// (cut to [`MAX_PAYLOAD_CHARS`] characters) as `text/plain` content, to
/// every recipient.
///
/// ```
/// # use push_core::Action;
/// # use vk_callback::events::Message;
/// let message = Message::default();
/// let receipt = integration_tests::bridge::receipt_for(1, &message, &["usrAdmin".into()]);
/// assert_eq!(receipt.payload.what, Action::Msg);
/// assert!(receipt.to.contains_key("usrAdmin"));
/// ```
pub fn receipt_for(group_id: i64, message: &Message, recipients: &[String]) -> Receipt {
    let ts = Timestamp::from_unix(message.date, 0).unwrap_or(Timestamp::UNIX_EPOCH);
    let from = format!("vk{}", message.from_id);
    let mut payload = Payload::new(Action::Msg, &topic(group_id, message.peer_id), &from, ts);
    payload.seq = u64::try_from(message.conversation_message_id).unwrap_or(0);
    payload.mime = "text/plain".to_owned();
    let text: String = message.text.chars().take(MAX_PAYLOAD_CHARS).collect();
    payload.content = Some(serde_json::Value::String(text));
    crate::push::addressed(payload, recipients)
}

/// What the bridge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeCounts {
    /// `message_new` events handled.
    pub messages: u64,
    /// Receipts at least one push handler accepted.
    pub pushed: u64,
    /// Events sent back to VK for redelivery (no handler accepted).
    pub deferred: u64,
    /// Events no handler accepted that could not be deferred either (the
    /// server runs in background mode, so VK already got `ok`).
    pub unpushed: u64,
}

/// Turns VK messages into pushes.
#[derive(Debug)]
pub struct Bridge {
    registry: Arc<Registry>,
    recipients: Vec<String>,
    messages: AtomicU64,
    pushed: AtomicU64,
    deferred: AtomicU64,
    unpushed: AtomicU64,
}

impl Bridge {
    /// A bridge pushing to `registry` for `recipients`.
    pub fn new(registry: Arc<Registry>, recipients: Vec<String>) -> Arc<Bridge> {
        Arc::new(Bridge {
            registry,
            recipients,
            messages: AtomicU64::new(0),
            pushed: AtomicU64::new(0),
            deferred: AtomicU64::new(0),
            unpushed: AtomicU64::new(0),
        })
    }

    /// Registers the `message_new` handler on `builder`.
    pub fn install(self: &Arc<Bridge>, builder: CallbackBuilder) -> CallbackBuilder {
        let bridge = Arc::clone(self);
        builder.message_new(move |ctx, new| {
            bridge.messages.fetch_add(1, Ordering::Relaxed);
            let receipt = receipt_for(ctx.group_id(), &new.message, &bridge.recipients);
            if bridge.registry.push(receipt) > 0 {
                bridge.pushed.fetch_add(1, Ordering::Relaxed);
            } else if ctx.retry_after(503, RETRY_DELAY).is_ok() {
                bridge.deferred.fetch_add(1, Ordering::Relaxed);
            } else {
                // background mode already answered `ok`: nothing can defer it
                bridge.unpushed.fetch_add(1, Ordering::Relaxed);
            }
            async {}
        })
    }

    /// The counts so far.
    pub fn counts(&self) -> BridgeCounts {
        BridgeCounts {
            messages: self.messages.load(Ordering::Relaxed),
            pushed: self.pushed.load(Ordering::Relaxed),
            deferred: self.deferred.load(Ordering::Relaxed),
            unpushed: self.unpushed.load(Ordering::Relaxed),
        }
    }
}

//! The second cross-domain composition: Telegram messages the updates
//! manager delivers (exactly once, in order) become push receipts through a
//! push [`Registry`] — so network duplicates, gap recovery and a restart
//! never push a message twice or skip one.
//!
//! It handles new messages only (private and channel); edits, deletions
//! and secret-chat updates push nothing. It does not render text: the
//! message's payload travels as the receipt's content.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use push_core::{Action, Payload, Receipt, Registry, Timestamp};
use updates_core::{Batch, Handler, HandlerError, Message, Peer, Update};

/// The push topic of a Telegram chat: `tgu<id>`, `tgc<id>` (basic group),
/// `tgch<id>` (channel), `tg` when unknown.
pub fn topic(peer: Option<Peer>) -> String {
    match peer {
        Some(Peer::User(id)) => format!("tgu{id}"),
        Some(Peer::Chat(id)) => format!("tgc{id}"),
        Some(Peer::Channel(id)) => format!("tgch{id}"),
        None => "tg".to_owned(),
    }
}

/// The receipt a new Telegram message becomes: a `msg` push about its
/// chat's topic, seq = the message id, the payload as `application/json`
/// content, to every recipient.
pub fn receipt_for(message: &Message, recipients: &[String]) -> Receipt {
    let ts = Timestamp::from_unix(i64::from(message.date), 0).unwrap_or(Timestamp::UNIX_EPOCH);
    let from = message.from_id.or(message.peer_id);
    let mut payload = Payload::new(Action::Msg, &topic(message.peer_id), &topic(from), ts);
    payload.seq = u64::try_from(message.id).unwrap_or(0);
    payload.mime = "application/json".to_owned();
    payload.content = Some(message.payload.clone());
    crate::push::addressed(payload, recipients)
}

/// What the handler did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TelegramPushCounts {
    /// New messages delivered by the manager.
    pub messages: u64,
    /// Receipts at least one push handler accepted.
    pub pushed: u64,
    /// Receipts no push handler accepted (reported to the manager as a
    /// handler error; the batch is not redelivered).
    pub unpushed: u64,
}

/// An updates [`Handler`] pushing every new message.
#[derive(Debug)]
pub struct TelegramToPush {
    registry: Arc<Registry>,
    recipients: Vec<String>,
    messages: AtomicU64,
    pushed: AtomicU64,
    unpushed: AtomicU64,
}

impl TelegramToPush {
    /// A handler pushing to `registry` for `recipients`.
    pub fn new(registry: Arc<Registry>, recipients: Vec<String>) -> Arc<TelegramToPush> {
        Arc::new(TelegramToPush {
            registry,
            recipients,
            messages: AtomicU64::new(0),
            pushed: AtomicU64::new(0),
            unpushed: AtomicU64::new(0),
        })
    }

    /// The counts so far.
    pub fn counts(&self) -> TelegramPushCounts {
        TelegramPushCounts {
            messages: self.messages.load(Ordering::Relaxed),
            pushed: self.pushed.load(Ordering::Relaxed),
            unpushed: self.unpushed.load(Ordering::Relaxed),
        }
    }
}

#[async_trait]
impl Handler for TelegramToPush {
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
        let mut unpushed = 0;
        for update in &batch.updates {
            let (Update::NewMessage { message, .. } | Update::NewChannelMessage { message, .. }) =
                update
            else {
                continue;
            };
            self.messages.fetch_add(1, Ordering::Relaxed);
            if self.registry.push(receipt_for(message, &self.recipients)) > 0 {
                self.pushed.fetch_add(1, Ordering::Relaxed);
            } else {
                self.unpushed.fetch_add(1, Ordering::Relaxed);
                unpushed += 1;
            }
        }
        if unpushed > 0 {
            return Err(format!("{unpushed} message(s) had no push handler to take them").into());
        }
        Ok(())
    }
}

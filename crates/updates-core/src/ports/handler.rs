//! `Handler`: receives ordered batches of updates, and `Batch` /
//! `Checkpoint`, what a batch carries.

use async_trait::async_trait;

use crate::error::HandlerError;
use crate::tl::{Chat, State, Update, User};

/// The state that becomes durable once the handler returned for a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    /// The batch holds only unsequenced updates.
    None,
    /// The common state (pts, qts, date, seq) after the batch.
    Common(State),
    /// A channel's pts after the batch.
    Channel {
        /// The channel.
        channel_id: i64,
        /// Its pts after the batch.
        pts: i32,
    },
}

/// Updates delivered together, in order, with the entities they reference.
///
/// Sequenced updates of one box (the common box or one channel) are never
/// split across boxes inside a batch; unsequenced updates ride along with
/// whatever batch is open. A batch with no updates only persists its
/// checkpoint and is never passed to the handler.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The updates, in delivery order.
    pub updates: Vec<Update>,
    /// Users referenced (with `min` hashes backfilled where known).
    pub users: Vec<User>,
    /// Chats referenced (with `min` channel hashes backfilled where known).
    pub chats: Vec<Chat>,
    /// What becomes durable once the handler returns.
    pub checkpoint: Checkpoint,
}

/// Receives batches. Called from the manager's single run task, one batch
/// at a time, so ordering holds across all boxes as delivered.
///
/// Returning an error reports it through
/// [`Config::on_error`](crate::Config::on_error); the batch still counts as
/// delivered (it is not retried) and its checkpoint is persisted.
#[async_trait]
pub trait Handler: Send + Sync {
    /// Handles one batch.
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError>;
}

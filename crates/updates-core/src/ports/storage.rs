//! `StateStorage`: where the account's common state and per-channel pts
//! live between runs.

use async_trait::async_trait;

use crate::error::StorageError;
use crate::tl::State;

/// Everything one checkpoint makes durable, written by
/// [`StateStorage::write_checkpoint`] as one unit.
///
/// The manager fills it once per delivered batch: the common state when it
/// changed, the channel pts the batch reached, and every channel pts whose
/// earlier write failed (retried here rather than dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateWrite {
    /// The whole common state, replacing the stored one (as
    /// [`StateStorage::set_state`]: channel pts are kept).
    pub state: Option<State>,
    /// `(channel_id, pts)` pairs to store; ids are distinct.
    pub channels: Vec<(i64, i32)>,
}

impl StateWrite {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.state.is_none() && self.channels.is_empty()
    }

    /// Empties it, keeping its allocation.
    pub fn clear(&mut self) {
        self.state = None;
        self.channels.clear();
    }
}

/// Persistent update state, keyed by the account's user id.
///
/// Contract (checked by the `conformance` suite):
/// - the partial setters (`set_pts`, `set_qts`, `set_date`, `set_seq`,
///   `set_date_seq`) fail with [`StorageError::StateNotFound`] when no
///   state is stored for the account, and change only their fields;
/// - `set_state` replaces the common state and **keeps** channel pts;
/// - channel pts are independent of the common state and of each other;
/// - `delete_channel` removes one channel's pts (an absent one is `Ok`);
/// - `write_checkpoint` has the effect of `set_state` (when it carries a
///   state) followed by `set_channel_pts` for each pair; a backend that
///   can should make it one atomic transaction (all or nothing), and one
///   `fsync` at most when it syncs at all;
/// - accounts never see each other's data.
#[async_trait]
pub trait StateStorage: Send + Sync {
    /// The stored common state, if any.
    async fn get_state(&self, user_id: i64) -> Result<Option<State>, StorageError>;
    /// Stores the whole common state.
    async fn set_state(&self, user_id: i64, state: State) -> Result<(), StorageError>;
    /// Sets pts of an existing state.
    async fn set_pts(&self, user_id: i64, pts: i32) -> Result<(), StorageError>;
    /// Sets qts of an existing state.
    async fn set_qts(&self, user_id: i64, qts: i32) -> Result<(), StorageError>;
    /// Sets date of an existing state.
    async fn set_date(&self, user_id: i64, date: i32) -> Result<(), StorageError>;
    /// Sets seq of an existing state.
    async fn set_seq(&self, user_id: i64, seq: i32) -> Result<(), StorageError>;
    /// Sets date and seq of an existing state at once.
    async fn set_date_seq(&self, user_id: i64, date: i32, seq: i32) -> Result<(), StorageError>;
    /// A channel's stored pts, if any.
    async fn get_channel_pts(
        &self,
        user_id: i64,
        channel_id: i64,
    ) -> Result<Option<i32>, StorageError>;
    /// Stores a channel's pts (no common state needed).
    async fn set_channel_pts(
        &self,
        user_id: i64,
        channel_id: i64,
        pts: i32,
    ) -> Result<(), StorageError>;
    /// Removes a channel's stored pts (the manager calls it when the channel
    /// became inaccessible). Deleting a channel that is not stored is `Ok`.
    async fn delete_channel(&self, user_id: i64, channel_id: i64) -> Result<(), StorageError>;
    /// Writes one checkpoint: the common state, if any, then every channel
    /// pts. The default calls [`set_state`](StateStorage::set_state) and
    /// [`set_channel_pts`](StateStorage::set_channel_pts) one by one (not
    /// atomic); durable backends override it with one transaction.
    async fn write_checkpoint(&self, user_id: i64, write: &StateWrite) -> Result<(), StorageError> {
        if let Some(state) = write.state {
            self.set_state(user_id, state).await?;
        }
        for &(channel_id, pts) in &write.channels {
            self.set_channel_pts(user_id, channel_id, pts).await?;
        }
        Ok(())
    }
    /// Calls `f(channel_id, pts)` for every stored channel of the account.
    async fn for_each_channel(
        &self,
        user_id: i64,
        f: &mut (dyn FnMut(i64, i32) + Send),
    ) -> Result<(), StorageError>;
}

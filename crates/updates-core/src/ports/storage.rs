//! `StateStorage`: where the account's common state and per-channel pts
//! live between runs.

use async_trait::async_trait;

use crate::error::StorageError;
use crate::tl::State;

/// Persistent update state, keyed by the account's user id.
///
/// Contract (checked by the `conformance` suite):
/// - the partial setters (`set_pts`, `set_qts`, `set_date`, `set_seq`,
///   `set_date_seq`) fail with [`StorageError::StateNotFound`] when no
///   state is stored for the account, and change only their fields;
/// - `set_state` replaces the common state and **keeps** channel pts;
/// - channel pts are independent of the common state and of each other;
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
    /// Calls `f(channel_id, pts)` for every stored channel of the account.
    async fn for_each_channel(
        &self,
        user_id: i64,
        f: &mut (dyn FnMut(i64, i32) + Send),
    ) -> Result<(), StorageError>;
}

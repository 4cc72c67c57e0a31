//! `ChannelAccessHasher`: full channel access hashes, needed to build the
//! `inputChannel` of getChannelDifference.

use async_trait::async_trait;

use crate::error::StorageError;

/// Channel access hashes keyed by (account user id, channel id). The
/// manager stores only full hashes, never `min` ones.
#[async_trait]
pub trait ChannelAccessHasher: Send + Sync {
    /// Stores (or replaces) a hash.
    async fn set_channel_access_hash(
        &self,
        user_id: i64,
        channel_id: i64,
        access_hash: i64,
    ) -> Result<(), StorageError>;
    /// A stored hash, if any.
    async fn get_channel_access_hash(
        &self,
        user_id: i64,
        channel_id: i64,
    ) -> Result<Option<i64>, StorageError>;
}

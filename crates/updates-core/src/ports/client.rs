//! `RawClient`: the three RPCs the manager issues, implemented by the user
//! on top of their MTProto client.

use async_trait::async_trait;

use crate::error::ClientError;
use crate::tl::{ChannelDifference, Difference, GetChannelDifference, GetDifference, State};

/// The RPCs the manager needs. Implementations convert to and from their
/// MTProto library's types; they must not retry on their own beyond what
/// the transport does (the manager schedules retries and honours
/// `FLOOD_WAIT_X`).
#[async_trait]
pub trait RawClient: Send + Sync {
    /// `updates.getState`.
    async fn get_state(&self) -> Result<State, ClientError>;
    /// `updates.getDifference`.
    async fn get_difference(&self, request: GetDifference) -> Result<Difference, ClientError>;
    /// `updates.getChannelDifference` with `channelMessagesFilterEmpty`.
    async fn get_channel_difference(
        &self,
        request: GetChannelDifference,
    ) -> Result<ChannelDifference, ClientError>;
}

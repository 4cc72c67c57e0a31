//! [`QuietClient`]: a client whose server has nothing to tell, for runs
//! where every update arrives by `Manager::handle` (benchmarks of the
//! in-order path). It does not generate updates; [`super::FakeServer`] does.

use async_trait::async_trait;

use crate::error::ClientError;
use crate::ports::RawClient;
use crate::tl::{ChannelDifference, Difference, GetChannelDifference, GetDifference, State};

/// Answers `getState` with `state` and every difference as empty.
#[derive(Debug, Clone, Copy)]
pub struct QuietClient {
    /// What `getState` answers.
    pub state: State,
}

#[async_trait]
impl RawClient for QuietClient {
    async fn get_state(&self) -> Result<State, ClientError> {
        Ok(self.state)
    }

    async fn get_difference(&self, r: GetDifference) -> Result<Difference, ClientError> {
        Ok(Difference::Empty { date: r.date, seq: 0 })
    }

    async fn get_channel_difference(
        &self,
        r: GetChannelDifference,
    ) -> Result<ChannelDifference, ClientError> {
        Ok(ChannelDifference::Empty { is_final: true, pts: r.pts, timeout: None })
    }
}

//! Persisting a batch's checkpoint after the handler returned, as one
//! [`StateStorage::write_checkpoint`](crate::StateStorage::write_checkpoint)
//! call, and forgetting channels that became inaccessible.
//!
//! A failed write is reported and retried: the common state is written
//! again with the next checkpoint until a write succeeds, and a channel
//! whose write failed rides along with the next checkpoint of any box. A
//! failed delete is retried after the next successful checkpoint.

use super::Runner;
use crate::error::Error;
use crate::ports::Checkpoint;

impl Runner {
    pub(super) async fn persist(&mut self, checkpoint: Checkpoint) {
        let mut write = std::mem::take(&mut self.write);
        write.clear();
        match checkpoint {
            Checkpoint::None => {}
            Checkpoint::Channel { channel_id, pts } => {
                self.unsaved.insert(channel_id, pts);
                self.undeleted.remove(&channel_id);
            }
            // a state equal to the stored one also cancels an older unsaved one
            Checkpoint::Common(s) => self.pending = (s != self.persisted).then_some(s),
        }
        write.state = self.pending;
        write.channels.extend(self.unsaved.iter().map(|(c, p)| (*c, *p)));
        if write.is_empty() {
            self.write = write;
            return;
        }
        match self.config.storage.write_checkpoint(self.user_id, &write).await {
            Ok(()) => {
                if let Some(s) = write.state {
                    self.persisted = s;
                }
                self.pending = None;
                self.unsaved.clear();
                self.write = write;
                self.retry_deletes().await;
            }
            Err(source) => {
                // `pending` and `unsaved` are kept: written with the next one
                self.write = write;
                self.report(Error::Storage { during: "persisting a checkpoint", source });
            }
        }
    }

    /// Drops a channel's stored pts once the engine dropped the channel,
    /// so the next start does not catch it up (and fail) again.
    pub(super) async fn forget_channel(&mut self, channel_id: i64) {
        self.unsaved.remove(&channel_id);
        if let Err(source) = self.config.storage.delete_channel(self.user_id, channel_id).await {
            self.undeleted.insert(channel_id);
            self.report(Error::Storage { during: "deleting an inaccessible channel", source });
        }
    }

    async fn retry_deletes(&mut self) {
        let retry: Vec<i64> = self.undeleted.iter().copied().collect();
        for channel_id in retry {
            match self.config.storage.delete_channel(self.user_id, channel_id).await {
                Ok(()) => {
                    self.undeleted.remove(&channel_id);
                }
                Err(source) => {
                    self.report(Error::Storage {
                        during: "deleting an inaccessible channel",
                        source,
                    });
                    return;
                }
            }
        }
    }

    pub(super) fn report(&self, error: Error) {
        tracing::warn!(error = %error, "updates manager error");
        (self.config.on_error)(&error);
    }
}

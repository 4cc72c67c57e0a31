//! Persisting a batch's checkpoint after the handler returned, with the
//! narrowest storage call that covers what changed.
//!
//! A failed write is reported and retried: the next common checkpoint is
//! diffed against the last state written successfully, and a channel whose
//! write failed is written again with the next checkpoint of any box.

use super::Runner;
use crate::error::Error;
use crate::ports::Checkpoint;

impl Runner {
    pub(super) async fn persist(&mut self, checkpoint: Checkpoint) {
        let storage = &self.config.storage;
        let user = self.user_id;
        let result = match checkpoint {
            Checkpoint::None => return,
            Checkpoint::Channel { channel_id, pts } => {
                self.unsaved.remove(&channel_id);
                let r = storage.set_channel_pts(user, channel_id, pts).await;
                if r.is_err() {
                    self.unsaved.insert(channel_id, pts);
                }
                r
            }
            Checkpoint::Common(s) if s == self.persisted => Ok(()),
            Checkpoint::Common(s) => {
                let old = self.persisted;
                let pts = s.pts != old.pts;
                let qts = s.qts != old.qts;
                let date = s.date != old.date;
                let seq = s.seq != old.seq;
                let result = match (pts, qts, date, seq) {
                    (true, false, false, false) => storage.set_pts(user, s.pts).await,
                    (false, true, false, false) => storage.set_qts(user, s.qts).await,
                    (false, false, true, false) => storage.set_date(user, s.date).await,
                    (false, false, false, true) => storage.set_seq(user, s.seq).await,
                    (false, false, true, true) => storage.set_date_seq(user, s.date, s.seq).await,
                    _ => storage.set_state(user, s).await,
                };
                if result.is_ok() {
                    self.persisted = s;
                }
                result
            }
        };
        if let Err(source) = result {
            self.report(Error::Storage { during: "persisting a checkpoint", source });
            return;
        }
        let retry: Vec<(i64, i32)> = self.unsaved.iter().map(|(c, p)| (*c, *p)).collect();
        for (channel_id, pts) in retry {
            match self.config.storage.set_channel_pts(user, channel_id, pts).await {
                Ok(()) => {
                    self.unsaved.remove(&channel_id);
                }
                Err(source) => {
                    self.report(Error::Storage { during: "persisting a checkpoint", source });
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

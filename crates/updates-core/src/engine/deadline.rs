//! Deadlines: the common gap/idle/retry timers and the channel wake-up
//! heap, fired from [`Engine::poll`] and reported by
//! [`Engine::next_deadline`].

use std::cmp::Reverse;
use std::time::Instant;

use super::{Engine, Fetch};

fn due(at: &mut Option<Instant>, now: Instant) -> bool {
    if at.is_some_and(|t| t <= now) {
        *at = None;
        true
    } else {
        false
    }
}

impl Engine {
    /// The earliest instant at which [`Engine::poll`] has work to do
    /// (never later than the idle deadline).
    pub fn next_deadline(&self) -> Instant {
        let mut next = self.idle_at;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = next.min(t);
            }
        };
        if self.fetch == Fetch::Idle {
            consider(self.pts_box.deadline);
            consider(self.qts_box.deadline);
            consider(self.seq_box.deadline);
        }
        if let Fetch::Retry { at } = self.fetch {
            consider(Some(at));
        }
        consider(self.wakeups.peek().map(|Reverse((at, _))| *at));
        next
    }

    pub(super) fn fire_deadlines(&mut self, now: Instant) {
        if let Fetch::Retry { at } = self.fetch
            && at <= now
        {
            self.fetch = Fetch::Idle;
            self.want_difference(now);
        }
        if self.fetch == Fetch::Idle {
            let gap = due(&mut self.pts_box.deadline, now)
                | due(&mut self.qts_box.deadline, now)
                | due(&mut self.seq_box.deadline, now);
            if gap {
                tracing::debug!("gap not filled in time: fetching difference");
                self.want_difference(now);
            }
        }
        if self.idle_at <= now {
            self.idle_at = now + self.cfg.idle_timeout;
            tracing::debug!("idle: fetching difference");
            self.want_difference(now);
        }
        while let Some(&Reverse((at, id))) = self.wakeups.peek() {
            if at > now {
                break;
            }
            self.wakeups.pop();
            let Some(ch) = self.channels.get_mut(&id) else { continue };
            let mut gap_at = ch.pending.deadline();
            let gap = due(&mut gap_at, now);
            if gap {
                ch.pending.set_deadline(None);
            }
            let retry = due(&mut ch.retry_at, now);
            let poll = due(&mut ch.poll_at, now);
            if retry && !ch.is_tracked() {
                tracing::debug!(channel_id = id, "retrying the adoption of a channel");
                self.out.push(super::Action::ResolveChannel { channel_id: id });
            } else if gap || retry || poll {
                tracing::debug!(channel_id = id, gap, retry, poll, "channel deadline");
                self.want_channel(id, now);
            }
        }
    }
}

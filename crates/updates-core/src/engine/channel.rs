//! Per-channel boxes: routing live channel updates, adopting unknown
//! channels (stored pts, access hash, peek difference), queueing
//! getChannelDifference under the concurrency cap.
//!
//! A channel costs one map entry and no timer while idle; its deadlines
//! live in the engine's single wake-up heap. Answers to
//! getChannelDifference are applied in `difference.rs`.

use std::cmp::Reverse;
use std::time::Instant;

use super::Engine;
use super::gapbox::{Item, LazyGap};
use super::output::Action;
use crate::error::Error;
use crate::ports::Checkpoint;
use crate::tl::{GetChannelDifference, GetDifference, InputChannel};

/// Where a channel stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Phase {
    /// Unknown channel: waiting for stored pts / hash (or a peek).
    Resolving(Box<Resolve>),
    /// Tracked, nothing to fetch.
    Idle,
    /// Waiting for a getChannelDifference slot.
    Queued,
    /// getChannelDifference in flight.
    InFlight { pages: u32, request_pts: i32 },
}

/// What is known while adopting an unknown channel (boxed: rare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Resolve {
    hint_pts: Option<i32>,
    date: i32,
    peeked: bool,
    stored: Option<i32>,
}

impl Phase {
    fn resolving(hint_pts: Option<i32>, date: i32) -> Phase {
        Phase::Resolving(Box::new(Resolve { hint_pts, date, peeked: false, stored: None }))
    }
}

/// One channel box.
#[derive(Debug)]
pub(super) struct Channel {
    pub(super) pts: i32,
    pub(super) access_hash: Option<i64>,
    pub(super) pending: LazyGap,
    pub(super) phase: Phase,
    pub(super) retry_at: Option<Instant>,
    pub(super) poll_at: Option<Instant>,
    /// Fetch again once the fetch in flight ends.
    pub(super) again: bool,
    pub(super) failures: u32,
}

impl Channel {
    fn new(pts: i32, access_hash: Option<i64>, phase: Phase) -> Channel {
        Channel {
            pts,
            access_hash,
            pending: LazyGap::default(),
            phase,
            retry_at: None,
            poll_at: None,
            again: false,
            failures: 0,
        }
    }

    pub(super) fn is_tracked(&self) -> bool {
        !matches!(self.phase, Phase::Resolving(_))
    }

    pub(super) fn is_quiet(&self) -> bool {
        self.phase == Phase::Idle && self.pending.is_empty() && self.retry_at.is_none()
    }
}

impl Engine {
    /// Tracks a channel loaded from storage. With
    /// [`EngineConfig::catch_up_channels`](super::EngineConfig::catch_up_channels)
    /// it is fetched once (under the concurrency cap).
    pub fn load_channel(&mut self, channel_id: i64, pts: i32, access_hash: i64, now: Instant) {
        let mut ch = Channel::new(pts, Some(access_hash), Phase::Idle);
        if let Some(poll) = self.cfg.channel_poll {
            // spread first polls over the interval instead of a burst
            let slot = u32::try_from(channel_id.rem_euclid(1024)).unwrap_or(0);
            let at = now + poll + poll / 1024 * slot;
            ch.poll_at = Some(at);
            self.wakeups.push(Reverse((at, channel_id)));
        }
        self.channels.insert(channel_id, ch);
        if self.cfg.catch_up_channels {
            self.want_channel(channel_id, now);
        }
    }

    /// Feeds one channel item (an update or an affected marker). `urgent`
    /// items come from a common difference: a hole is fetched at once.
    pub(super) fn push_channel(&mut self, id: i64, item: Item, urgent: bool, now: Instant) {
        let arrival = self.next_arrival();
        let Some(ch) = self.channels.get_mut(&id) else {
            let date = item.update.as_ref().and_then(|u| u.message()).map_or(0, |m| m.date);
            let mut ch = Channel::new(0, None, Phase::resolving(None, date));
            ch.pending.insert(item, arrival);
            self.channels.insert(id, ch);
            tracing::debug!(channel_id = id, "update for an unknown channel: resolving");
            self.out.push(Action::ResolveChannel { channel_id: id });
            return;
        };
        match ch.phase {
            Phase::Resolving(_) => ch.pending.insert(item, arrival),
            Phase::Queued | Phase::InFlight { .. } => {
                if item.start >= ch.pts {
                    ch.pending.insert(item, arrival);
                }
            }
            Phase::Idle => {
                if item.start < ch.pts {
                    tracing::trace!(channel_id = id, pts = item.end, "dropping duplicate");
                } else if item.start == ch.pts && ch.pending.is_empty() {
                    ch.pts = item.end;
                    let checkpoint = Checkpoint::Channel { channel_id: id, pts: ch.pts };
                    self.out.deliver(item.update, item.entities.as_ref(), checkpoint);
                } else {
                    let gap = item.start > ch.pts;
                    ch.pending.insert(item, arrival);
                    self.drain_channel(id, now);
                    if gap && urgent {
                        self.want_channel(id, now);
                    }
                }
            }
        }
    }

    /// Applies what became contiguous in a channel and re-arms its gap
    /// deadline for what remains.
    pub(super) fn drain_channel(&mut self, id: i64, now: Instant) {
        let Some(ch) = self.channels.get_mut(&id) else { return };
        let mut progressed = false;
        while let Some(item) = ch.pending.pop_ready(&mut ch.pts) {
            progressed = true;
            let checkpoint = Checkpoint::Channel { channel_id: id, pts: ch.pts };
            self.out.deliver(item.update, item.entities.as_ref(), checkpoint);
        }
        let before = ch.pending.deadline();
        ch.pending.settle(progressed, now + self.cfg.gap_timeout);
        if let Some(at) = ch.pending.deadline()
            && before != Some(at)
        {
            self.wakeups.push(Reverse((at, id)));
        }
    }

    /// `updateChannelTooLong`: fetch the channel (adopting it first if it
    /// is unknown; `pts` is only used when nothing is stored).
    pub(super) fn channel_too_long(&mut self, id: i64, pts: Option<i32>, now: Instant) {
        match self.channels.get_mut(&id) {
            Some(ch) => match &mut ch.phase {
                Phase::Resolving(r) => r.hint_pts = r.hint_pts.or(pts),
                _ => self.want_channel(id, now),
            },
            None => {
                self.channels.insert(id, Channel::new(0, None, Phase::resolving(pts, 0)));
                self.out.push(Action::ResolveChannel { channel_id: id });
            }
        }
    }

    /// The driver's answer to [`Action::ResolveChannel`]: the stored pts
    /// and access hash (either may be missing; lookup errors count as
    /// missing). Without a hash a peek difference is requested once; if
    /// that finds none either, the buffered updates are dropped and
    /// reported.
    pub fn channel_resolved(
        &mut self,
        channel_id: i64,
        stored_pts: Option<i32>,
        access_hash: Option<i64>,
        now: Instant,
    ) {
        let known = self.hashes.get(&channel_id).copied();
        let state = self.state;
        let Some(ch) = self.channels.get_mut(&channel_id) else { return };
        let Phase::Resolving(r) = &ch.phase else { return };
        let Resolve { hint_pts, date, peeked, stored } = **r;
        let mut stored = stored_pts.or(stored);
        let position = stored.or(hint_pts).or_else(|| ch.pending.first_start());
        if stored.is_none()
            && let Some(pts) = position
        {
            // persisted at once, so a restart before the hash is found
            // still knows where this channel starts
            self.out.deliver(None, None, Checkpoint::Channel { channel_id, pts });
            stored = Some(pts);
        }
        let Some(hash) = access_hash.or(ch.access_hash).or(known) else {
            if peeked {
                let dropped = ch.pending.clear();
                self.channels.remove(&channel_id);
                self.out.push(Action::Report(Error::UnknownChannel { channel_id, dropped }));
            } else {
                ch.phase =
                    Phase::Resolving(Box::new(Resolve { hint_pts, date, peeked: true, stored }));
                let date = if date > 0 { date - 1 } else { state.date - 30 }.max(1);
                let request = GetDifference {
                    pts: state.pts,
                    qts: state.qts,
                    date,
                    ..GetDifference::default()
                };
                self.out.push(Action::PeekDifference { channel_id, request });
            }
            return;
        };
        let Some(pts) = position else {
            tracing::debug!(channel_id, "no position known for the channel: not tracked");
            self.channels.remove(&channel_id);
            return;
        };
        ch.pts = pts;
        ch.access_hash = Some(hash);
        ch.phase = Phase::Idle;
        ch.failures = 0;
        self.hashes.remove(&channel_id);
        self.want_channel(channel_id, now);
    }

    /// Schedules the adoption of a channel to run again at `at` (after a
    /// failed peek); false if the channel is not being adopted.
    pub(super) fn retry_resolution(&mut self, id: i64, at: Instant) -> bool {
        let Some(ch) = self.channels.get_mut(&id) else { return false };
        let Phase::Resolving(r) = &mut ch.phase else { return false };
        r.peeked = false;
        ch.failures += 1;
        ch.retry_at = Some(at);
        self.wakeups.push(Reverse((at, id)));
        true
    }

    /// Asks for a channel's difference (now, or after the one in flight).
    pub(super) fn want_channel(&mut self, id: i64, now: Instant) {
        let Some(ch) = self.channels.get_mut(&id) else { return };
        match ch.phase {
            Phase::Idle if ch.retry_at.is_none() => {
                ch.phase = Phase::Queued;
                ch.pending.set_deadline(None);
                self.channel_queue.push_back(id);
            }
            Phase::InFlight { .. } => ch.again = true,
            _ => {}
        }
        self.start_channel_fetches(now);
    }

    /// Starts queued channel fetches while slots are free.
    pub(super) fn start_channel_fetches(&mut self, _now: Instant) {
        while self.channel_in_flight < self.cfg.max_channel_diffs {
            let Some(id) = self.channel_queue.pop_front() else { break };
            if self.channels.get(&id).is_some_and(|c| c.phase == Phase::Queued) {
                self.send_channel(id, 0);
            }
        }
    }

    pub(super) fn send_channel(&mut self, id: i64, pages: u32) {
        let limit = self.cfg.channel_diff_limit;
        let Some(ch) = self.channels.get_mut(&id) else { return };
        let Some(access_hash) = ch.access_hash else { return };
        ch.phase = Phase::InFlight { pages, request_pts: ch.pts };
        ch.poll_at = None;
        let request = GetChannelDifference {
            force: false,
            channel: InputChannel { channel_id: id, access_hash },
            pts: ch.pts,
            limit,
        };
        self.channel_in_flight += 1;
        tracing::debug!(channel_id = id, pts = ch.pts, pages, "getChannelDifference");
        self.out.push(Action::GetChannelDifference(request));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_channel_is_small() {
        // one hash-map slot per idle channel; the gap buffer and the
        // adoption data are boxed only while in use
        let slot = std::mem::size_of::<(i64, Channel)>();
        assert!(slot <= 96, "channel slot grew to {slot} bytes");
    }
}

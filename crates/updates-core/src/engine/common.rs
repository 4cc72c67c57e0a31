//! Live input for the common boxes: containers, the seq buffer, the pts
//! and qts boxes and `messages.affected*`.
//!
//! Short messages are converted in `short.rs`; channel updates found in
//! containers are handed to `channel.rs`;
//! differences are applied in `difference.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use super::gapbox::{Entities, Item};
use super::output::Action;
use super::{Engine, Fetch};
use crate::error::Error;
use crate::ports::Checkpoint;
use crate::tl::{Chat, Sequence, Update, Updates, User};

/// A container waiting for its seq turn.
#[derive(Debug)]
pub(super) struct Container {
    updates: Vec<Update>,
    entities: Option<Arc<Entities>>,
    date: i32,
    seq_start: i32,
    seq: i32,
}

/// Containers buffered by `seq_start`.
#[derive(Debug, Default)]
pub(super) struct SeqBox {
    pending: BTreeMap<(i32, u64), Container>,
    pub(super) deadline: Option<Instant>,
}

impl SeqBox {
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }
}

/// Which common box a sequenced update goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Common {
    Pts,
    Qts,
}

impl Engine {
    /// Feeds one container received from Telegram (pushed or an RPC
    /// result).
    pub fn handle_updates(&mut self, updates: Updates, now: Instant) {
        self.idle_at = now + self.cfg.idle_timeout;
        match updates {
            Updates::TooLong => self.want_difference(now),
            Updates::ShortMessage(m) => self.short_message(m, now),
            Updates::ShortChatMessage(m) => self.short_chat_message(m, now),
            Updates::ShortSentMessage(m) => {
                self.push_common(Common::Pts, m.pts, m.pts_count, None, None, now);
                self.bump_date(m.date);
            }
            Updates::Short { update, date } => {
                self.process(update, None, false, now);
                if self.bump_date(date) {
                    self.persist_common();
                }
            }
            Updates::Combined { updates, users, chats, date, seq_start, seq } => {
                let entities = self.envelope(users, chats);
                self.container(Container { updates, entities, date, seq_start, seq }, now);
            }
            Updates::Full { updates, users, chats, date, seq } => {
                let entities = self.envelope(users, chats);
                self.container(Container { updates, entities, date, seq_start: seq, seq }, now);
            }
        }
    }

    /// Feeds the pts of a `messages.affectedMessages` /
    /// `affectedHistory` / `affectedFoundMessages` result: `channel_id` is
    /// `None` for the common box. pts 0 and untracked channels are ignored;
    /// nothing is delivered for it.
    pub fn handle_affected(
        &mut self,
        channel_id: Option<i64>,
        pts: i32,
        pts_count: i32,
        now: Instant,
    ) {
        if pts <= 0 || pts_count < 0 {
            return;
        }
        match channel_id {
            None => self.push_common(Common::Pts, pts, pts_count, None, None, now),
            Some(id) => {
                if self.channel_pts(id).is_some() {
                    let item =
                        Item { start: pts - pts_count, end: pts, update: None, entities: None };
                    self.push_channel(id, item, false, now);
                }
            }
        }
    }

    fn envelope(&mut self, users: Vec<User>, chats: Vec<Chat>) -> Option<Arc<Entities>> {
        if users.is_empty() && chats.is_empty() {
            return None;
        }
        self.learn(&users, &chats);
        Some(Arc::new(Entities { users, chats }))
    }

    /// Date never decreases; returns whether it moved.
    pub(super) fn bump_date(&mut self, date: i32) -> bool {
        if date > self.state.date {
            self.state.date = date;
            true
        } else {
            false
        }
    }

    /// Queues a persist-only checkpoint of the common state (merged into
    /// the open batch when possible).
    pub(super) fn persist_common(&mut self) {
        self.out.deliver(None, None, Checkpoint::Common(self.state));
    }

    fn container(&mut self, c: Container, now: Instant) {
        if c.seq == 0 {
            self.apply_container(c, false, now);
            return;
        }
        if c.seq_start <= 0 || c.seq_start > c.seq {
            self.out.push(Action::Report(Error::MalformedUpdate {
                reason: "container seq range is invalid; applied without seq",
            }));
            self.apply_container(Container { seq: 0, ..c }, false, now);
            return;
        }
        let buffered = !matches!(self.fetch, Fetch::Idle | Fetch::Retry { .. });
        if buffered || c.seq_start > self.state.seq + 1 {
            // channel updates are ordered by their own pts: route them now
            // rather than hold them behind the common seq
            let (channel, rest): (Vec<Update>, Vec<Update>) =
                c.updates.into_iter().partition(|u| {
                    matches!(
                        u.sequence(),
                        Sequence::Channel { .. } | Sequence::ChannelTooLong { .. }
                    )
                });
            for update in channel {
                self.process(update, c.entities.as_ref(), false, now);
            }
            let c = Container { updates: rest, ..c };
            let at = now + self.cfg.gap_timeout;
            let arrival = self.next_arrival();
            self.seq_box.pending.insert((c.seq_start, arrival), c);
            if !buffered && self.seq_box.deadline.is_none() {
                self.seq_box.deadline = Some(at);
            }
            return;
        }
        let duplicate = c.seq_start <= self.state.seq;
        self.apply_container(c, duplicate, now);
        self.drain_seq(now);
    }

    /// Applies buffered containers whose turn has come.
    pub(super) fn drain_seq(&mut self, now: Instant) {
        let mut progressed = false;
        while let Some((&(start, _), _)) = self.seq_box.pending.first_key_value() {
            if start > self.state.seq + 1 {
                break;
            }
            let Some((_, c)) = self.seq_box.pending.pop_first() else { break };
            let duplicate = start <= self.state.seq;
            progressed |= !duplicate;
            self.apply_container(c, duplicate, now);
        }
        if self.seq_box.pending.is_empty() {
            self.seq_box.deadline = None;
        } else if progressed || self.seq_box.deadline.is_none() {
            self.seq_box.deadline = Some(now + self.cfg.gap_timeout);
        }
    }

    /// Applies a container in order. A `duplicate` one (its seq range was
    /// already applied) still feeds its sequenced updates to their boxes,
    /// which drop what they already have, but its unsequenced updates are
    /// not delivered again.
    fn apply_container(&mut self, c: Container, duplicate: bool, now: Instant) {
        let mut changed = false;
        let mut pts_changed = false;
        for update in c.updates {
            if matches!(update, Update::PtsChanged) {
                pts_changed = true;
                continue;
            }
            self.process(update, c.entities.as_ref(), duplicate, now);
        }
        if !duplicate {
            changed |= self.bump_date(c.date);
            if c.seq != 0 && c.seq > self.state.seq {
                self.state.seq = c.seq;
                changed = true;
            }
        }
        if changed {
            self.persist_common();
        }
        if pts_changed {
            self.want_difference(now);
        }
    }

    /// Routes one update to its box (or delivers it if unsequenced).
    fn process(
        &mut self,
        update: Update,
        entities: Option<&Arc<Entities>>,
        duplicate: bool,
        now: Instant,
    ) {
        match update.sequence() {
            Sequence::None => {
                if !duplicate {
                    self.out.deliver(Some(update), entities, Checkpoint::None);
                }
            }
            Sequence::Malformed => {
                if !duplicate {
                    self.out.push(Action::Report(Error::MalformedUpdate {
                        reason: "channel message without a channel peer; delivered unsequenced",
                    }));
                    self.out.deliver(Some(update), entities, Checkpoint::None);
                }
            }
            Sequence::Common { pts, count } => {
                self.push_common(Common::Pts, pts, count, Some(update), entities.cloned(), now)
            }
            Sequence::Qts { qts } => {
                self.push_common(Common::Qts, qts, 1, Some(update), entities.cloned(), now)
            }
            Sequence::Channel { channel_id, pts, count } => {
                if count < 0 {
                    self.malformed_count(update, entities);
                } else {
                    let item = Item {
                        start: pts - count,
                        end: pts,
                        update: Some(update),
                        entities: entities.cloned(),
                    };
                    self.push_channel(channel_id, item, false, now);
                }
            }
            Sequence::ChannelTooLong { channel_id, pts } => {
                self.channel_too_long(channel_id, pts, now)
            }
            Sequence::PtsChanged => self.want_difference(now),
        }
    }

    fn malformed_count(&mut self, update: Update, entities: Option<&Arc<Entities>>) {
        self.out.push(Action::Report(Error::MalformedUpdate {
            reason: "negative pts_count; delivered unsequenced",
        }));
        self.out.deliver(Some(update), entities, Checkpoint::None);
    }

    /// Feeds the pts or qts box. `update = None` is a position-only marker.
    pub(super) fn push_common(
        &mut self,
        which: Common,
        pts: i32,
        count: i32,
        update: Option<Update>,
        entities: Option<Arc<Entities>>,
        now: Instant,
    ) {
        if pts == 0 {
            if let Some(u) = update {
                self.out.deliver(Some(u), entities.as_ref(), Checkpoint::None);
            }
            return;
        }
        if count < 0 {
            if let Some(u) = update {
                self.malformed_count(u, entities.as_ref());
            }
            return;
        }
        let start = pts - count;
        let local = self.common_local(which);
        if start < local {
            tracing::trace!(?which, pts, local, "dropping duplicate");
            return;
        }
        let item = Item { start, end: pts, update, entities };
        let fetching = !matches!(self.fetch, Fetch::Idle | Fetch::Retry { .. });
        let gbox = match which {
            Common::Pts => &mut self.pts_box,
            Common::Qts => &mut self.qts_box,
        };
        if !fetching && start == local && gbox.is_empty() {
            self.apply_common(which, item);
            return;
        }
        let arrival = self.next_arrival();
        let gbox = match which {
            Common::Pts => &mut self.pts_box,
            Common::Qts => &mut self.qts_box,
        };
        gbox.insert(item, arrival);
        if fetching {
            return;
        }
        if start > local {
            tracing::debug!(?which, local, start, "gap: buffering");
        }
        self.drain_common(which, now);
    }

    fn common_local(&self, which: Common) -> i32 {
        match which {
            Common::Pts => self.state.pts,
            Common::Qts => self.state.qts,
        }
    }

    fn apply_common(&mut self, which: Common, item: Item) {
        match which {
            Common::Pts => self.state.pts = item.end,
            Common::Qts => self.state.qts = item.end,
        }
        let checkpoint = Checkpoint::Common(self.state);
        self.out.deliver(item.update, item.entities.as_ref(), checkpoint);
    }

    /// Applies whatever became contiguous and re-arms the gap deadline.
    pub(super) fn drain_common(&mut self, which: Common, now: Instant) {
        let mut progressed = false;
        loop {
            let mut local = self.common_local(which);
            let gbox = match which {
                Common::Pts => &mut self.pts_box,
                Common::Qts => &mut self.qts_box,
            };
            let Some(item) = gbox.pop_ready(&mut local) else { break };
            progressed = true;
            self.apply_common(which, item);
        }
        let at = now + self.cfg.gap_timeout;
        match which {
            Common::Pts => self.pts_box.settle(progressed, at),
            Common::Qts => self.qts_box.settle(progressed, at),
        }
    }

    /// Asks for the common difference now (or after the one in flight).
    pub(super) fn want_difference(&mut self, now: Instant) {
        match self.fetch {
            Fetch::Idle => self.send_difference(0, now),
            Fetch::InFlight { .. } => self.fetch_again = true,
            Fetch::Retry { .. } => {}
        }
    }

    pub(super) fn send_difference(&mut self, pages: u32, now: Instant) {
        let request = crate::tl::GetDifference {
            pts: self.state.pts,
            qts: self.state.qts,
            date: self.state.date.max(1),
            ..crate::tl::GetDifference::default()
        };
        self.fetch = Fetch::InFlight { pages, request };
        self.pts_box.deadline = None;
        self.qts_box.deadline = None;
        self.seq_box.deadline = None;
        self.idle_at = now + self.cfg.idle_timeout;
        tracing::debug!(?request, pages, "getDifference");
        self.out.push(Action::GetDifference(request));
    }
}

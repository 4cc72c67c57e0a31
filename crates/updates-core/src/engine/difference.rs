//! Applying answers: `updates.Difference` (including slices, too-long and
//! errors with backoff) and `updates.ChannelDifference` (paging, too-long,
//! inaccessible channels), and the peek difference used to find a hash.
//!
//! Contents are authoritative: delivered once, directly, never run
//! through the gap check; buffered live updates are re-checked right
//! after.

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::channel::Phase;
use super::common::Common;
use super::gapbox::{Entities, Item};
use super::interleave::interleave;
use super::output::Action;
use super::{Engine, Fetch};
use crate::error::{ClientError, Error};
use crate::ports::Checkpoint;
use crate::tl::{
    ChannelDifference, Chat, Difference, DifferenceBody, Message, QtsKind, Sequence, State, Update,
    User,
};

/// How many times a failing peek difference is tried for one channel.
pub const PEEK_ATTEMPTS: u32 = 5;

fn shared(users: Vec<User>, chats: Vec<Chat>) -> Option<Arc<Entities>> {
    if users.is_empty() && chats.is_empty() {
        None
    } else {
        Some(Arc::new(Entities { users, chats }))
    }
}

fn client_error(method: &'static str, source: ClientError) -> Action {
    Action::Report(Error::Client { method, source })
}

impl Engine {
    fn retry_delay(&self, e: &ClientError, failures: u32) -> Duration {
        e.rpc().and_then(crate::tl::RpcError::flood_wait).unwrap_or_else(|| self.backoff(failures))
    }

    /// Feeds the answer to [`Action::GetDifference`]. Answers that arrive
    /// when no difference is in flight are ignored.
    pub fn apply_difference(&mut self, result: Result<Difference, ClientError>, now: Instant) {
        let Fetch::InFlight { pages, request } = self.fetch else {
            tracing::warn!("difference answer with no difference in flight: ignored");
            return;
        };
        let next_page = pages + 1;
        let from = State { pts: request.pts, qts: request.qts, ..self.state };
        match result {
            Err(e) => {
                self.failures += 1;
                let delay = self.retry_delay(&e, self.failures);
                tracing::warn!(error = %e, ?delay, "getDifference failed: retrying later");
                self.fetch = Fetch::Retry { at: now + delay };
                self.out.push(client_error("updates.getDifference", e));
                self.recheck_common(now);
            }
            Ok(Difference::Empty { date, seq }) => {
                self.state.date = self.state.date.max(date);
                self.state.seq = seq;
                self.persist_common();
                self.finish_difference(now);
            }
            Ok(Difference::Difference(body)) => {
                self.deliver_body(from, body, now);
                self.finish_difference(now);
            }
            Ok(Difference::Slice(body)) => {
                let s = body.state;
                let progressed =
                    s.pts > request.pts || s.qts > request.qts || s.date > request.date;
                self.deliver_body(from, body, now);
                if progressed {
                    self.next_page(next_page, now);
                } else {
                    self.out
                        .push(Action::Report(Error::NoProgress { channel_id: None, pts: s.pts }));
                    self.finish_difference(now);
                }
            }
            Ok(Difference::TooLong { pts }) => {
                tracing::info!(pts, "differenceTooLong: resetting the common box");
                self.state.pts = pts;
                self.persist_common();
                self.out.push(Action::TooLong);
                self.next_page(next_page, now);
            }
        }
    }

    /// Fetches page `page` of the common difference, or stops at the cap.
    fn next_page(&mut self, page: u32, now: Instant) {
        if page >= self.cfg.max_pages {
            self.out.push(Action::Report(Error::PageLimit { channel_id: None, pages: page }));
            self.finish_difference(now);
        } else {
            self.send_difference(page, now);
        }
    }

    /// Delivers a difference page (in restored pts order) and moves to
    /// its state.
    fn deliver_body(&mut self, from: State, body: DifferenceBody, now: Instant) {
        let DifferenceBody {
            new_messages,
            new_encrypted_messages,
            other_updates,
            chats,
            users,
            state,
        } = body;
        self.learn(&users, &chats);
        let entities = shared(users, chats);
        self.state = state;
        let checkpoint = Checkpoint::Common(state);
        let mut unsequenced = Vec::new();
        let mut common = Vec::new();
        let mut qts = Vec::new();
        let mut channel_items = Vec::new();
        for update in other_updates {
            match update.sequence() {
                Sequence::Common { pts, count } if count >= 0 => {
                    common.push((pts - count, pts, update))
                }
                Sequence::Qts { qts: q } => qts.push((q - 1, q, update)),
                Sequence::Channel { channel_id, pts, count } if count >= 0 => {
                    channel_items.push((channel_id, Some((pts - count, pts)), update));
                }
                Sequence::ChannelTooLong { channel_id, .. } => {
                    channel_items.push((channel_id, None, update));
                }
                Sequence::PtsChanged => {}
                _ => unsequenced.push(update),
            }
        }
        common.sort_by_key(|(start, _, _)| *start);
        qts.sort_by_key(|(start, _, _)| *start);
        // unsequenced first (e.g. updateMessageID), then each box in order
        let mut ordered = unsequenced;
        ordered.extend(interleave(from.pts, state.pts, new_messages, common, |message, pts| {
            Update::NewMessage { message, pts, pts_count: i32::from(pts != 0) }
        }));
        let encrypted = new_encrypted_messages
            .into_iter()
            .map(|payload| crate::tl::Message { payload, ..crate::tl::Message::default() })
            .collect();
        ordered.extend(interleave(from.qts, state.qts, encrypted, qts, |m, qts| Update::Qts {
            kind: QtsKind::NewEncryptedMessage,
            qts,
            payload: m.payload,
        }));
        for update in ordered {
            self.out.deliver(Some(update), entities.as_ref(), checkpoint);
        }
        // persists the state even when the page delivered nothing
        self.out.deliver(None, None, checkpoint);
        for (channel_id, range, update) in channel_items {
            match (range, update) {
                (Some((start, end)), update) => {
                    let item =
                        Item { start, end, update: Some(update), entities: entities.clone() };
                    self.push_channel(channel_id, item, true, now);
                }
                (None, Update::ChannelTooLong { pts, .. }) => {
                    self.channel_too_long(channel_id, pts, now)
                }
                (None, _) => {}
            }
        }
    }

    fn finish_difference(&mut self, now: Instant) {
        self.fetch = Fetch::Idle;
        self.failures = 0;
        self.recheck_common(now);
        if std::mem::take(&mut self.fetch_again) {
            self.want_difference(now);
        }
    }

    /// Re-checks everything buffered in the common boxes.
    fn recheck_common(&mut self, now: Instant) {
        self.drain_seq(now);
        self.drain_common(Common::Pts, now);
        self.drain_common(Common::Qts, now);
    }

    /// Feeds the answer to [`Action::PeekDifference`]: only access hashes
    /// are taken from it; its updates are not applied. A failed peek is
    /// retried with backoff (the buffered updates wait) up to
    /// [`PEEK_ATTEMPTS`] times.
    pub fn apply_peek(
        &mut self,
        channel_id: i64,
        result: Result<Difference, ClientError>,
        now: Instant,
    ) {
        match result {
            Ok(Difference::Difference(b) | Difference::Slice(b)) => self.learn(&b.users, &b.chats),
            Ok(_) => {}
            Err(e) => {
                let failures = self.channels.get(&channel_id).map_or(0, |c| c.failures) + 1;
                let delay = self.retry_delay(&e, failures);
                self.out.push(client_error("updates.getDifference", e));
                if failures < PEEK_ATTEMPTS && self.retry_resolution(channel_id, now + delay) {
                    return;
                }
            }
        }
        self.channel_resolved(channel_id, None, None, now);
    }

    /// Feeds the answer to [`Action::GetChannelDifference`] for
    /// `channel_id`.
    pub fn apply_channel_difference(
        &mut self,
        channel_id: i64,
        result: Result<ChannelDifference, ClientError>,
        now: Instant,
    ) {
        let id = channel_id;
        let Some(ch) = self.channels.get_mut(&id) else { return };
        let Phase::InFlight { pages, request_pts } = ch.phase else { return };
        self.channel_in_flight = self.channel_in_flight.saturating_sub(1);
        let next_page = pages + 1;
        match result {
            Err(e) if e.rpc().is_some_and(crate::tl::RpcError::is_channel_inaccessible) => {
                tracing::info!(channel_id = id, error = %e, "channel inaccessible: dropped");
                self.channels.remove(&id);
                self.out.push(Action::ChannelInaccessible(id));
            }
            Err(e) => {
                ch.failures += 1;
                let failures = ch.failures;
                let delay = self.retry_delay(&e, failures);
                let ch = self.channels.get_mut(&id);
                if let Some(ch) = ch {
                    ch.phase = Phase::Idle;
                    ch.retry_at = Some(now + delay);
                }
                self.wakeups.push(Reverse((now + delay, id)));
                tracing::warn!(channel_id = id, error = %e, ?delay, "getChannelDifference failed");
                self.out.push(client_error("updates.getChannelDifference", e));
            }
            Ok(ChannelDifference::Empty { pts, timeout, .. }) => {
                if pts != ch.pts {
                    ch.pts = pts;
                    self.out.deliver(None, None, Checkpoint::Channel { channel_id: id, pts });
                }
                self.finish_channel(id, timeout, now);
            }
            Ok(ChannelDifference::TooLong { dialog, timeout, chats, users, .. }) => {
                if let Some(pts) = dialog.pts {
                    tracing::info!(channel_id = id, pts, "channelDifferenceTooLong: resetting");
                    ch.pts = pts;
                    self.out.deliver(None, None, Checkpoint::Channel { channel_id: id, pts });
                }
                self.learn(&users, &chats);
                self.out.push(Action::ChannelTooLong(id));
                self.finish_channel(id, timeout, now);
            }
            Ok(ChannelDifference::Difference {
                is_final,
                pts,
                timeout,
                new_messages,
                other_updates,
                chats,
                users,
            }) => {
                ch.pts = pts;
                self.learn(&users, &chats);
                let entities = shared(users, chats);
                let checkpoint = Checkpoint::Channel { channel_id: id, pts };
                let mut sequenced = Vec::new();
                let mut ordered = Vec::new();
                for update in other_updates {
                    match update.sequence() {
                        Sequence::Channel { channel_id, pts, count }
                            if channel_id == id && count >= 0 =>
                        {
                            sequenced.push((pts - count, pts, update));
                        }
                        _ => ordered.push(update),
                    }
                }
                sequenced.sort_by_key(|(start, _, _)| *start);
                ordered.extend(interleave(
                    request_pts,
                    pts,
                    new_messages,
                    sequenced,
                    |message, pts| {
                        let peer_id = message.peer_id.or(Some(crate::tl::Peer::Channel(id)));
                        let message = Message { peer_id, ..message };
                        Update::NewChannelMessage { message, pts, pts_count: i32::from(pts != 0) }
                    },
                ));
                for update in ordered {
                    self.out.deliver(Some(update), entities.as_ref(), checkpoint);
                }
                self.out.deliver(None, None, checkpoint);
                if is_final {
                    self.finish_channel(id, timeout, now);
                } else if pts <= request_pts {
                    self.out.push(Action::Report(Error::NoProgress { channel_id: Some(id), pts }));
                    self.finish_channel(id, timeout, now);
                } else if next_page >= self.cfg.max_pages {
                    self.out.push(Action::Report(Error::PageLimit {
                        channel_id: Some(id),
                        pages: next_page,
                    }));
                    self.finish_channel(id, timeout, now);
                } else {
                    self.send_channel(id, next_page);
                }
            }
        }
        self.start_channel_fetches(now);
    }

    fn finish_channel(&mut self, id: i64, timeout: Option<i32>, now: Instant) {
        let poll = self.cfg.channel_poll;
        let Some(ch) = self.channels.get_mut(&id) else { return };
        ch.phase = Phase::Idle;
        ch.failures = 0;
        if let Some(interval) = poll {
            let hint = timeout.and_then(|t| u64::try_from(t).ok()).map(Duration::from_secs);
            let at = now + hint.unwrap_or(interval);
            ch.poll_at = Some(at);
            self.wakeups.push(Reverse((at, id)));
        }
        let again = std::mem::take(&mut ch.again);
        self.drain_channel(id, now);
        if again {
            self.want_channel(id, now);
        }
    }
}

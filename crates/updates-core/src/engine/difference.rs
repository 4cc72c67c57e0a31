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
use super::output::Action;
use super::{Engine, Fetch};
use crate::error::{ClientError, Error};
use crate::ports::Checkpoint;
use crate::tl::{
    ChannelDifference, Chat, Difference, DifferenceBody, Message, QtsKind, Sequence, Update, User,
};

/// Delivery order inside a difference's `other_updates`: unsequenced
/// first (e.g. `updateMessageID`), then common pts, qts and channel
/// updates, each by start position; stable otherwise.
fn order_key(u: &Update) -> (u8, i64, i32) {
    match u.sequence() {
        Sequence::None | Sequence::Malformed | Sequence::PtsChanged => (0, 0, 0),
        Sequence::Common { pts, count } => (1, 0, pts - count),
        Sequence::Qts { qts } => (2, 0, qts),
        Sequence::Channel { channel_id, pts, count } => (3, channel_id, pts - count),
        Sequence::ChannelTooLong { channel_id, .. } => (4, channel_id, 0),
    }
}

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
                self.deliver_body(body, now);
                self.finish_difference(now);
            }
            Ok(Difference::Slice(body)) => {
                let s = body.state;
                let progressed =
                    s.pts > request.pts || s.qts > request.qts || s.date > request.date;
                self.deliver_body(body, now);
                if !progressed {
                    self.out
                        .push(Action::Report(Error::NoProgress { channel_id: None, pts: s.pts }));
                    self.finish_difference(now);
                } else if next_page >= self.cfg.max_pages {
                    self.out.push(Action::Report(Error::PageLimit {
                        channel_id: None,
                        pages: next_page,
                    }));
                    self.finish_difference(now);
                } else {
                    self.send_difference(next_page, now);
                }
            }
            Ok(Difference::TooLong { pts }) => {
                tracing::info!(pts, "differenceTooLong: resetting the common box");
                self.state.pts = pts;
                self.persist_common();
                self.out.push(Action::TooLong);
                if next_page >= self.cfg.max_pages {
                    self.out.push(Action::Report(Error::PageLimit {
                        channel_id: None,
                        pages: next_page,
                    }));
                    self.finish_difference(now);
                } else {
                    self.send_difference(next_page, now);
                }
            }
        }
    }

    /// Delivers a difference page and moves to its state.
    fn deliver_body(&mut self, body: DifferenceBody, now: Instant) {
        let DifferenceBody {
            new_messages,
            new_encrypted_messages,
            mut other_updates,
            chats,
            users,
            state,
        } = body;
        self.learn(&users, &chats);
        let entities = shared(users, chats);
        self.state = state;
        let checkpoint = Checkpoint::Common(state);
        for message in new_messages {
            let update = Update::NewMessage { message, pts: 0, pts_count: 0 };
            self.out.deliver(Some(update), entities.as_ref(), checkpoint);
        }
        for payload in new_encrypted_messages {
            let update = Update::Qts { kind: QtsKind::NewEncryptedMessage, qts: 0, payload };
            self.out.deliver(Some(update), entities.as_ref(), checkpoint);
        }
        other_updates.sort_by_key(order_key);
        let mut channel_items = Vec::new();
        for update in other_updates {
            match update.sequence() {
                Sequence::Channel { channel_id, pts, count } if count >= 0 => {
                    channel_items.push((channel_id, pts - count, pts, update));
                }
                Sequence::ChannelTooLong { channel_id, pts } => {
                    channel_items.push((channel_id, i32::MIN, pts.unwrap_or(0), update));
                }
                Sequence::PtsChanged => {}
                _ => self.out.deliver(Some(update), entities.as_ref(), checkpoint),
            }
        }
        // persists the state even when the page delivered nothing
        self.out.deliver(None, None, checkpoint);
        for (channel_id, start, end, update) in channel_items {
            if start == i32::MIN {
                self.channel_too_long(channel_id, (end != 0).then_some(end), now);
            } else {
                let item = Item { start, end, update: Some(update), entities: entities.clone() };
                self.push_channel(channel_id, item, true, now);
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
    /// are taken from it; its updates are not applied.
    pub fn apply_peek(
        &mut self,
        channel_id: i64,
        result: Result<Difference, ClientError>,
        now: Instant,
    ) {
        match result {
            Ok(Difference::Difference(b) | Difference::Slice(b)) => self.learn(&b.users, &b.chats),
            Ok(_) => {}
            Err(e) => self.out.push(client_error("updates.getDifference", e)),
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
                mut other_updates,
                chats,
                users,
            }) => {
                ch.pts = pts;
                self.learn(&users, &chats);
                let entities = shared(users, chats);
                let checkpoint = Checkpoint::Channel { channel_id: id, pts };
                for message in new_messages {
                    let message = Message {
                        peer_id: message.peer_id.or(Some(crate::tl::Peer::Channel(id))),
                        ..message
                    };
                    let update = Update::NewChannelMessage { message, pts: 0, pts_count: 0 };
                    self.out.deliver(Some(update), entities.as_ref(), checkpoint);
                }
                other_updates.sort_by_key(order_key);
                for update in other_updates {
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

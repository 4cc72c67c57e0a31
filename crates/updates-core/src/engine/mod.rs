//! The sans-IO update engine: a pure state machine over the common pts,
//! qts and seq boxes and one pts box per channel, driven by an injected
//! clock.
//!
//! Feed it containers ([`Engine::handle_updates`]), affected pts
//! ([`Engine::handle_affected`]) and RPC answers; take [`Action`]s from
//! [`Engine::poll`] and wake it at [`Engine::next_deadline`]. It performs
//! no I/O, spawns nothing and never reads the clock itself; the async
//! [`Manager`](crate::Manager) is one driver of it.
//!
//! Driver contract: perform actions in the order `poll` returns them;
//! answer every RPC action exactly once (errors included) with the
//! matching `apply_*` method, and every [`Action::ResolveChannel`] with
//! [`Engine::channel_resolved`]; persist a delivered batch's checkpoint
//! only after its handler returned; call `poll` again at
//! [`Engine::next_deadline`].
//!
//! Rules it implements (Telegram's, plus the fixes of the research notes):
//! - an update applies when its start (`pts - pts_count`, `qts - 1`,
//!   `seq_start - 1`) equals the local position, is dropped when below it
//!   and is buffered when above it; a hole unfilled after the gap timeout
//!   triggers a difference; any partial fill re-arms the deadline;
//! - pts/qts 0 never move a box;
//! - while a box's difference is in flight its live updates are buffered
//!   and re-checked right after the difference is applied;
//! - difference contents are authoritative: delivered once, directly.

mod channel;
mod common;
mod deadline;
mod difference;
mod gapbox;
mod interleave;
mod output;
mod short;

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::time::{Duration, Instant};

pub use difference::PEEK_ATTEMPTS;
pub use output::Action;

use crate::tl::{GetDifference, State};
use channel::Channel;
use gapbox::GapBox;
use output::Out;

/// Engine tuning; [`Config`](crate::Config) fills it from its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// How long a hole may stay open before a difference is fetched.
    pub gap_timeout: Duration,
    /// Without any update for this long, the common difference is fetched.
    pub idle_timeout: Duration,
    /// `limit` of getChannelDifference (100 for users, 100000 for bots).
    pub channel_diff_limit: i32,
    /// At most this many getChannelDifference calls in flight (≥ 1).
    pub max_channel_diffs: usize,
    /// Difference pages fetched in one round before stopping with
    /// [`Error::PageLimit`](crate::Error::PageLimit).
    pub max_pages: u32,
    /// Poll idle channels after this long (or after the server's `timeout`
    /// hint); `None` (the default) never polls idle channels.
    pub channel_poll: Option<Duration>,
    /// Fetch every loaded channel once at start (bounded by
    /// `max_channel_diffs`).
    pub catch_up_channels: bool,
    /// First retry delay after a failed difference; doubles up to
    /// `retry_max`.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl EngineConfig {
    /// Defaults for a user (`is_bot = false`) or bot account.
    pub fn new(is_bot: bool) -> EngineConfig {
        EngineConfig {
            gap_timeout: Duration::from_millis(500),
            idle_timeout: Duration::from_secs(15 * 60),
            channel_diff_limit: if is_bot { 100_000 } else { 100 },
            max_channel_diffs: 8,
            max_pages: 1000,
            channel_poll: None,
            catch_up_channels: true,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
        }
    }
}

/// State of the common difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fetch {
    Idle,
    InFlight { pages: u32, request: GetDifference },
    Retry { at: Instant },
}

/// The sans-IO engine. See the module docs.
///
/// ```
/// use std::time::Instant;
/// use updates_core::engine::{Action, Engine, EngineConfig};
/// use updates_core::{Difference, State, Update, Updates};
///
/// let t0 = Instant::now();
/// let start = State { pts: 100, ..State::default() };
/// let mut engine = Engine::new(EngineConfig::new(false), 1, start, t0);
/// // the startup difference
/// assert!(matches!(engine.poll(t0), Some(Action::GetDifference(r)) if r.pts == 100));
/// engine.apply_difference(Ok(Difference::Empty { date: 1, seq: 0 }), t0);
/// while engine.poll(t0).is_some() {} // persists date/seq
///
/// engine.handle_updates(Updates::short(Update::new_message(1, 5, 102), 1), t0);
/// assert!(engine.poll(t0).is_none()); // 101 is missing: buffered
/// engine.handle_updates(Updates::short(Update::new_message(2, 5, 101), 1), t0);
/// match engine.poll(t0) {
///     Some(Action::Deliver(batch)) => assert_eq!(batch.updates.len(), 2),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(engine.state().pts, 102);
/// /// ```
#[derive(Debug)]
pub struct Engine {
    cfg: EngineConfig,
    self_id: i64,
    state: State,
    pts_box: GapBox,
    qts_box: GapBox,
    seq_box: common::SeqBox,
    fetch: Fetch,
    /// A trigger arrived while the common difference was in flight.
    fetch_again: bool,
    failures: u32,
    idle_at: Instant,
    channels: HashMap<i64, Channel>,
    /// Channel wake-ups (lazy: stale entries are skipped when popped).
    wakeups: BinaryHeap<std::cmp::Reverse<(Instant, i64)>>,
    /// Channels waiting for a getChannelDifference slot.
    channel_queue: std::collections::VecDeque<i64>,
    channel_in_flight: usize,
    /// Full hashes learned for channels not tracked (yet).
    hashes: HashMap<i64, i64>,
    /// Users seen with a full access hash (and the account itself).
    known_users: HashSet<i64>,
    out: Out,
    arrivals: u64,
}

impl Engine {
    /// A new engine for account `self_id` starting from `state`. It asks
    /// for a startup difference straight away.
    pub fn new(cfg: EngineConfig, self_id: i64, state: State, now: Instant) -> Engine {
        let mut known_users = HashSet::new();
        known_users.insert(self_id);
        let mut cfg = cfg;
        cfg.max_channel_diffs = cfg.max_channel_diffs.max(1);
        cfg.max_pages = cfg.max_pages.max(1);
        let mut engine = Engine {
            cfg,
            self_id,
            state,
            pts_box: GapBox::default(),
            qts_box: GapBox::default(),
            seq_box: common::SeqBox::default(),
            fetch: Fetch::Idle,
            fetch_again: false,
            failures: 0,
            idle_at: now + cfg.idle_timeout,
            channels: HashMap::new(),
            wakeups: BinaryHeap::new(),
            channel_queue: std::collections::VecDeque::new(),
            channel_in_flight: 0,
            hashes: HashMap::new(),
            known_users,
            out: Out::default(),
            arrivals: 0,
        };
        engine.want_difference(now);
        engine
    }

    /// The in-memory common state.
    pub fn state(&self) -> State {
        self.state
    }

    /// A tracked channel's pts.
    pub fn channel_pts(&self, channel_id: i64) -> Option<i32> {
        self.channels.get(&channel_id).filter(|c| c.is_tracked()).map(|c| c.pts)
    }

    /// Tracked channels and their pts.
    pub fn channels(&self) -> impl Iterator<Item = (i64, i32)> + '_ {
        self.channels.iter().filter(|(_, c)| c.is_tracked()).map(|(id, c)| (*id, c.pts))
    }

    /// Updates buffered in every box (for diagnostics and tests).
    pub fn pending(&self) -> usize {
        self.pts_box.len()
            + self.qts_box.len()
            + self.seq_box.len()
            + self.channels.values().map(|c| c.pending.len()).sum::<usize>()
    }

    /// Whether nothing is buffered, queued or in flight.
    pub fn is_quiet(&self) -> bool {
        self.pending() == 0
            && self.out.len() == 0
            && self.fetch == Fetch::Idle
            && self.channel_in_flight == 0
            && self.channel_queue.is_empty()
            && self.channels.values().all(Channel::is_quiet)
    }

    /// The next action, firing every deadline that is due at `now` first
    /// if the queue is empty.
    pub fn poll(&mut self, now: Instant) -> Option<Action> {
        if self.out.len() == 0 {
            self.fire_deadlines(now);
        }
        let mut action = self.out.pop()?;
        if let Action::Deliver(batch) = &mut action {
            self.backfill(&mut batch.chats);
        }
        Some(action)
    }

    fn next_arrival(&mut self) -> u64 {
        self.arrivals += 1;
        self.arrivals
    }

    /// Replaces the hash of `min` channels with a known full one (the
    /// `min` flag stays set).
    fn backfill(&self, chats: &mut [crate::tl::Chat]) {
        for chat in chats {
            if let crate::tl::Chat::Channel { id, access_hash, min: true, .. } = chat {
                let known = self
                    .channels
                    .get(id)
                    .and_then(|c| c.access_hash)
                    .or_else(|| self.hashes.get(id).copied());
                if let Some(h) = known {
                    *access_hash = Some(h);
                }
            }
        }
    }

    /// Records full hashes and known users from entities.
    fn learn(&mut self, users: &[crate::tl::User], chats: &[crate::tl::Chat]) {
        for u in users {
            if u.has_full_hash() {
                self.known_users.insert(u.id);
            }
        }
        for c in chats {
            let Some((id, hash)) = c.full_channel_hash() else { continue };
            let known = match self.channels.get_mut(&id) {
                Some(ch) if ch.access_hash == Some(hash) => true,
                Some(ch) => {
                    ch.access_hash = Some(hash);
                    false
                }
                None => self.hashes.insert(id, hash) == Some(hash),
            };
            if !known {
                self.out.push(Action::SaveChannelHash { channel_id: id, access_hash: hash });
            }
        }
    }

    fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        self.cfg.retry_base.saturating_mul(factor).min(self.cfg.retry_max)
    }
}

#[cfg(test)]
mod tests;

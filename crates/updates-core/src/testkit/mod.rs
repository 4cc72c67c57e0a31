//! A fake Telegram server for tests (feature `testkit`): it generates a
//! stream of updates over the common box, qts and many channels, keeps the
//! log, and answers getState / getDifference / getChannelDifference from
//! it — with slices, too-long answers, timeout hints and injected RPC
//! failures — so a client can be checked for loss, duplicates and order.
//!
//! It is deterministic for a seed. It does not model seq, secret-chat
//! crypto or real message contents.

mod answer;
pub mod crash;
pub mod e2e;
mod generate;
mod network;
pub mod process;
mod quiet;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::tl::{Chat, State, Update, Updates, User};

pub use network::{Fate, InTransit, LossyNetwork};
pub use quiet::QuietClient;

/// Which box an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BoxId {
    /// The common pts box.
    Common,
    /// The qts box.
    Qts,
    /// One channel.
    Channel(i64),
}

/// Knobs of the fake server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FakeConfig {
    /// Number of channels (ids `1..=channels`).
    pub channels: i64,
    /// Updates per difference page (common and channel).
    pub page: usize,
    /// A getDifference more than this many pts behind is answered
    /// `differenceTooLong`.
    pub common_too_long: i32,
    /// A getChannelDifference more than this many pts behind is answered
    /// `channelDifferenceTooLong`.
    pub channel_too_long: i32,
    /// Probability that an RPC fails (transport timeout or a retryable
    /// RPC error).
    pub error_rate: f64,
    /// Probability that a container carries its entities (users/chats).
    pub entity_rate: f64,
    /// Number `updates` containers with seq (a dropped one is a seq gap).
    pub seq: bool,
}

impl Default for FakeConfig {
    fn default() -> FakeConfig {
        FakeConfig {
            channels: 50,
            page: 20,
            common_too_long: 150,
            channel_too_long: 60,
            error_rate: 0.05,
            entity_rate: 0.5,
            seq: true,
        }
    }
}

/// One logged event: its position range and the update.
#[derive(Debug, Clone)]
struct Logged {
    end: i32,
    eid: i64,
    update: Update,
}

#[derive(Debug)]
struct Channel {
    hash: i64,
    pts: i32,
    date: i32,
    log: Vec<Logged>,
}

#[derive(Debug)]
struct Inner {
    cfg: FakeConfig,
    /// Drives the stream; independent of what the client asks.
    rng: ChaCha8Rng,
    /// Drives answers (failures, timeout hints).
    answer_rng: ChaCha8Rng,
    pts: i32,
    qts: i32,
    date: i32,
    seq: i32,
    common: Vec<Logged>,
    qts_log: Vec<Logged>,
    channels: BTreeMap<i64, Channel>,
    next_eid: i64,
    /// Every event, in creation order.
    all: Vec<(BoxId, i64)>,
    /// Events a too-long answer legitimately skipped.
    skipped: HashSet<(BoxId, i64)>,
    /// Message ids per box (for edits).
    message_ids: BTreeMap<BoxId, Vec<i32>>,
    violations: Vec<String>,
    rpcs: usize,
}

/// The fake server. Share it as `Arc<FakeServer>`; it implements
/// [`RawClient`](crate::RawClient).
#[derive(Debug)]
pub struct FakeServer {
    inner: Mutex<Inner>,
}

/// The user every private message is exchanged with.
pub const PEER_USER: i64 = 555;

impl FakeServer {
    /// A server whose boxes start at pts 1000 (common), qts 100 and
    /// channel `c` at `10 * c`.
    pub fn new(seed: u64, cfg: FakeConfig) -> FakeServer {
        let channels = (1..=cfg.channels)
            .map(|id| {
                (
                    id,
                    Channel {
                        hash: id * 1_000_003 + 7,
                        pts: 10 * i32::try_from(id).unwrap_or(0),
                        date: 0,
                        log: Vec::new(),
                    },
                )
            })
            .collect();
        FakeServer {
            inner: Mutex::new(Inner {
                cfg,
                rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_5e7e),
                answer_rng: ChaCha8Rng::seed_from_u64(seed ^ 0xa115_3e75),
                pts: 1000,
                qts: 100,
                date: 1,
                seq: 0,
                common: Vec::new(),
                qts_log: Vec::new(),
                channels,
                next_eid: 1,
                all: Vec::new(),
                skipped: HashSet::new(),
                message_ids: BTreeMap::new(),
                violations: Vec::new(),
                rpcs: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The server's common state.
    pub fn state(&self) -> State {
        let s = self.lock();
        State { pts: s.pts, qts: s.qts, date: s.date, seq: s.seq }
    }

    /// Every channel: `(id, pts, access hash)`.
    pub fn channels(&self) -> Vec<(i64, i32, i64)> {
        self.lock().channels.iter().map(|(id, c)| (*id, c.pts, c.hash)).collect()
    }

    /// Every event created so far, in creation order.
    pub fn all_events(&self) -> Vec<(BoxId, i64)> {
        self.lock().all.clone()
    }

    /// Events a client must have received: all minus those a too-long
    /// answer skipped.
    pub fn expected(&self) -> Vec<(BoxId, i64)> {
        let s = self.lock();
        s.all.iter().filter(|e| !s.skipped.contains(e)).copied().collect()
    }

    /// Protocol violations seen (e.g. a wrong access hash).
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// RPCs answered so far.
    pub fn rpc_count(&self) -> usize {
        self.lock().rpcs
    }

    /// The container a server sends to force full recovery:
    /// `updatePtsChanged` plus `updateChannelTooLong` for every channel.
    pub fn recovery_push(&self) -> Updates {
        let s = self.lock();
        let mut updates = vec![Update::PtsChanged];
        updates.extend(
            s.channels.keys().map(|&id| Update::ChannelTooLong { channel_id: id, pts: None }),
        );
        // seq 0: it must not move (or wait for) the seq sequence
        Updates::Full { updates, users: vec![], chats: vec![], date: s.date, seq: 0 }
    }

    /// The user entity of [`PEER_USER`] with a full hash.
    pub fn peer_user() -> User {
        User { id: PEER_USER, access_hash: Some(42), min: false, payload: serde_json::Value::Null }
    }

    /// `channel` entities with full hashes for every channel.
    fn chats(s: &Inner) -> Vec<Chat> {
        s.channels.iter().map(|(id, c)| Chat::channel(*id, c.hash)).collect()
    }
}

/// The event an update delivered by the manager stands for, if it came
/// from this server.
pub fn event_id(update: &Update) -> Option<(BoxId, i64)> {
    let eid = |v: &serde_json::Value| v.get("eid").and_then(serde_json::Value::as_i64);
    match update {
        Update::NewMessage { message, .. } | Update::EditMessage { message, .. } => {
            Some((BoxId::Common, eid(&message.payload)?))
        }
        Update::DeleteMessages { messages, .. } => {
            Some((BoxId::Common, i64::from(*messages.first()?)))
        }
        Update::NewChannelMessage { message, .. } | Update::EditChannelMessage { message, .. } => {
            Some((BoxId::Channel(message.channel_id()?), eid(&message.payload)?))
        }
        Update::DeleteChannelMessages { channel_id, messages, .. } => {
            Some((BoxId::Channel(*channel_id), i64::from(*messages.first()?)))
        }
        Update::Qts { payload, .. } => Some((BoxId::Qts, eid(payload)?)),
        _ => None,
    }
}

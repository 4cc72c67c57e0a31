//! Deduplication of VK's redeliveries by `(group_id, event_id)`.
//!
//! VK resends an event after a slow or non-`ok` answer, with the same
//! `event_id`. The server claims each id before running handlers and marks
//! it finished once they answered `ok`. A redelivery of a finished id is
//! answered `ok` without running them again; a redelivery that arrives while
//! the first delivery is still running is answered `503` with a short
//! `Retry-After` (synchronous mode), so the event is not acknowledged before
//! its outcome is known. When the handlers ask for a retry (`Retry-After`)
//! or panic, the id is released so the redelivery runs them again. [`MemoryDedup`] is the default store;
//! implement [`DedupStore`] to share ids between replicas (Redis, SQL...).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

/// The identity of one event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventKey {
    /// The community.
    pub group_id: i64,
    /// VK's event id.
    pub event_id: String,
}

/// What a claim of an event id found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// Not live: the id is now claimed, run the handlers.
    New,
    /// Claimed by a delivery whose handlers have not finished yet.
    InFlight,
    /// Handled: answer `ok` without running the handlers.
    Done,
}

/// A store of event ids being handled or handled.
#[async_trait]
pub trait DedupStore: Send + Sync + 'static {
    /// Claims `key`. A store that cannot reach its backend should return
    /// [`Claimed::New`] (handle rather than lose the event) and log.
    async fn claim(&self, key: &EventKey) -> Claimed;

    /// Marks a claimed `key` handled: later claims find [`Claimed::Done`].
    async fn finish(&self, key: &EventKey);

    /// Forgets `key`, so a redelivery is handled again.
    async fn release(&self, key: &EventKey);
}

/// An in-memory store bounded by entry count and age. The oldest entries are
/// dropped first when it is full. Time is `tokio::time`, so tests can pause it.
///
/// Event ids are kept as 128-bit keyed fingerprints (two SipHash-1-3 with
/// per-process random keys), not strings: entries are small and allocation
/// free. Two different ids of one group collide with probability about
/// 2^-128 per pair.
#[derive(Debug)]
pub struct MemoryDedup {
    capacity: usize,
    ttl: Duration,
    hashers: [RandomState; 2],
    state: Mutex<State>,
}

/// A group id and the fingerprint of an event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Fingerprint {
    group_id: i64,
    id: u128,
}

/// The fingerprint is already uniformly random: hash it by mixing its words.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_i64(&mut self, word: i64) {
        self.write_u64(u64::from_ne_bytes(word.to_ne_bytes()));
    }

    fn write_u128(&mut self, word: u128) {
        // Truncation is the point: the two halves are mixed in turn.
        self.write_u64(word as u64);
        self.write_u64((word >> 64) as u64);
    }
}

#[derive(Debug, Default)]
struct State {
    live: HashMap<Fingerprint, Live, BuildHasherDefault<MixHasher>>,
    /// Claims in time order; entries whose claim no longer matches `live`
    /// (released or claimed again) are stale and skipped.
    order: VecDeque<(Fingerprint, Claim)>,
    next: u64,
}

/// A live id: its claim, and whether its handlers finished.
#[derive(Debug, Clone, Copy)]
struct Live {
    claim: Claim,
    done: bool,
}

/// When a key was claimed, and a serial number telling claims apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Claim {
    at: Instant,
    serial: u64,
}

impl MemoryDedup {
    /// Default capacity: 65 536 ids.
    pub const DEFAULT_CAPACITY: usize = 65_536;
    /// Default time to live: one hour (VK's retries come within minutes).
    pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

    /// A store keeping at most `capacity` ids (at least 1) for `ttl` each.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            capacity: capacity.max(1),
            ttl,
            hashers: [RandomState::new(), RandomState::new()],
            state: Mutex::default(),
        }
    }

    fn fingerprint(&self, key: &EventKey) -> Fingerprint {
        let [a, b] = &self.hashers;
        let id =
            u128::from(a.hash_one(&key.event_id)) << 64 | u128::from(b.hash_one(&key.event_id));
        Fingerprint { group_id: key.group_id, id }
    }

    /// How many ids are live.
    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    /// Whether no id is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryDedup {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY, Self::DEFAULT_TTL)
    }
}

impl State {
    fn pop_front(&mut self) {
        if let Some((key, at)) = self.order.pop_front()
            && let Entry::Occupied(live) = self.live.entry(key)
            && live.get().claim == at
        {
            live.remove();
        }
    }
}

#[async_trait]
impl DedupStore for MemoryDedup {
    async fn claim(&self, key: &EventKey) -> Claimed {
        let key = self.fingerprint(key);
        let now = Instant::now();
        let mut state = self.lock();
        while state.order.front().is_some_and(|(_, c)| now.duration_since(c.at) >= self.ttl) {
            state.pop_front();
        }
        let claim = Claim { at: now, serial: state.next };
        // One probe for the lookup and the insert.
        match state.live.entry(key) {
            Entry::Occupied(live) if live.get().done => return Claimed::Done,
            Entry::Occupied(_) => return Claimed::InFlight,
            Entry::Vacant(slot) => slot.insert(Live { claim, done: false }),
        };
        state.next += 1;
        state.order.push_back((key, claim));
        while state.live.len() > self.capacity || state.order.len() > 2 * self.capacity {
            state.pop_front();
        }
        Claimed::New
    }

    async fn finish(&self, key: &EventKey) {
        let key = self.fingerprint(key);
        if let Some(live) = self.lock().live.get_mut(&key) {
            live.done = true;
        }
    }

    async fn release(&self, key: &EventKey) {
        let key = self.fingerprint(key);
        self.lock().live.remove(&key);
    }
}

#[cfg(test)]
mod tests;

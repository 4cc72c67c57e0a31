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

use std::any::Any;
use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
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
/// Event ids are kept as 128-bit keyed fingerprints of `(group_id, event_id)`
/// (two SipHash-1-3 with per-process random keys), not strings: an id costs
/// 5 to 10 bytes in the table of live claims plus 32 in the claim queue, and
/// no allocation. Two
/// different keys collide with probability about 2^-128 per pair. The
/// server calls it directly, not through [`DedupStore`]'s boxed futures, and
/// fingerprints each delivery once to claim, finish or release it.
#[derive(Debug)]
pub struct MemoryDedup {
    capacity: usize,
    /// The time to live in nanoseconds (saturated).
    ttl: u64,
    hashers: [RandomState; 2],
    /// Claim times are nanoseconds since this instant.
    epoch: Instant,
    state: Mutex<State>,
}

/// The keyed 128-bit fingerprint of a `(group_id, event_id)`. Its first
/// word, already uniformly random, is its hash in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint(u64, u64);

/// The live claims and their order.
///
/// Claims are queued in time order in `order`, the claim with serial number
/// `s` at position `s - base`. The table holds the serial of each live claim
/// and nothing else, so it stays small (a few bytes per id) and evicting the
/// oldest claim finds its slot by comparing serials, without reading the
/// queue. Queued claims whose serial is no longer in the table (released,
/// or evicted) are stale and skipped.
#[derive(Debug, Default)]
struct State {
    live: HashTable<u32>,
    order: VecDeque<Queued>,
    /// The serial of `order`'s front. Serials are 32-bit and wrap: the
    /// queue never holds 2^32 claims (see [`MemoryDedup::MAX_CAPACITY`]).
    base: u32,
}

/// One claim in the queue.
#[derive(Debug, Clone, Copy)]
struct Queued {
    key: Fingerprint,
    /// Nanoseconds since the store's epoch.
    at: u64,
    done: bool,
}

impl MemoryDedup {
    /// Default capacity: 65 536 ids.
    pub const DEFAULT_CAPACITY: usize = 65_536;
    /// Default time to live: one hour (VK's retries come within minutes).
    pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

    /// The largest capacity: 2^30 ids (a larger one is lowered to it).
    pub const MAX_CAPACITY: usize = 1 << 30;

    /// A store keeping at most `capacity` ids (at least 1, at most
    /// [`MemoryDedup::MAX_CAPACITY`]) for `ttl` each.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            capacity: capacity.clamp(1, Self::MAX_CAPACITY),
            ttl: u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX),
            hashers: [RandomState::new(), RandomState::new()],
            epoch: Instant::now(),
            // Sized up front (up to the default capacity): no rehash pauses
            // while the store fills.
            state: Mutex::new(State {
                live: HashTable::with_capacity(capacity.min(Self::DEFAULT_CAPACITY)),
                order: VecDeque::with_capacity(capacity.min(Self::DEFAULT_CAPACITY)),
                base: 0,
            }),
        }
    }

    pub(crate) fn fingerprint(&self, group_id: i64, event_id: &str) -> Fingerprint {
        let [a, b] = &self.hashers;
        Fingerprint(a.hash_one((group_id, event_id)), b.hash_one((group_id, event_id)))
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

    pub(crate) fn claim_now(&self, key: Fingerprint) -> Claimed {
        let now = u64::try_from(Instant::now().saturating_duration_since(self.epoch).as_nanos())
            .unwrap_or(u64::MAX);
        let mut state = self.lock();
        while state.order.front().is_some_and(|c| now - c.at.min(now) >= self.ttl) {
            state.pop_front();
        }
        let State { live, order, base } = &mut *state;
        // The queue is shorter than 2^31 (twice the capacity at most).
        let serial = base.wrapping_add(order.len() as u32);
        let queued = |s: u32| order.get(position(s, *base));
        // One probe for the lookup and the insert.
        match live.entry(key.0, claim_of(order, *base, key), |&s| queued(s).map_or(0, |q| q.key.0))
        {
            Entry::Occupied(claim) if queued(*claim.get()).is_some_and(|q| q.done) => {
                return Claimed::Done;
            }
            Entry::Occupied(_) => return Claimed::InFlight,
            Entry::Vacant(slot) => slot.insert(serial),
        };
        order.push_back(Queued { key, at: now, done: false });
        while state.live.len() > self.capacity || state.order.len() > 2 * self.capacity {
            state.pop_front();
        }
        Claimed::New
    }

    pub(crate) fn finish_now(&self, key: Fingerprint) {
        let mut state = self.lock();
        if let Some(index) = state.find(key)
            && let Some(claim) = state.order.get_mut(index)
        {
            claim.done = true;
        }
    }

    pub(crate) fn release_now(&self, key: Fingerprint) {
        let mut state = self.lock();
        let State { live, order, base } = &mut *state;
        if let Ok(claim) = live.find_entry(key.0, claim_of(order, *base, key)) {
            claim.remove();
        }
    }
}

impl Default for MemoryDedup {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY, Self::DEFAULT_TTL)
    }
}

/// The queue position of the claim with serial `serial`.
fn position(serial: u32, base: u32) -> usize {
    serial.wrapping_sub(base) as usize
}

/// Whether a table entry (a serial) is `key`'s claim.
fn claim_of(order: &VecDeque<Queued>, base: u32, key: Fingerprint) -> impl Fn(&u32) -> bool + '_ {
    move |&s| order.get(position(s, base)).is_some_and(|q| q.key == key)
}

impl State {
    /// The queue position of `key`'s live claim.
    fn find(&self, key: Fingerprint) -> Option<usize> {
        let claim = self.live.find(key.0, claim_of(&self.order, self.base, key))?;
        Some(position(*claim, self.base))
    }

    /// Drops the oldest queued claim, and its table entry if it is live.
    fn pop_front(&mut self) {
        if let Some(claim) = self.order.pop_front() {
            let serial = self.base;
            self.base = self.base.wrapping_add(1);
            if let Ok(live) = self.live.find_entry(claim.key.0, |&s| s == serial) {
                live.remove();
            }
        }
    }
}

#[async_trait]
impl DedupStore for MemoryDedup {
    async fn claim(&self, key: &EventKey) -> Claimed {
        self.claim_now(self.fingerprint(key.group_id, &key.event_id))
    }

    async fn finish(&self, key: &EventKey) {
        self.finish_now(self.fingerprint(key.group_id, &key.event_id));
    }

    async fn release(&self, key: &EventKey) {
        self.release_now(self.fingerprint(key.group_id, &key.event_id));
    }
}

/// The server's dedup store: the in-memory one called directly (no boxed
/// futures, one fingerprint per delivery), or any other through
/// [`DedupStore`].
pub(crate) enum Dedup {
    Memory(MemoryDedup),
    Store(Arc<dyn DedupStore>),
}

/// A claimed event, to finish or release later.
pub(crate) enum Ticket {
    Memory(Fingerprint),
    Store(EventKey),
}

impl Dedup {
    /// Wraps `store`, recognising a [`MemoryDedup`].
    pub(crate) fn new<S: DedupStore>(store: S) -> Self {
        let mut slot = Some(store);
        let memory = (&mut slot as &mut dyn Any).downcast_mut::<Option<MemoryDedup>>();
        match (memory.and_then(Option::take), slot) {
            (Some(memory), _) => Self::Memory(memory),
            (None, Some(store)) => Self::Store(Arc::new(store)),
            // The slot is only emptied when it held a MemoryDedup.
            (None, None) => Self::Memory(MemoryDedup::default()),
        }
    }

    pub(crate) async fn claim(&self, group_id: i64, event_id: &str) -> (Claimed, Ticket) {
        match self {
            Self::Memory(memory) => {
                let key = memory.fingerprint(group_id, event_id);
                (memory.claim_now(key), Ticket::Memory(key))
            }
            Self::Store(store) => {
                let key = EventKey { group_id, event_id: event_id.to_owned() };
                (store.claim(&key).await, Ticket::Store(key))
            }
        }
    }

    pub(crate) async fn finish(&self, ticket: &Ticket) {
        match (self, ticket) {
            (Self::Memory(memory), Ticket::Memory(key)) => memory.finish_now(*key),
            (Self::Store(store), Ticket::Store(key)) => store.finish(key).await,
            _ => {}
        }
    }

    pub(crate) async fn release(&self, ticket: &Ticket) {
        match (self, ticket) {
            (Self::Memory(memory), Ticket::Memory(key)) => memory.release_now(*key),
            (Self::Store(store), Ticket::Store(key)) => store.release(key).await,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;

//! [`Hub`]: the queues of several mailboxes behind one lock, so that a
//! [`Registry`](crate::Registry) push offers a receipt to all of them in one
//! short critical section instead of one synchronised send per handler.
//!
//! Each mailbox owns a [`Lane`]: two bounded queues (channel requests and
//! receipts), its offer counters, its state and its worker's waker. Offers
//! never wait: the lock is held to compare a length, push an `Arc` and bump
//! a plain counter, and wakers are woken after it is released. A lone
//! mailbox gets a hub of its own. It does not deliver anything: a worker
//! takes its lane's whole queue at once ([`LaneRef::poll_take`]) and
//! delivers outside the lock.
//!
//! Overload has a lock-free path: once a push finds every running lane's
//! queue of its kind full, the hub is marked saturated for that kind (receipts
//! and channel requests separately), and later pushes only count
//! themselves in one atomic word until anything that can change the
//! picture (a worker taking items, a lane starting or closing, a counter
//! read) settles that count into every running lane's `dropped` under the
//! lock. The flag and the count share the word, so settling takes exactly
//! the pushes refused while the flag stood, and the lanes cannot change
//! meanwhile.

use std::collections::VecDeque;
use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::{ChannelReq, Offer, Receipt};

/// Lanes behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    lanes: Mutex<Vec<Lane>>,
    /// Per item kind ([`Item::KIND`]): [`SATURATED`] while every running
    /// lane's queue of that kind is full, plus how many offers were
    /// refused without the lock since it was set.
    saturated: [Padded<AtomicU64>; 2],
}

/// The flag bit of [`Hub::saturated`]; the bits below count refusals.
const SATURATED: u64 = 1 << 63;

/// Keeps the saturation word off the lock's cache line, which the workers
/// on other cores write.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded<T>(T);

/// Where a lane is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Neither started nor disabled yet.
    Idle,
    /// Initialised as disabled; never runs.
    Disabled,
    /// A worker takes its items.
    Running,
    /// Stopped, dropped, or its worker ended; takes nothing any more.
    Closed,
}

/// One mailbox's queues, counters and worker waker.
#[derive(Debug)]
pub(crate) struct Lane {
    state: State,
    capacity: usize,
    receipts: VecDeque<Arc<Receipt>>,
    channels: VecDeque<Arc<ChannelReq>>,
    waker: Option<Waker>,
    accepted: u64,
    dropped: u64,
    abandoned: u64,
}

/// What a lane has counted on the offering side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Offers {
    pub(crate) accepted: u64,
    pub(crate) dropped: u64,
    pub(crate) abandoned: u64,
}

/// The items a worker took in one go, delivered outside the lock.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) channels: VecDeque<Arc<ChannelReq>>,
    pub(crate) receipts: VecDeque<Arc<Receipt>>,
}

/// A kind of item a lane queues.
pub(crate) trait Item {
    /// This kind's index in [`Hub::saturated`].
    const KIND: usize;

    /// The lane's queue for this kind.
    fn queue(lane: &mut Lane) -> &mut VecDeque<Arc<Self>>;
}

impl Item for Receipt {
    const KIND: usize = 0;

    #[inline]
    fn queue(lane: &mut Lane) -> &mut VecDeque<Arc<Self>> {
        &mut lane.receipts
    }
}

impl Item for ChannelReq {
    const KIND: usize = 1;

    #[inline]
    fn queue(lane: &mut Lane) -> &mut VecDeque<Arc<Self>> {
        &mut lane.channels
    }
}

/// Wakers taken under the lock, woken after it is released.
#[derive(Default)]
struct Wakeups(Vec<Waker>);

impl Wakeups {
    fn wake(self) {
        self.0.into_iter().for_each(Waker::wake);
    }
}

impl Lane {
    fn new() -> Self {
        Self {
            state: State::Idle,
            capacity: 0,
            receipts: VecDeque::new(),
            channels: VecDeque::new(),
            waker: None,
            accepted: 0,
            dropped: 0,
            abandoned: 0,
        }
    }

    /// Queues `item` (cloning the `Arc`) if running and not full; counts
    /// the offer either way.
    #[inline]
    fn offer<T: Item>(&mut self, item: &Arc<T>, wakeups: &mut Wakeups) -> Offer {
        if self.state != State::Running {
            self.dropped += 1;
            return Offer::Closed;
        }
        if T::queue(self).len() >= self.capacity {
            self.dropped += 1;
            return Offer::Full;
        }
        T::queue(self).push_back(Arc::clone(item));
        self.accepted += 1;
        if let Some(waker) = self.waker.take() {
            wakeups.0.push(waker);
        }
        Offer::Accepted
    }
}

impl Hub {
    /// A hub with no lanes.
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// The lanes; a panic elsewhere never leaves them half-updated (no
    /// code under this lock panics), so poisoning is ignored.
    #[inline]
    fn lock(&self) -> MutexGuard<'_, Vec<Lane>> {
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an idle lane.
    pub(crate) fn add_lane(self: &Arc<Self>) -> LaneRef {
        let mut lanes = self.lock();
        lanes.push(Lane::new());
        LaneRef { hub: Arc::clone(self), index: lanes.len() - 1 }
    }

    /// Offers `item` to every running lane under one lock; lanes not
    /// running are skipped and count nothing. Returns how many accepted.
    /// While the hub is saturated this only counts the refusal.
    #[inline]
    pub(crate) fn offer_running<T: Item>(&self, item: &Arc<T>) -> usize {
        if self.refused_while_saturated(T::KIND) {
            return 0;
        }
        let mut wakeups = Wakeups::default();
        let accepted = {
            let mut lanes = self.lock();
            self.settle(&mut lanes);
            let mut accepted = 0;
            for lane in lanes.iter_mut().filter(|lane| lane.state == State::Running) {
                accepted += usize::from(lane.offer(item, &mut wakeups).is_accepted());
            }
            if accepted == 0 {
                // Every running lane refused, so each is full: `settle`
                // above left the word at zero and nobody can add to it
                // before this store.
                self.saturated[T::KIND].0.store(SATURATED, Ordering::Relaxed);
            }
            accepted
        };
        wakeups.wake();
        accepted
    }

    /// Counts one refused offer if the hub is saturated for `kind`.
    #[inline]
    fn refused_while_saturated(&self, kind: usize) -> bool {
        let word = &self.saturated[kind].0;
        let mut current = word.load(Ordering::Relaxed);
        while current & SATURATED != 0 {
            match word.compare_exchange_weak(
                current,
                current + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => current = now,
            }
        }
        false
    }

    /// Under the lock: clears the saturation flags and adds the offers
    /// refused while they stood to every running lane's `dropped` (they
    /// were all full, and none has changed since: every change settles
    /// first).
    #[inline]
    fn settle(&self, lanes: &mut [Lane]) {
        for word in &self.saturated {
            let word = &word.0;
            if word.load(Ordering::Relaxed) == 0 {
                continue;
            }
            let refused = word.swap(0, Ordering::Relaxed) & !SATURATED;
            if refused > 0 {
                for lane in lanes.iter_mut().filter(|lane| lane.state == State::Running) {
                    lane.dropped += refused;
                }
            }
        }
    }
}

/// A mailbox's lane in a hub.
#[derive(Debug, Clone)]
pub(crate) struct LaneRef {
    hub: Arc<Hub>,
    index: usize,
}

impl LaneRef {
    /// Runs `f` on the lane under the hub's lock.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut Lane) -> R) -> R {
        f(&mut self.hub.lock()[self.index])
    }

    /// [`with`](Self::with), after settling the hub's saturation count:
    /// for anything that can make a lane not full, or start or stop one,
    /// or reads the counters.
    #[inline]
    fn with_settled<R>(&self, f: impl FnOnce(&mut Lane) -> R) -> R {
        let mut lanes = self.hub.lock();
        self.hub.settle(&mut lanes);
        f(&mut lanes[self.index])
    }

    /// Offers `item` (counted either way), or, with `only_if_running` and
    /// a lane not running, returns `None` with nothing counted.
    #[inline]
    pub(crate) fn offer<T: Item>(&self, item: &Arc<T>, only_if_running: bool) -> Option<Offer> {
        let mut wakeups = Wakeups::default();
        let offer = self.with(|lane| {
            if only_if_running && lane.state != State::Running {
                return None;
            }
            Some(lane.offer(item, &mut wakeups))
        });
        wakeups.wake();
        offer
    }

    /// The lane's state.
    pub(crate) fn state(&self) -> State {
        self.with(|lane| lane.state)
    }

    /// Moves an idle lane to `Disabled`, or to `Running` with queues of
    /// `capacity`; false if it was not idle.
    pub(crate) fn claim(&self, running: Option<usize>) -> bool {
        self.with_settled(|lane| {
            if lane.state != State::Idle {
                return false;
            }
            match running {
                Some(capacity) => {
                    lane.state = State::Running;
                    lane.capacity = capacity;
                }
                None => lane.state = State::Disabled,
            }
            true
        })
    }

    /// Stops a running lane taking offers and wakes its worker, which
    /// delivers what is queued and ends.
    pub(crate) fn close(&self) {
        let waker = self.with_settled(|lane| {
            if lane.state != State::Running {
                return None;
            }
            lane.state = State::Closed;
            lane.waker.take()
        });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The worker's side: moves everything queued into the empty `batch`
    /// (`Ready(true)`), or `Ready(false)` once the lane is closed and
    /// empty, or registers the worker's waker (`Pending`).
    pub(crate) fn poll_take(&self, batch: &mut Batch, cx: &mut Context<'_>) -> Poll<bool> {
        let mut lanes = self.hub.lock();
        let lane = &lanes[self.index];
        if !lane.channels.is_empty() || !lane.receipts.is_empty() {
            // Taking makes the lane not full: settle first.
            self.hub.settle(&mut lanes);
            let lane = &mut lanes[self.index];
            mem::swap(&mut lane.channels, &mut batch.channels);
            mem::swap(&mut lane.receipts, &mut batch.receipts);
            return Poll::Ready(true);
        }
        let lane = &mut lanes[self.index];
        if lane.state != State::Running {
            return Poll::Ready(false);
        }
        match &lane.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => lane.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The worker has ended (drained, aborted or panicked): closes the
    /// lane, drops what is still queued, and counts as abandoned every
    /// accepted item that was neither delivered nor failed (`finished`).
    pub(crate) fn retire(&self, finished: u64) {
        let left = self.with_settled(|lane| {
            lane.state = State::Closed;
            lane.waker = None;
            lane.abandoned = lane.accepted.saturating_sub(finished);
            (mem::take(&mut lane.receipts), mem::take(&mut lane.channels))
        });
        // The receipts are dropped here, outside the lock.
        drop(left);
    }

    /// The offering side's counters.
    pub(crate) fn offers(&self) -> Offers {
        self.with_settled(|lane| Offers {
            accepted: lane.accepted,
            dropped: lane.dropped,
            abandoned: lane.abandoned,
        })
    }
}

#[cfg(test)]
mod tests;

//! The mailbox's atomic counters: offers are counted on the pushers' side,
//! outcomes on the worker's, on separate cache lines so a busy worker does
//! not slow the pushers down.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::{Counters, Offer};

/// Counters shared by the mailbox (offers) and its worker (outcomes).
#[derive(Debug, Default)]
pub(super) struct AtomicCounters {
    offers: CacheLine<[AtomicU64; 2]>,
    outcomes: CacheLine<[AtomicU64; 3]>,
}

/// Keeps its contents on their own cache line (128 bytes covers adjacent
/// line prefetching on x86 and the line size of Apple silicon).
#[derive(Debug, Default)]
#[repr(align(128))]
struct CacheLine<T>(T);

const ACCEPTED: usize = 0;
const DROPPED: usize = 1;
const DELIVERED: usize = 0;
const FAILED: usize = 1;
const ABANDONED: usize = 2;

impl AtomicCounters {
    #[inline]
    pub(super) fn offered(&self, offer: Offer) {
        let slot = if offer.is_accepted() { ACCEPTED } else { DROPPED };
        self.offers.0[slot].fetch_add(1, Relaxed);
    }

    pub(super) fn finished(&self, ok: bool) {
        let slot = if ok { DELIVERED } else { FAILED };
        self.outcomes.0[slot].fetch_add(1, Relaxed);
    }

    pub(super) fn abandoned(&self, count: u64) {
        self.outcomes.0[ABANDONED].fetch_add(count, Relaxed);
    }

    pub(super) fn snapshot(&self) -> Counters {
        // Each number is exact; while the worker runs they are not read at
        // one instant (an item can be delivered before its offer is counted).
        Counters {
            accepted: self.offers.0[ACCEPTED].load(Relaxed),
            dropped: self.offers.0[DROPPED].load(Relaxed),
            delivered: self.outcomes.0[DELIVERED].load(Relaxed),
            failed: self.outcomes.0[FAILED].load(Relaxed),
            abandoned: self.outcomes.0[ABANDONED].load(Relaxed),
        }
    }
}

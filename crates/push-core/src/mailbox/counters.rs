//! The worker's outcome counters (delivered, failed): atomics on their own
//! cache line, so the worker on one core counts without taking the hub's
//! lock and without slowing the pushers on another. The offering side's
//! counters live in the mailbox's lane, under the hub's lock.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Delivered and failed items, counted by the worker.
#[derive(Debug, Default)]
#[repr(align(128))] // covers adjacent-line prefetching on x86 and Apple's line size
pub(super) struct Outcomes {
    delivered: AtomicU64,
    failed: AtomicU64,
}

impl Outcomes {
    #[inline]
    pub(super) fn finished(&self, ok: bool) {
        let counter = if ok { &self.delivered } else { &self.failed };
        counter.fetch_add(1, Relaxed);
    }

    pub(super) fn delivered(&self) -> u64 {
        self.delivered.load(Relaxed)
    }

    pub(super) fn failed(&self) -> u64 {
        self.failed.load(Relaxed)
    }
}

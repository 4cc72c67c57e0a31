//! `GapBox`: the pending buffer of one sequence box (common pts, qts or
//! one channel) and its gap deadline.
//!
//! It only orders and deduplicates; deciding when to fetch a difference is
//! the engine's job.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::tl::{Chat, Update, User};

/// Users and chats of one container, shared by its buffered updates.
#[derive(Debug, Default)]
pub(crate) struct Entities {
    pub(crate) users: Vec<User>,
    pub(crate) chats: Vec<Chat>,
}

/// A buffered update: the range it covers and what to deliver when it
/// applies (`None` for a position-only marker such as `messages.affected*`).
#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) start: i32,
    pub(crate) end: i32,
    pub(crate) update: Option<Update>,
    pub(crate) entities: Option<Arc<Entities>>,
}

/// Pending updates ordered by start position (ties by arrival).
#[derive(Debug, Default)]
pub(crate) struct GapBox {
    pending: BTreeMap<(i32, u64), Item>,
    /// When the hole must be fetched, if one is open.
    pub(crate) deadline: Option<Instant>,
}

impl GapBox {
    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Start of the lowest buffered item.
    pub(crate) fn first_start(&self) -> Option<i32> {
        self.pending.first_key_value().map(|(&(start, _), _)| start)
    }

    pub(crate) fn insert(&mut self, item: Item, arrival: u64) {
        self.pending.insert((item.start, arrival), item);
    }

    /// Pops the next item that applies at `*local`, dropping every item
    /// already covered; advances `*local`. `None` at the first hole.
    pub(crate) fn pop_ready(&mut self, local: &mut i32) -> Option<Item> {
        loop {
            let (&(start, _), _) = self.pending.first_key_value()?;
            if start > *local {
                return None;
            }
            let (_, item) = self.pending.pop_first()?;
            if start == *local {
                *local = item.end;
                return Some(item);
            }
            tracing::trace!(start, local = *local, "dropping buffered duplicate");
        }
    }

    /// Drops everything (the box was reset or removed); returns how many.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.pending.len();
        self.pending.clear();
        self.deadline = None;
        n
    }

    /// After a drain: no hole → no deadline; progress or a new hole → a
    /// fresh deadline for what remains; otherwise keep the old one (the
    /// window is never extended by updates that fill nothing).
    pub(crate) fn settle(&mut self, progressed: bool, at: Instant) {
        if self.pending.is_empty() {
            self.deadline = None;
        } else if progressed || self.deadline.is_none() {
            self.deadline = Some(at);
        }
    }
}

/// A [`GapBox`] allocated only while it holds something: an idle channel
/// pays one pointer for it.
#[derive(Debug, Default)]
pub(crate) struct LazyGap(Option<Box<GapBox>>);

impl LazyGap {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|b| b.is_empty())
    }

    pub(crate) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |b| b.len())
    }

    pub(crate) fn insert(&mut self, item: Item, arrival: u64) {
        self.0.get_or_insert_with(Box::default).insert(item, arrival);
    }

    pub(crate) fn pop_ready(&mut self, local: &mut i32) -> Option<Item> {
        self.0.as_mut()?.pop_ready(local)
    }

    pub(crate) fn first_start(&self) -> Option<i32> {
        self.0.as_ref()?.first_start()
    }

    pub(crate) fn clear(&mut self) -> usize {
        self.0.take().map_or(0, |mut b| b.clear())
    }

    /// Like [`GapBox::settle`]; frees the box once it is empty.
    pub(crate) fn settle(&mut self, progressed: bool, at: Instant) {
        if let Some(b) = &mut self.0 {
            b.settle(progressed, at);
            if b.is_empty() {
                self.0 = None;
            }
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.0.as_ref()?.deadline
    }

    pub(crate) fn set_deadline(&mut self, at: Option<Instant>) {
        if let Some(b) = &mut self.0 {
            b.deadline = at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(start: i32, end: i32) -> Item {
        Item { start, end, update: None, entities: None }
    }

    #[test]
    fn pops_in_order_and_drops_duplicates() {
        let mut b = GapBox::default();
        b.insert(item(103, 104), 0);
        b.insert(item(101, 102), 1);
        b.insert(item(99, 100), 2);
        b.insert(item(101, 102), 3);
        let mut local = 101;
        assert_eq!(b.pop_ready(&mut local).map(|i| i.end), Some(102));
        assert_eq!(local, 102);
        // the duplicate (101,102) is dropped; 103 is a hole away
        assert!(b.pop_ready(&mut local).is_none());
        assert_eq!(b.len(), 1);
        local = 103;
        assert_eq!(b.pop_ready(&mut local).map(|i| i.end), Some(104));
        assert!(b.is_empty());
    }

    #[test]
    fn zero_count_items_apply_at_their_position() {
        let mut b = GapBox::default();
        b.insert(item(5, 5), 0);
        b.insert(item(4, 4), 1);
        let mut local = 5;
        assert_eq!(b.pop_ready(&mut local).map(|i| i.end), Some(5));
        assert_eq!(local, 5);
        assert!(b.is_empty());
    }

    #[test]
    fn settle_keeps_or_rearms_the_window() {
        let t0 = Instant::now();
        let later = t0 + std::time::Duration::from_millis(400);
        let mut b = GapBox::default();
        b.insert(item(5, 6), 0);
        b.settle(false, t0);
        assert_eq!(b.deadline, Some(t0));
        b.settle(false, later);
        assert_eq!(b.deadline, Some(t0), "not extended without progress");
        b.settle(true, later);
        assert_eq!(b.deadline, Some(later), "re-armed after progress");
        assert_eq!(b.clear(), 1);
        b.settle(true, later);
        assert_eq!(b.deadline, None);
    }
}

//! A lossy network between the fake server and a client under test: it
//! drops, duplicates and delays containers, reproducibly from the caller's
//! random source.

use rand::Rng;

use crate::tl::Updates;

/// Per-container probabilities; what is left passes untouched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossyNetwork {
    /// Lost for good.
    pub drop: f64,
    /// Arrives twice.
    pub duplicate: f64,
    /// Held back 1 to 6 steps, so later containers overtake it.
    pub reorder: f64,
}

impl Default for LossyNetwork {
    /// 10 % dropped, 5 % duplicated, 15 % held back.
    fn default() -> LossyNetwork {
        LossyNetwork { drop: 0.10, duplicate: 0.05, reorder: 0.15 }
    }
}

/// What happened to one container on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Lost.
    Dropped,
    /// Arrived twice.
    Duplicated,
    /// Held back.
    Delayed,
    /// Arrived once, on time.
    Passed,
}

/// The containers a [`LossyNetwork`] holds back, and when they are due.
#[derive(Debug, Default)]
pub struct InTransit {
    held: Vec<(usize, Updates)>,
}

impl InTransit {
    /// Sends `container` at `step` through `net`: its fate, and every
    /// container that arrives at this step (this one and its duplicate,
    /// then delayed ones now due), in arrival order.
    pub fn send(
        &mut self,
        net: &LossyNetwork,
        rng: &mut impl Rng,
        step: usize,
        container: Updates,
    ) -> (Fate, Vec<Updates>) {
        let roll: f64 = rng.random();
        let mut now = Vec::new();
        let fate = if roll < net.drop {
            Fate::Dropped
        } else if roll < net.drop + net.duplicate {
            now.push(container.clone());
            now.push(container);
            Fate::Duplicated
        } else if roll < net.drop + net.duplicate + net.reorder {
            self.held.push((step + rng.random_range(1..=6), container));
            Fate::Delayed
        } else {
            now.push(container);
            Fate::Passed
        };
        self.take_due(step, &mut now);
        (fate, now)
    }

    /// Sends `container` at `step` untouched: it and the delayed containers
    /// now due, in arrival order.
    pub fn pass(&mut self, step: usize, container: Updates) -> Vec<Updates> {
        let mut now = vec![container];
        self.take_due(step, &mut now);
        now
    }

    /// Everything still held back, in the order it was held.
    pub fn flush(self) -> Vec<Updates> {
        self.held.into_iter().map(|(_, c)| c).collect()
    }

    fn take_due(&mut self, step: usize, now: &mut Vec<Updates>) {
        let (due, rest): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.held).into_iter().partition(|(at, _)| *at <= step);
        self.held = rest;
        now.extend(due.into_iter().map(|(_, c)| c));
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn container(seq: i32) -> Updates {
        Updates::Combined {
            updates: vec![],
            users: vec![],
            chats: vec![],
            date: 0,
            seq_start: seq,
            seq,
        }
    }

    #[test]
    fn every_container_is_dropped_duplicated_delayed_or_passed_exactly_as_said() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut transit = InTransit::default();
        let all = |drop, duplicate, reorder| LossyNetwork { drop, duplicate, reorder };
        assert_eq!(
            transit.send(&all(1.0, 0.0, 0.0), &mut rng, 0, container(1)),
            (Fate::Dropped, vec![])
        );
        let (fate, now) = transit.send(&all(0.0, 1.0, 0.0), &mut rng, 1, container(2));
        assert_eq!((fate, now), (Fate::Duplicated, vec![container(2), container(2)]));
        assert_eq!(
            transit.send(&all(0.0, 0.0, 1.0), &mut rng, 2, container(3)),
            (Fate::Delayed, vec![])
        );
        assert_eq!(transit.send(&all(0.0, 0.0, 0.0), &mut rng, 2, container(4)).0, Fate::Passed);
        // held for 1..=6 steps: due by step 8 at the latest
        assert_eq!(transit.pass(8, container(5)), vec![container(5), container(3)]);
        assert_eq!(transit.flush(), vec![]);
    }

    #[test]
    fn flush_returns_what_is_still_held_in_hold_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut transit = InTransit::default();
        let hold = LossyNetwork { drop: 0.0, duplicate: 0.0, reorder: 1.0 };
        for seq in 1..=3 {
            transit.send(&hold, &mut rng, 0, container(seq));
        }
        assert_eq!(transit.flush(), vec![container(1), container(2), container(3)]);
    }
}

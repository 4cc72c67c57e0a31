//! MemoryDedup: unit cases and a model-based property test.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::*;

fn key(id: u8) -> EventKey {
    EventKey { group_id: 1, event_id: format!("e{id}") }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_live_id_is_a_duplicate_until_released_or_expired() {
    let store = MemoryDedup::new(10, Duration::from_secs(60));
    assert!(store.claim(&key(1)).await);
    assert!(!store.claim(&key(1)).await);
    let other_group = EventKey { group_id: 2, ..key(1) };
    assert!(store.claim(&other_group).await, "ids are per group");
    store.release(&key(1)).await;
    assert!(store.claim(&key(1)).await);
    tokio::time::advance(Duration::from_secs(59)).await;
    assert!(!store.claim(&key(1)).await);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(store.claim(&key(1)).await, "expired after the ttl");
}

#[tokio::test(start_paused = true)]
async fn the_oldest_ids_go_first_when_full() {
    let store = MemoryDedup::new(3, Duration::from_secs(60));
    for id in 0..5 {
        assert!(store.claim(&key(id)).await);
    }
    assert_eq!(store.len(), 3);
    assert!(store.claim(&key(0)).await, "evicted");
    assert!(!store.claim(&key(4)).await, "kept");
}

#[derive(Debug, Clone)]
enum Op {
    Claim(u8),
    Release(u8),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..12).prop_map(Op::Claim),
        1 => (0u8..12).prop_map(Op::Release),
        1 => (0u64..40).prop_map(Op::Advance),
    ]
}

/// The obvious model: a list of (id, claim time) in claim order.
#[derive(Default)]
struct Model {
    live: VecDeque<(u8, u64)>,
}

impl Model {
    fn claim(&mut self, id: u8, now: u64, ttl: u64, capacity: usize) -> bool {
        self.live.retain(|&(_, at)| now - at < ttl);
        if self.live.iter().any(|&(k, _)| k == id) {
            return false;
        }
        self.live.push_back((id, now));
        while self.live.len() > capacity {
            self.live.pop_front();
        }
        true
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed), failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn memory_dedup_matches_the_model(ops in proptest::collection::vec(op(), 1..120), capacity in 1usize..6) {
        let ttl = 30;
        runtime().block_on(async {
            let store = MemoryDedup::new(capacity, Duration::from_secs(ttl));
            let mut model = Model::default();
            let mut now = 0;
            for op in ops {
                match op {
                    Op::Claim(id) => {
                        let got = store.claim(&key(id)).await;
                        prop_assert_eq!(got, model.claim(id, now, ttl, capacity), "claim {}", id);
                    }
                    Op::Release(id) => {
                        store.release(&key(id)).await;
                        model.live.retain(|&(k, _)| k != id);
                    }
                    Op::Advance(secs) => {
                        tokio::time::advance(Duration::from_secs(secs)).await;
                        now += secs;
                    }
                }
                prop_assert!(store.len() <= capacity);
            }
            Ok(())
        })?;
    }
}

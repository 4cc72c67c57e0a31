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
    assert_eq!(store.claim(&key(1)).await, Claimed::New);
    assert_eq!(store.claim(&key(1)).await, Claimed::InFlight, "handlers still running");
    store.finish(&key(1)).await;
    assert_eq!(store.claim(&key(1)).await, Claimed::Done);
    let other_group = EventKey { group_id: 2, ..key(1) };
    assert_eq!(store.claim(&other_group).await, Claimed::New, "ids are per group");
    store.release(&key(1)).await;
    assert_eq!(store.claim(&key(1)).await, Claimed::New);
    store.finish(&key(1)).await;
    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(store.claim(&key(1)).await, Claimed::Done);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(store.claim(&key(1)).await, Claimed::New, "expired after the ttl");
}

#[tokio::test(start_paused = true)]
async fn finishing_an_id_that_is_not_live_changes_nothing() {
    let store = MemoryDedup::new(10, Duration::from_secs(60));
    store.finish(&key(7)).await;
    assert!(store.is_empty());
    assert_eq!(store.claim(&key(7)).await, Claimed::New);
}

#[tokio::test(start_paused = true)]
async fn the_oldest_ids_go_first_when_full() {
    let store = MemoryDedup::new(3, Duration::from_secs(60));
    for id in 0..5 {
        assert_eq!(store.claim(&key(id)).await, Claimed::New);
    }
    assert_eq!(store.len(), 3);
    assert_eq!(store.claim(&key(0)).await, Claimed::New, "evicted");
    assert_eq!(store.claim(&key(4)).await, Claimed::InFlight, "kept");
}

#[derive(Debug, Clone)]
enum Op {
    Claim(u8),
    Finish(u8),
    Release(u8),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..12).prop_map(Op::Claim),
        2 => (0u8..12).prop_map(Op::Finish),
        1 => (0u8..12).prop_map(Op::Release),
        1 => (0u64..40).prop_map(Op::Advance),
    ]
}

/// The obvious model: a list of (id, claim time, finished) in claim order.
#[derive(Default)]
struct Model {
    live: VecDeque<(u8, u64, bool)>,
}

impl Model {
    fn claim(&mut self, id: u8, now: u64, ttl: u64, capacity: usize) -> Claimed {
        self.live.retain(|&(_, at, _)| now - at < ttl);
        if let Some(&(_, _, done)) = self.live.iter().find(|&&(k, _, _)| k == id) {
            return if done { Claimed::Done } else { Claimed::InFlight };
        }
        self.live.push_back((id, now, false));
        while self.live.len() > capacity {
            self.live.pop_front();
        }
        Claimed::New
    }

    fn finish(&mut self, id: u8) {
        for entry in self.live.iter_mut().filter(|(k, _, _)| *k == id) {
            entry.2 = true;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed), failure_persistence: None, ..ProptestConfig::default() })]
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
                    Op::Finish(id) => {
                        store.finish(&key(id)).await;
                        model.finish(id);
                    }
                    Op::Release(id) => {
                        store.release(&key(id)).await;
                        model.live.retain(|&(k, _, _)| k != id);
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

#[tokio::test(start_paused = true)]
async fn the_server_side_calls_the_memory_store_directly_with_one_fingerprint() {
    let dedup = Dedup::new(MemoryDedup::new(10, Duration::from_secs(60)));
    let Dedup::Memory(memory) = &dedup else { panic!("a MemoryDedup is recognised") };
    let (claimed, ticket) = dedup.claim(1, "e1").await;
    assert_eq!(claimed, Claimed::New);
    assert_eq!(memory.claim(&key(1)).await, Claimed::InFlight, "the trait sees the same id");
    assert_eq!(dedup.claim(2, "e1").await.0, Claimed::New, "ids are per group");
    dedup.finish(&ticket).await;
    assert_eq!(memory.claim(&key(1)).await, Claimed::Done);
    dedup.release(&ticket).await;
    assert_eq!(dedup.claim(1, "e1").await.0, Claimed::New, "released");
}

#[tokio::test(start_paused = true)]
async fn a_large_store_keeps_exactly_the_newest_ids_across_table_growth() {
    let capacity = 5_000;
    let store = MemoryDedup::new(capacity, Duration::from_secs(60));
    let id = |n: u32| EventKey { group_id: 7, event_id: format!("{n:040x}") };
    // The same operations on a plain list of (id, done), oldest first.
    let mut model: VecDeque<(u32, bool)> = VecDeque::new();
    for n in 0..12_000 {
        assert_eq!(store.claim(&id(n)).await, Claimed::New);
        model.push_back((n, false));
        if model.len() > capacity {
            model.pop_front();
        }
        if n % 3 == 0 {
            store.finish(&id(n)).await;
            model.back_mut().unwrap().1 = true;
        }
        if n % 1_000 == 998 {
            // A released id leaves a stale claim behind in the queue.
            store.release(&id(n - 500)).await;
            model.retain(|&(k, _)| k != n - 500);
        }
    }
    assert_eq!(store.len(), model.len());
    assert_eq!(model.len(), capacity, "later claims took the released places");
    let oldest = model.front().unwrap().0;
    for &(n, done) in model.iter().rev() {
        let expected = if done { Claimed::Done } else { Claimed::InFlight };
        assert_eq!(store.claim(&id(n)).await, expected, "id {n}");
    }
    let forgotten = store.claim(&id(oldest - 1)).await;
    assert_eq!(forgotten, Claimed::New, "evicted or released before the oldest live one");
}

#[tokio::test(start_paused = true)]
async fn serials_wrap_around_without_losing_claims() {
    let store = MemoryDedup::new(5, Duration::from_secs(60));
    store.lock().base = u32::MAX - 7;
    for n in 0..20 {
        assert_eq!(store.claim(&key(n)).await, Claimed::New);
        store.finish(&key(n)).await;
        if n == 17 {
            store.release(&key(16)).await;
        }
    }
    assert_eq!(store.len(), 5);
    for n in [19, 18, 17, 15, 14] {
        assert_eq!(store.claim(&key(n)).await, Claimed::Done, "id {n}");
    }
    assert_eq!(store.claim(&key(16)).await, Claimed::New, "released");
    assert_eq!(store.claim(&key(14)).await, Claimed::New, "evicted by the claim of 16");
}

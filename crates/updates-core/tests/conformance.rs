//! The `StateStorage` / `ChannelAccessHasher` conformance suite and the
//! model-based property test, run against `MemoryStorage`.

use std::sync::Arc;

use proptest::prelude::*;
use updates_core::conformance::{Op, check_ops, run_access_hasher, run_state_storage};
use updates_core::{MemoryStorage, State, StateWrite};

#[tokio::test]
async fn memory_storage_conforms() {
    run_state_storage(Arc::new(MemoryStorage::new()), 1000).await;
}

#[tokio::test]
async fn memory_access_hasher_conforms() {
    run_access_hasher(Arc::new(MemoryStorage::new()), 1000).await;
}

fn op() -> impl Strategy<Value = Op> {
    let v = -3..50i32;
    let c = -2..6i64;
    prop_oneof![
        Just(Op::GetState),
        (v.clone(), v.clone()).prop_map(|(a, b)| Op::SetState(State {
            pts: a,
            qts: b,
            date: a + b,
            seq: b
        })),
        v.clone().prop_map(Op::SetPts),
        v.clone().prop_map(Op::SetQts),
        v.clone().prop_map(Op::SetDate),
        v.clone().prop_map(Op::SetSeq),
        (v.clone(), v.clone()).prop_map(|(d, s)| Op::SetDateSeq(d, s)),
        c.clone().prop_map(Op::GetChannelPts),
        (c.clone(), v.clone()).prop_map(|(c, p)| Op::SetChannelPts(c, p)),
        c.clone().prop_map(Op::DeleteChannel),
        (proptest::option::of(v.clone()), proptest::collection::btree_map(c, v, 0..3)).prop_map(
            |(s, channels)| Op::WriteCheckpoint(StateWrite {
                state: s.map(|p| State { pts: p, qts: p, date: p, seq: p }),
                channels: channels.into_iter().collect(),
            })
        ),
        Just(Op::ForEachChannel),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn memory_storage_matches_the_model(ops in proptest::collection::vec(op(), 0..80)) {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let storage = MemoryStorage::new();
        let result = rt.block_on(check_ops(&storage, 7, &ops));
        prop_assert!(result.is_ok(), "{:?}", result);
    }
}

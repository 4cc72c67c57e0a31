//! Property test: any permutation/duplication of a contiguous pts stream,
//! delivered within the gap window, is delivered exactly once, in order,
//! without a single RPC.

use proptest::prelude::*;

use super::harness::*;
use crate::tl::Updates;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_duplicated_stream_heals_without_rpc(
        order in Just((101..=130).collect::<Vec<i32>>()).prop_shuffle(),
        dups in proptest::collection::vec(101..=130i32, 0..10),
        channel in any::<bool>(),
    ) {
        let mut sim = if channel {
            Sim::with(
                crate::engine::EngineConfig { catch_up_channels: false, ..crate::engine::EngineConfig::new(false) },
                state(100, 0, 1, 0),
                |sim| sim.engine.load_channel(7, 100, 77, sim.now),
            )
        } else {
            Sim::new(state(100, 0, 1, 0))
        };
        for p in order.iter().chain(dups.iter()) {
            let u = if channel { cnm(7, *p) } else { nm(*p) };
            sim.push(Updates::short(u, 0));
            sim.advance(10);
        }
        sim.advance(1000);
        let expected: Vec<String> = (101..=130)
            .map(|i| if channel { format!("c7:{i}") } else { format!("m{i}") })
            .collect();
        prop_assert_eq!(&sim.delivered, &expected);
        prop_assert!(sim.rpcs.is_empty());
        prop_assert_eq!(sim.engine.pending(), 0);
    }
}

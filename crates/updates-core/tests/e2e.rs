//! Randomized end-to-end test (`updates_core::testkit::e2e`): the manager
//! against the fake server over a lossy network (dropped, duplicated and
//! reordered containers), with RPC failures, slices, too-long answers, a
//! restart with the same `MemoryStorage` mid-stream, and a final forced
//! recovery. The storage backends run the same driver with every restart
//! reopening their database from disk.
//!
//! Invariants per seed: no loss, no duplicate, pts order per box, and the
//! stored state equals the server's.
//!
//! `UPDATES_E2E_SEEDS=n` runs n seeds (default 1000);
//! `UPDATES_E2E_SEED=s` reruns one.

use std::sync::Arc;

use updates_core::MemoryStorage;
use updates_core::testkit::e2e::{self, Options, Stats, Stores};

#[test]
fn randomized_end_to_end_over_many_seeds() {
    let seeds = e2e::seeds(1000);
    // one memory store per seed, handed out again at the restart
    let results = e2e::run_many(
        &seeds,
        |_| {
            let storage = Arc::new(MemoryStorage::new());
            Box::new(move || Ok::<Stores, String>((storage.clone(), storage.clone())))
        },
        Options::default(),
    );
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed (rerun one with UPDATES_E2E_SEED=<seed> cargo test -p updates-core --all-features --test e2e):\n{}",
        failures.len(),
        seeds.len(),
        failures.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    let stats: Vec<Stats> = results.into_iter().filter_map(Result::ok).collect();
    assert!(stats.iter().all(|s| s.delivered > 100 && s.rpcs > 0), "a seed exercised nothing");
    if stats.len() >= 100 {
        assert!(stats.iter().any(|s| s.skipped > 0), "no seed exercised a too-long answer");
        assert!(stats.iter().any(|s| s.failed_writes > 0), "no seed exercised a storage failure");
        assert!(stats.iter().any(|s| s.restarts > 0), "no seed exercised a restart");
    }
}

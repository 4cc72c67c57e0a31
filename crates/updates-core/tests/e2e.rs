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
use updates_core::testkit::e2e::{self, Options, Stores};

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
    e2e::assert_all_passed(&seeds, results);
}

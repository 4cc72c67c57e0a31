//! updates-core's seeded lossy end-to-end run (`updates_core::testkit::e2e`:
//! drops, duplicates, reordering, RPC failures, too-long answers, failing
//! writes) on `SqliteStorage`, with three restarts per seed, each one closing
//! the database and reopening it from disk.
//!
//! Invariants per seed: no loss, no duplicate, pts order per box, and the
//! state stored on disk equals the server's. `UPDATES_E2E_SEEDS=n` runs n
//! seeds (default 200); `UPDATES_E2E_SEED=s` reruns one.

use std::sync::Arc;

use updates_core::testkit::e2e::{self, Options, Stores};

#[test]
fn lossy_end_to_end_reopening_the_file_at_every_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seeds = e2e::seeds(200);
    let results = e2e::run_many(
        &seeds,
        |seed| {
            let path = dir.path().join(format!("seed-{seed}"));
            std::fs::create_dir_all(&path).expect("seed folder");
            Box::new(move || {
                let s = Arc::new(
                    updates_storage_sqlite::SqliteStorage::open(path.join("u.db"))
                        .map_err(|e| e.to_string())?,
                );
                Ok::<Stores, String>((s.clone(), s))
            })
        },
        Options { restarts: 3 },
    );
    let stats = e2e::assert_all_passed(&seeds, results);
    if stats.len() >= 100 {
        assert!(stats.iter().any(|s| s.restarts == 3), "no seed reopened the store 3 times");
    }
}

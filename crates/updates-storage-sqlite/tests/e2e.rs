//! updates-core's seeded lossy end-to-end run (`updates_core::testkit::e2e`:
//! drops, duplicates, reordering, RPC failures, too-long answers, failing
//! writes) on `SqliteStorage`, with three restarts per seed, each one closing
//! the database and reopening it from disk.
//!
//! Invariants per seed: no loss, no duplicate, pts order per box, and the
//! state stored on disk equals the server's. `UPDATES_E2E_SEEDS=n` runs n
//! seeds (default 200); `UPDATES_E2E_SEED=s` reruns one.

use std::sync::Arc;

use updates_core::testkit::e2e::{self, Options, Stats, Stores};

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
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed (rerun one with UPDATES_E2E_SEED=<seed>):\n{}",
        failures.len(),
        seeds.len(),
        failures.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    let stats: Vec<Stats> = results.into_iter().filter_map(Result::ok).collect();
    assert!(stats.iter().all(|s| s.delivered > 100 && s.rpcs > 0), "a seed exercised nothing");
    if stats.len() >= 100 {
        assert!(stats.iter().any(|s| s.restarts == 3), "no seed reopened the store");
        assert!(stats.iter().any(|s| s.failed_writes > 0), "no seed exercised a storage failure");
        assert!(stats.iter().any(|s| s.skipped > 0), "no seed exercised a too-long answer");
    }
}

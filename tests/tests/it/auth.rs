//! The auth key store on the in-memory backend: fresh credentials, a
//! transaction of pre-keys and a session committed at once, an aborted one
//! leaving nothing, everything read back, and the cache counters.

use integration_tests::auth::{pre_keys, run_auth};

#[tokio::test]
async fn a_key_store_transaction_round_trips_through_the_in_memory_backend() {
    let r = run_auth(11, 25).await.expect("the scenario runs");
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    assert!(r.fresh && !r.stored_before_save && r.signature_valid && r.reopened_same);
    assert_eq!(r.pre_keys, 25);
    assert_eq!(r.backend_keys_during_tx, 0, "nothing is written before the commit");
    assert!(r.read_own_write);
    assert_eq!((r.backend_keys_after_commit, r.backend_keys_after_abort), (26, 26));
    assert_eq!(r.pre_keys_read_back, 25);
    assert!(r.missing_absent && r.session_read_back && r.aborted_absent);
    assert_eq!(r.stats_cold.commits, 1, "one commit for the whole transaction");
    assert_eq!(r.stats_cold.rolled_back + r.stats_cold.failed_commits, 0);
    // first read: 25 pre-keys + the session hit (written through by the
    // commit); the never-written id and the aborted session miss
    assert_eq!((r.stats_cold.cache_hits, r.stats_cold.cache_misses), (26, 2));
    // second read: everything, absences included, from the cache
    assert_eq!((r.stats_warm.cache_hits, r.stats_warm.cache_misses), (26 + 28, 2));
}

#[test]
fn pre_keys_are_seeded_and_distinct() {
    let a = pre_keys(1, 8);
    assert_eq!(a, pre_keys(1, 8));
    assert_ne!(a, pre_keys(2, 8));
    let ids: Vec<&str> = a.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    let publics: std::collections::HashSet<_> = a.iter().map(|(_, k)| k.public.clone()).collect();
    assert_eq!(publics.len(), 8);
}

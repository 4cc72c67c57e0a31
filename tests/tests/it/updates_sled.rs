//! The updates scenario on `updates-storage-sled`: the restart closes the
//! database and reopens it from disk, and still nothing is lost or
//! duplicated; the state on disk ends equal to the server's, and a later
//! reopen reads the same.

use integration_tests::updates::{LossyScenario, Store, run_lossy_blocking_on};
use updates_core::StateStorage;

#[test]
fn a_restart_reopening_sled_from_disk_loses_and_duplicates_nothing() {
    for seed in [3u64, 11] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::Sled(dir.path().join("updates"));
        let scenario = LossyScenario {
            seed,
            containers: 300,
            channels: 12,
            restart_after: Some(150),
            downtime: 20,
            ..LossyScenario::default()
        };
        let r = run_lossy_blocking_on(scenario, &store).expect("the scenario runs");
        assert!(r.problems().is_empty(), "seed {seed}: {:?}", r.problems());
        assert!(r.store.starts_with("sled at "), "{}", r.store);
        assert_eq!(r.runs, 2);
        assert_eq!((r.duplicates, r.lost, r.out_of_order), (0, 0, 0), "seed {seed}");
        assert!(r.network.missed_while_down > 0 && r.rpcs.get_difference.ok > 0);
        assert!(r.state_matches(), "seed {seed}: {:?} vs {:?}", r.stored_state, r.server_state);
        let reopened = updates_storage_sled::SledStorage::open(dir.path().join("updates"))
            .expect("reopen after the scenario");
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("rt");
        let on_disk = rt.block_on(reopened.get_state(1)).expect("read");
        assert_eq!(on_disk, r.stored_state, "seed {seed}: the disk disagrees with the report");
    }
}

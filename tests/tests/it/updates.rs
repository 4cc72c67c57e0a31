//! The updates manager over the fake Telegram server: a lossy network and
//! a restart mid-stream on the same `MemoryStorage` lose and duplicate
//! nothing, and the stored state ends equal to the server's.

use integration_tests::updates::{Lossy, LossyScenario, UpdatesReport, run_lossy_blocking};

fn run(scenario: LossyScenario) -> UpdatesReport {
    let report = run_lossy_blocking(scenario).expect("the scenario runs");
    assert!(report.problems().is_empty(), "seed {}: {:?}", scenario.seed, report.problems());
    report
}

#[test]
fn a_restart_mid_stream_on_the_same_storage_loses_and_duplicates_nothing() {
    for seed in 1..=6u64 {
        let restart_after = usize::try_from(seed * 37 % 250).expect("small");
        let scenario = LossyScenario {
            seed,
            containers: 300,
            channels: 12,
            restart_after: Some(restart_after),
            ..LossyScenario::default()
        };
        let r = run(scenario);
        assert_eq!(r.runs, 2, "seed {seed}");
        assert_eq!((r.duplicates, r.lost, r.out_of_order), (0, 0, 0), "seed {seed}");
        assert_eq!(r.unique, r.events - r.skipped, "seed {seed}: every owed event once");
        assert_eq!(r.delivered, r.unique, "seed {seed}");
        assert!(r.state_matches(), "seed {seed}: {:?} vs {:?}", r.stored_state, r.server_state);
        assert!(r.network.dropped > 0 && r.network.duplicated > 0, "seed {seed} was not lossy");
        assert!(r.rpcs.get_difference.ok > 0, "seed {seed}: gaps were recovered");
        assert_eq!(r.rpcs.get_state, Default::default(), "stored state was used, not getState");
    }
}

#[test]
fn a_restart_right_after_the_first_container_and_before_the_last() {
    for restart_after in [0, 199] {
        let scenario = LossyScenario {
            seed: 99,
            containers: 200,
            channels: 8,
            restart_after: Some(restart_after),
            ..LossyScenario::default()
        };
        let r = run(scenario);
        assert_eq!((r.runs, r.duplicates, r.lost), (2, 0, 0), "restart after {restart_after}");
    }
}

#[test]
fn a_clean_network_needs_no_difference_beyond_the_final_recovery() {
    let clean = LossyScenario {
        seed: 5,
        containers: 300,
        channels: 12,
        rpc_error_rate: 0.0,
        network: Lossy { drop: 0.0, duplicate: 0.0, reorder: 0.0 },
        restart_after: None,
        ..LossyScenario::default()
    };
    let lossy = LossyScenario {
        rpc_error_rate: 0.0,
        ..LossyScenario { network: Lossy::default(), ..clean }
    };
    let (clean, lossy) = (run(clean), run(lossy));
    assert_eq!(clean.network.dropped + clean.network.duplicated + clean.network.reordered, 0);
    assert_eq!(clean.unique, lossy.unique, "the same stream either way");
    assert_eq!(clean.rpcs.get_difference.failed + clean.rpcs.get_channel_difference.failed, 0);
    assert!(
        lossy.rpcs.total() > clean.rpcs.total(),
        "recovering the lossy stream took RPCs: {:?} vs {:?}",
        lossy.rpcs,
        clean.rpcs
    );
}

#[test]
fn the_same_seed_measures_the_same_figures() {
    let scenario = LossyScenario {
        seed: 3,
        containers: 250,
        restart_after: Some(120),
        ..LossyScenario::default()
    };
    assert_eq!(run(scenario), run(scenario));
}

#[test]
fn too_long_answers_across_a_restart_skip_only_what_the_server_skipped() {
    let mut skipped = 0;
    for seed in 20..24u64 {
        let scenario = LossyScenario {
            seed,
            containers: 300,
            channels: 10,
            common_too_long: 8,
            channel_too_long: 2,
            seq: seed % 2 == 0,
            network: Lossy { drop: 0.25, ..Lossy::default() },
            restart_after: Some(150),
            ..LossyScenario::default()
        };
        let r = run(scenario);
        assert_eq!(r.unique, r.events - r.skipped, "seed {seed}: every owed event once");
        assert_eq!(r.duplicates, 0, "seed {seed}");
        skipped += r.skipped;
    }
    assert!(skipped > 0, "no seed exercised a too-long answer");
}

#[test]
fn updates_made_while_the_manager_was_down_are_recovered_at_startup() {
    for seed in 30..34u64 {
        let scenario = LossyScenario {
            seed,
            containers: 120,
            channels: 10,
            network: Lossy { drop: 0.0, duplicate: 0.0, reorder: 0.0 },
            restart_after: Some(60),
            downtime: 40,
            final_recovery: false,
            ..LossyScenario::default()
        };
        let r = run(scenario);
        assert_eq!(r.network.missed_while_down, 40, "seed {seed}");
        assert_eq!(r.network.dropped, 0, "seed {seed}");
        assert_eq!((r.lost, r.duplicates), (0, 0), "seed {seed}");
        assert!(r.rpcs.get_difference.ok > 0, "seed {seed}: the startup difference ran");
    }
}

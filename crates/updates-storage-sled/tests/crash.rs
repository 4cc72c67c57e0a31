//! kill -9 at seeded random moments (`updates_core::testkit::crash`): a
//! child process (this test binary re-run in a role) runs the manager over
//! the fake server on a fresh sled folder and is SIGKILLed; the folder
//! must open, never be ahead of what the handler finished, and with
//! `EveryCheckpoint` never behind what the store acknowledged.
//!
//! 25 rounds per mode (50 in all; background rounds are killed up to 1 s
//! after start, past sled's 500 ms flush in about half of them); `UPDATES_CRASH_ROUNDS=n` runs n per
//! mode, `UPDATES_CRASH_SEED=s` changes the seed.

use std::sync::Arc;

use updates_core::StateStorage;
use updates_core::testkit::{crash, process};
use updates_storage_sled::{Durability, Options, SledStorage};

const TEST: &str = "kill_9_rounds_in_both_durability_modes";

fn durability(name: &str) -> Durability {
    match name {
        "every" => Durability::EveryCheckpoint,
        _ => Durability::Background,
    }
}

/// Child side: `crash:<mode>:<seed>:<path>`.
fn child(role: &str) {
    let mut parts = role.splitn(4, ':');
    let (Some("crash"), Some(mode), Some(seed), Some(path)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        process::report(&format!("error: bad role {role}"));
        return;
    };
    let seed: u64 = seed.parse().unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let storage = match Options::new().durability(durability(mode)).open(path) {
        Ok(s) => Arc::new(s),
        Err(e) => return process::report(&format!("error: open: {e}")),
    };
    if let Err(e) = rt.block_on(crash::child(storage.clone(), storage, seed, 10_000_000)) {
        process::report(&format!("error: {e}"));
    }
}

#[test]
fn kill_9_rounds_in_both_durability_modes() {
    if let Some(role) = process::role() {
        return child(&role);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    for (mode, durable) in [("background", false), ("every", true)] {
        let mut plan = crash::Plan::from_env(25, 0xc4a5);
        if !durable {
            // reach past sled's 500 ms background flush in about half the rounds
            plan.kill_after =
                std::time::Duration::from_millis(1)..std::time::Duration::from_millis(1000);
        }
        let path = |round: usize| dir.path().join(format!("{mode}-{round}"));
        let summary = rt
            .block_on(crash::run(
                &plan,
                durable,
                |round, seed| {
                    let role = format!("crash:{mode}:{seed}:{}", path(round).display());
                    process::self_command(TEST, &role).map_err(|e| e.to_string())
                },
                |round| {
                    let s = Options::new().durability(durability(mode)).open(path(round));
                    s.map(|s| Arc::new(s) as Arc<dyn StateStorage>).map_err(|e| e.to_string())
                },
            ))
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(summary.rounds, plan.rounds, "{mode}");
        assert!(
            summary.acked_rounds * 2 >= plan.rounds,
            "{mode}: only {} of {} rounds acknowledged a checkpoint before the kill",
            summary.acked_rounds,
            plan.rounds
        );
    }
    drop(SledStorage::open(dir.path().join("background-0")).expect("reopen once more"));
}

//! kill -9 at seeded random moments (`updates_core::testkit::crash`): a
//! child process (this test binary re-run in a role) runs the manager over
//! the fake server on a fresh database file and is SIGKILLed; the file
//! must open, never be ahead of what the handler finished, and never
//! behind what the store acknowledged — in both modes, since a killed
//! process loses nothing SQLite handed to the OS (`NORMAL` differs from
//! `FULL` only on power loss).
//!
//! 25 rounds per mode (50 in all); `UPDATES_CRASH_ROUNDS=n` runs n per
//! mode, `UPDATES_CRASH_SEED=s` changes the seed.

use std::sync::Arc;

use updates_core::StateStorage;
use updates_core::testkit::{crash, process};
use updates_storage_sqlite::{Options, SqliteStorage, Synchronous};

const TEST: &str = "kill_9_rounds_in_both_synchronous_modes";

fn synchronous(name: &str) -> Synchronous {
    match name {
        "full" => Synchronous::Full,
        _ => Synchronous::Normal,
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
    let storage = match Options::new().synchronous(synchronous(mode)).open(path) {
        Ok(s) => Arc::new(s),
        Err(e) => return process::report(&format!("error: open: {e}")),
    };
    if let Err(e) = rt.block_on(crash::child(storage.clone(), storage, seed, 10_000_000)) {
        process::report(&format!("error: {e}"));
    }
}

#[test]
fn kill_9_rounds_in_both_synchronous_modes() {
    if let Some(role) = process::role() {
        return child(&role);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    for mode in ["normal", "full"] {
        let plan = crash::Plan::from_env(25, 0x5411);
        let path = |round: usize| dir.path().join(format!("{mode}-{round}.db"));
        let summary = rt
            .block_on(crash::run(
                &plan,
                true,
                |round, seed| {
                    let role = format!("crash:{mode}:{seed}:{}", path(round).display());
                    process::self_command(TEST, &role).map_err(|e| e.to_string())
                },
                |round| {
                    let s = Options::new().synchronous(synchronous(mode)).open(path(round));
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
    drop(SqliteStorage::open(dir.path().join("normal-0.db")).expect("reopen once more"));
}

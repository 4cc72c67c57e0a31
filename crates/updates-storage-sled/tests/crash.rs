//! kill -9 at seeded random moments (`updates_core::testkit::crash`): a
//! child process (this test binary re-run in a role) runs the manager over
//! the fake server on a fresh sled folder and is SIGKILLed; the folder
//! must open, never be ahead of what the handler finished, and with
//! `EveryCheckpoint` never behind what the store acknowledged.
//!
//! 25 rounds per mode (50 in all; background rounds are killed up to 1 s
//! after start, past sled's 500 ms flush in about half of them); `UPDATES_CRASH_ROUNDS=n` runs n per
//! mode, `UPDATES_CRASH_SEED=s` changes the seed.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use updates_core::testkit::crash::{self, Mode, Plan};
use updates_storage_sled::{Durability, Options, SledStorage};

#[test]
fn kill_9_rounds_in_both_durability_modes() {
    if crash::child_role(open) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut background = Plan::from_env(25, 0xc4a5);
    // reach past sled's 500 ms background flush in about half the rounds
    background.kill_after = Duration::from_millis(1)..Duration::from_millis(1000);
    let modes = [
        Mode { name: "background", durable: false, plan: background },
        Mode { name: "every", durable: true, plan: Plan::from_env(25, 0xc4a5) },
    ];
    crash::backend_test("kill_9_rounds_in_both_durability_modes", dir.path(), "", &modes, open);
    drop(SledStorage::open(dir.path().join("background-0")).expect("reopen once more"));
}

/// Opens the store in a mode, in the parent and in each child.
fn open(mode: &str, path: &Path) -> Result<Arc<SledStorage>, String> {
    let durability = match mode {
        "every" => Durability::EveryCheckpoint,
        _ => Durability::Background,
    };
    let storage = Options::new().durability(durability).open(path);
    storage.map(Arc::new).map_err(|e| e.to_string())
}

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

use std::path::Path;
use std::sync::Arc;

use updates_core::testkit::crash::{self, Mode, Plan};
use updates_storage_sqlite::{Options, SqliteStorage, Synchronous};

#[test]
fn kill_9_rounds_in_both_synchronous_modes() {
    if crash::child_role(open) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let modes = [
        Mode { name: "normal", durable: true, plan: Plan::from_env(25, 0x5411) },
        Mode { name: "full", durable: true, plan: Plan::from_env(25, 0x5411) },
    ];
    crash::backend_test("kill_9_rounds_in_both_synchronous_modes", dir.path(), ".db", &modes, open);
    drop(SqliteStorage::open(dir.path().join("normal-0.db")).expect("reopen once more"));
}

/// Opens the store in a mode, in the parent and in each child.
fn open(mode: &str, path: &Path) -> Result<Arc<SqliteStorage>, String> {
    let synchronous = match mode {
        "full" => Synchronous::Full,
        _ => Synchronous::Normal,
    };
    let storage = Options::new().synchronous(synchronous).open(path);
    storage.map(Arc::new).map_err(|e| e.to_string())
}

//! Crash safety with a real child process SIGKILLed at seeded moments
//! (auth_persistence::conformance::crash): every batch all or nothing.
//! `MSGKIT_CRASH_ROUNDS` raises the number of rounds (default 50).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use async_trait::async_trait;
use auth_persistence::Persistence;
use auth_persistence::conformance::crash::{CrashSubject, kill_loop, rounds_from_env};
use auth_sqlite::SqliteStore;

struct Database(PathBuf);

#[async_trait]
impl CrashSubject for Database {
    fn child(&self, seed: u64, start: u64) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_auth-sqlite-child"));
        command.arg(&self.0).arg(seed.to_string()).arg(start.to_string());
        command
    }

    async fn reopen(&self) -> Arc<dyn Persistence> {
        Arc::new(SqliteStore::open(&self.0).expect("the database opens after a kill"))
    }

    fn atomic_batches(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn sqlite_survives_kill_9_at_seeded_moments_batch_by_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report =
        kill_loop(&Database(dir.path().join("auth.db")), rounds_from_env(50), 0x5A1E).await;
    assert_eq!(report.rounds, rounds_from_env(50));
    assert!(report.batches_done > 0, "{report:?}");
}

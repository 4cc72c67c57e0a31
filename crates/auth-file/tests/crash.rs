//! Crash safety with a real child process SIGKILLed at seeded moments
//! (auth_persistence::conformance::crash): the Baileys-compatible folder
//! (every file old or new), the native store (every batch all or nothing)
//! and the compat → native migration (target absent or complete).
//! `MSGKIT_CRASH_ROUNDS` raises the number of rounds (default 50).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use auth_file::{CompatFolder, NativeStore};
use auth_persistence::conformance::crash::{CrashSubject, kill_loop, rounds_from_env};
use auth_persistence::transfer::verify_copy;
use auth_persistence::{AuthCreds, KeyFamily, KeyWrite, Persistence};
use serde_json::json;

const CHILD: &str = env!("CARGO_BIN_EXE_auth-file-child");

struct Folder {
    dir: PathBuf,
    native: bool,
}

#[async_trait]
impl CrashSubject for Folder {
    fn child(&self, seed: u64, start: u64) -> Command {
        let mut command = Command::new(CHILD);
        let kind = if self.native { "workload-native" } else { "workload-compat" };
        command.arg(kind).arg(&self.dir).arg(seed.to_string()).arg(start.to_string());
        command
    }

    async fn reopen(&self) -> Arc<dyn Persistence> {
        if self.native {
            Arc::new(NativeStore::open(&self.dir).expect("the native store opens after a kill"))
        } else {
            Arc::new(CompatFolder::open(&self.dir).expect("the folder opens after a kill"))
        }
    }

    fn atomic_batches(&self) -> bool {
        self.native
    }
}

#[tokio::test]
async fn compat_folder_survives_kill_9_at_seeded_moments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let subject = Folder { dir: dir.path().join("auth"), native: false };
    let report = kill_loop(&subject, rounds_from_env(50), 0xC0FFEE).await;
    assert_eq!(report.rounds, rounds_from_env(50));
    assert!(report.batches_done > 0, "{report:?}");
}

#[tokio::test]
async fn native_store_survives_kill_9_at_seeded_moments_batch_by_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let subject = Folder { dir: dir.path().join("auth"), native: true };
    let report = kill_loop(&subject, rounds_from_env(50), 0xBADC0DE).await;
    assert_eq!(report.rounds, rounds_from_env(50));
    assert!(report.batches_done > 0, "{report:?}");
}

async fn source_folder(dir: &Path) {
    let folder = CompatFolder::open(dir).expect("open");
    let writes: Vec<KeyWrite> = (0..40)
        .map(|n| {
            KeyWrite::save(
                KeyFamily::PreKey,
                n.to_string(),
                json!({"n": n, "pad": "x".repeat(500)}),
            )
        })
        .chain(
            (0..20).map(|n| KeyWrite::save(KeyFamily::Session, format!("{n}.0"), json!({"s": n}))),
        )
        .collect();
    folder.write_batch(&writes).await.expect("seed");
    folder.save_credentials(&AuthCreds::fresh().expect("fresh")).await.expect("creds");
}

#[tokio::test]
async fn a_migration_killed_at_seeded_moments_leaves_the_target_absent_or_complete() {
    let root = tempfile::tempdir().expect("tempdir");
    let source = root.path().join("baileys");
    source_folder(&source).await;
    // how long one migration takes here, to spread the kills over it
    let started = Instant::now();
    auth_file::migrate_compat_to_native(&source, &root.path().join("timing"))
        .await
        .expect("migrate");
    let span = started.elapsed().as_micros().max(1000) as u64 * 2;
    let rounds = rounds_from_env(50);
    let (mut complete, mut absent) = (0, 0);
    let mut seed = 0x5EED_u64;
    for round in 0..rounds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let target = root.path().join(format!("native-{round}"));
        let mut child = Command::new(CHILD)
            .arg("migrate")
            .arg(&source)
            .arg(&target)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut first = [0u8; 6];
        std::io::Read::read_exact(child.stdout.as_mut().expect("stdout"), &mut first)
            .expect("begin");
        std::thread::sleep(Duration::from_micros(seed % span));
        child.kill().expect("kill");
        child.wait().expect("reap");
        if target.exists() {
            let store = NativeStore::open(&target).expect("a published target opens");
            let from = CompatFolder::open(&source).expect("source");
            let copied = verify_copy(&from, &store).await.expect("a published target is complete");
            assert_eq!(copied.total_keys(), 60, "round {round}");
            complete += 1;
        } else {
            absent += 1;
        }
    }
    assert_eq!(complete + absent, rounds);
    // a later migration sweeps the staging folders of killed ones
    let last = root.path().join(format!("native-{}", rounds - 1));
    if !last.exists() {
        auth_file::migrate_compat_to_native(&source, &last).await.expect("migrate after kills");
    }
    let stages = std::fs::read_dir(root.path())
        .expect("dir")
        .filter(|e| {
            e.as_ref().is_ok_and(|e| {
                e.file_name()
                    .to_string_lossy()
                    .contains(&format!("native-{}.migration-stage", rounds - 1))
            })
        })
        .count();
    assert_eq!(stages, 0, "no staging folder of the last target is left");
    // the source is never written
    let from = CompatFolder::open(&source).expect("source");
    assert_eq!(from.list_ids(&KeyFamily::PreKey).await.expect("list").len(), 40);
}

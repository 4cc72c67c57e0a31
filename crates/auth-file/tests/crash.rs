//! Crash safety with a real child process SIGKILLed at seeded moments
//! (auth_persistence::conformance::crash): the Baileys-compatible folder
//! (every file old or new), the native store (every batch all or nothing)
//! and both migrations, compat → native and native → compat (target
//! absent or complete and verified, source untouched).
//! `MSGKIT_CRASH_ROUNDS` raises the number of rounds (default 50).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use auth_file::{CompatFolder, NativeStore, OWNER_LOCK_FILE};
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

fn seed_writes() -> Vec<KeyWrite> {
    (0..40)
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
        .collect()
}

async fn seed_source(store: &dyn Persistence) {
    store.write_batch(&seed_writes()).await.expect("seed");
    store.save_credentials(&AuthCreds::fresh().expect("fresh")).await.expect("creds");
}

/// Every file of `dir` but the owner lock (which holds the last owner's
/// pid), with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list source")
        .map(|entry| entry.expect("entry").file_name().into_string().expect("utf-8 name"))
        .filter(|name| name != OWNER_LOCK_FILE)
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).expect("read source file");
            (name, bytes)
        })
        .collect()
}

/// Which migration a child runs.
#[derive(Clone, Copy, Debug)]
enum Direction {
    CompatToNative,
    NativeToCompat,
}

impl Direction {
    fn command(self) -> &'static str {
        match self {
            Self::CompatToNative => "migrate",
            Self::NativeToCompat => "migrate-to-compat",
        }
    }

    fn open(self, dir: &Path, source: bool) -> Arc<dyn Persistence> {
        let native =
            matches!((self, source), (Self::NativeToCompat, true) | (Self::CompatToNative, false));
        if native {
            Arc::new(NativeStore::open(dir).expect("the native store opens"))
        } else {
            Arc::new(CompatFolder::open(dir).expect("the folder opens"))
        }
    }

    async fn run(self, source: &Path, target: &Path) -> usize {
        let copied = match self {
            Self::CompatToNative => auth_file::migrate_compat_to_native(source, target).await,
            Self::NativeToCompat => auth_file::migrate_native_to_compat(source, target).await,
        };
        copied.expect("migrate").total_keys()
    }
}

/// Starts a child migrating `source` to `target`; returns once it began.
fn spawn_migration(direction: Direction, source: &Path, target: &Path) -> Child {
    let mut child = Command::new(CHILD)
        .arg(direction.command())
        .arg(source)
        .arg(target)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 6];
    std::io::Read::read_exact(child.stdout.as_mut().expect("stdout"), &mut first).expect("begin");
    child
}

/// Seeds a source, then kills `rounds` migrations of it at seeded moments:
/// each target is absent or complete and verified against the source, the
/// source's files are byte for byte unchanged, and a later migration
/// sweeps the staging folders of the killed ones. Returns (complete, absent).
async fn kill_migrations(direction: Direction, rounds: u32, mut seed: u64) -> (u32, u32) {
    let root = tempfile::tempdir().expect("tempdir");
    let source = root.path().join("source");
    {
        let store = direction.open(&source, true);
        seed_source(&*store).await;
    }
    let before = snapshot(&source);
    // how long one migration takes in a child here, to spread the kills over it
    let mut child = spawn_migration(direction, &source, &root.path().join("timing"));
    let started = Instant::now();
    let status = child.wait().expect("reap");
    assert!(status.success(), "an unkilled migration succeeds: {status}");
    let span = started.elapsed().as_micros().max(1000) as u64 * 2;
    let (mut complete, mut absent) = (0, 0);
    for round in 0..rounds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let target = root.path().join(format!("target-{round}"));
        let mut child = spawn_migration(direction, &source, &target);
        std::thread::sleep(Duration::from_micros(seed % span));
        child.kill().expect("kill");
        child.wait().expect("reap");
        if target.exists() {
            let store = direction.open(&target, false);
            let from = direction.open(&source, true);
            let copied =
                verify_copy(&*from, &*store).await.expect("a published target is complete");
            assert_eq!(copied.total_keys(), 60, "{direction:?} round {round}");
            assert!(store.load_credentials().await.expect("creds").is_some(), "round {round}");
            complete += 1;
        } else {
            absent += 1;
        }
        assert_eq!(snapshot(&source), before, "{direction:?} round {round}: source untouched");
    }
    assert_eq!(complete + absent, rounds);
    // a later migration sweeps the staging folders of killed ones
    let last = root.path().join(format!("target-{}", rounds - 1));
    if !last.exists() {
        assert_eq!(direction.run(&source, &last).await, 60, "migrate after kills");
    }
    let stages = std::fs::read_dir(root.path())
        .expect("dir")
        .filter(|e| {
            e.as_ref().is_ok_and(|e| {
                e.file_name()
                    .to_string_lossy()
                    .contains(&format!("target-{}.migration-stage", rounds - 1))
            })
        })
        .count();
    assert_eq!(stages, 0, "no staging folder of the last target is left");
    assert_eq!(snapshot(&source), before, "{direction:?}: the source is never written");
    (complete, absent)
}

#[tokio::test]
async fn a_migration_killed_at_seeded_moments_leaves_the_target_absent_or_complete() {
    let rounds = rounds_from_env(50);
    let (complete, absent) = kill_migrations(Direction::CompatToNative, rounds, 0x5EED).await;
    assert_eq!(complete + absent, rounds);
}

#[tokio::test]
async fn a_native_to_compat_migration_killed_at_seeded_moments_leaves_the_target_absent_or_complete()
 {
    let rounds = rounds_from_env(50);
    let (complete, absent) = kill_migrations(Direction::NativeToCompat, rounds, 0xFACADE).await;
    assert_eq!(complete + absent, rounds);
}

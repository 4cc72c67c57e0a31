//! A child process for the crate's multi-process tests (feature
//! `testkit`): it opens a folder and does one thing, so a test can hold a
//! folder from another process, make a write fail under a file-size
//! limit, or crash a write at a chosen point.
//!
//! Usage: `auth-file-child <command> <dir> [args…]`; prints one line
//! saying what happened, exits 0 when the command did what it was asked.

#![allow(clippy::print_stdout, reason = "reporting on stdout is the child's job")]

use std::process::ExitCode;
use std::sync::Arc;

use auth_file::{
    CompatFolder, CompatOptions, CrashPoint, NativeStore, migrate_compat_to_native,
    migrate_native_to_compat,
};
use auth_persistence::conformance::crash::child_workload;
use auth_persistence::{AuthCreds, KeyFamily, Persistence};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(line) => {
            println!("{line}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<String, String> {
    let [command, dir, rest @ ..] = args else {
        return Err("usage: auth-file-child <command> <dir> [args…]".into());
    };
    match (command.as_str(), rest) {
        // open the folder, report, and hold it until stdin closes
        ("hold", []) => {
            let folder = CompatFolder::open(dir).map_err(|e| format!("error: {e}"))?;
            println!("opened");
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            drop(folder);
            Ok("released".into())
        }
        ("open", []) => match CompatFolder::open(dir) {
            Ok(_) => Ok("opened".into()),
            Err(e) if e.is_locked() => Ok(format!("locked: {e}")),
            Err(e) => Err(format!("error: {e}")),
        },
        // save credentials whose additionalData is `pad` bytes long
        ("save-creds", [pad]) => {
            let pad: usize = pad.parse().map_err(|e| format!("bad pad: {e}"))?;
            let folder = CompatFolder::open(dir).map_err(|e| format!("error: {e}"))?;
            let mut creds = AuthCreds::fresh().map_err(|e| format!("error: {e}"))?;
            creds.additional_data = Some("x".repeat(pad).into());
            folder.save_credentials(&creds).await.map_err(|e| format!("save failed: {e:?}"))?;
            Ok("saved".into())
        }
        // save one key with a crash point armed
        ("save-key-crash", [family, id, json]) => {
            let options = CompatOptions {
                crash_point: Some(CrashPoint::AbortBeforeRename),
                ..CompatOptions::default()
            };
            let folder =
                Arc::new(CompatFolder::open_with(dir, options).map_err(|e| format!("error: {e}"))?);
            let value = serde_json::from_str(json).map_err(|e| format!("bad json: {e}"))?;
            folder
                .save_key(&KeyFamily::from(family.as_str()), id, &value)
                .await
                .map_err(|e| format!("save failed: {e}"))?;
            Err("the crash point did not fire".into())
        }
        // the crash-test workload until killed (auth_persistence::conformance::crash)
        ("workload-compat" | "workload-native", [seed, start]) => {
            let (seed, start) = (number(seed)?, number(start)?);
            let backend: Arc<dyn Persistence> = if command == "workload-compat" {
                Arc::new(CompatFolder::open(dir).map_err(|e| format!("error: {e}"))?)
            } else {
                Arc::new(NativeStore::open(dir).map_err(|e| format!("error: {e}"))?)
            };
            let creds = AuthCreds::fresh().map_err(|e| format!("error: {e}"))?;
            child_workload(backend, creds, seed, start)
                .await
                .map_err(|e| format!("write failed: {e:?}"))?;
            Ok("workload ended".into())
        }
        // migrate the folder (compat) or store (native) at `dir` to `target`
        ("migrate" | "migrate-to-compat", [target]) => {
            println!("begin");
            let (source, target) = (dir.as_ref(), target.as_ref());
            let copied = if command == "migrate" {
                migrate_compat_to_native(source, target).await
            } else {
                migrate_native_to_compat(source, target).await
            };
            Ok(format!("migrated {}", copied.map_err(|e| format!("error: {e}"))?.total_keys()))
        }
        _ => Err(format!("unknown command {command} with {} argument(s)", rest.len())),
    }
}

fn number(text: &str) -> Result<u64, String> {
    text.parse().map_err(|e| format!("bad number {text:?}: {e}"))
}

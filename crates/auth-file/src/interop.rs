//! Running the Baileys interop scripts (feature `testkit`), for this
//! crate's and other backends' interop tests (research §10 tests 25, 26).
//!
//! `cargo xtask interop` (also run by `cargo xtask test`) installs
//! `@whiskeysockets/baileys@7.0.0-rc13` from the committed lockfile into
//! `<target>/interop`; this module copies the scripts of `interop/` next
//! to that `node_modules` and runs them with `node`. It installs nothing
//! itself: a missing Node or cache is an error saying what to run, never
//! a skipped test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// The scripts' source folder.
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/interop");

static RUN: AtomicU64 = AtomicU64::new(0);

/// Where `cargo xtask interop` installs Baileys: `$MSGKIT_INTEROP_DIR`,
/// else `<CARGO_TARGET_DIR or the workspace's target>/interop`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MSGKIT_INTEROP_DIR") {
        return dir.into();
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), |d| workspace.join(d));
    target.join("interop")
}

/// Runs `node <script> <args…>` with Baileys resolvable; returns its
/// stdout, or an error with its output or with what to install.
///
/// # Errors
/// When Node is missing, Baileys is not installed, or the script fails
/// (its `FAIL: …` line says which check).
pub fn run_script(script: &str, args: &[&Path]) -> Result<String, String> {
    let cache = cache_dir();
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => {
            return Err(
                "the Baileys interop tests need Node.js 20+ and npm on PATH: install them \
                        (for example `apt-get install nodejs npm`), then run `cargo xtask interop`"
                    .into(),
            );
        }
    }
    if !cache.join("node_modules/@whiskeysockets/baileys/package.json").is_file() {
        return Err(format!(
            "Baileys is not installed in {}: run `cargo xtask interop` (or `cargo xtask test`, which installs it)",
            cache.display()
        ));
    }
    let run =
        cache.join(format!("run-{}-{}", std::process::id(), RUN.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&run).map_err(|e| format!("create {}: {e}", run.display()))?;
    let result = (|| {
        for entry in std::fs::read_dir(SCRIPTS).map_err(|e| format!("read {SCRIPTS}: {e}"))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "mjs") {
                let name = path.file_name().unwrap_or_default();
                std::fs::copy(&path, run.join(name))
                    .map_err(|e| format!("copy {}: {e}", path.display()))?;
            }
        }
        let out = Command::new("node")
            .arg(run.join(script))
            .args(args)
            .output()
            .map_err(|e| format!("start node: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "{script} failed ({}):\n{stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    })();
    let _ = std::fs::remove_dir_all(&run);
    result
}

//! `cargo xtask interop`: installs Baileys (`@whiskeysockets/baileys`
//! 7.0.0-rc13, from `crates/auth-file/interop/package-lock.json`) into
//! `<target>/interop` and runs the auth backends' interop tests against it
//! (research §10 tests 25 and 26). The install is idempotent and offline
//! once cached: it runs `npm ci` only when the lockfile changed.
//! `cargo xtask test` runs the install as a prerequisite, and the interop
//! tests with every other test.

use std::path::Path;
use std::process::Command;

use crate::run::{cargo, status, target_dir};

/// The committed npm project.
const PROJECT: &str = "crates/auth-file/interop";

fn node_major() -> Result<u32, String> {
    let missing = "the Baileys interop tests need Node.js 20+ and npm on PATH: install them \
                   (for example `apt-get install nodejs npm`) and run again";
    let out = Command::new("node").arg("--version").output().map_err(|_| missing.to_owned())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let major = text.trim().trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok());
    let npm = Command::new("npm").arg("--version").output().is_ok_and(|o| o.status.success());
    match major {
        Some(major) if out.status.success() && npm => Ok(major),
        _ => Err(missing.to_owned()),
    }
}

/// Installs Baileys into the cache unless the cached install matches the
/// committed lockfile.
pub(crate) fn ensure(root: &Path) -> Result<(), String> {
    let major = node_major()?;
    if major < 20 {
        return Err(format!("Node.js {major} found; the Baileys interop tests need Node.js 20+"));
    }
    let cache = target_dir().join("interop");
    let lock = std::fs::read(root.join(PROJECT).join("package-lock.json"))
        .map_err(|e| format!("read the committed lockfile: {e}"))?;
    let stamp = cache.join(".installed-lock.json");
    let installed = cache.join("node_modules/@whiskeysockets/baileys/package.json");
    if installed.is_file() && std::fs::read(&stamp).is_ok_and(|s| s == lock) {
        println!("Baileys 7.0.0-rc13 already installed in {}", cache.display());
        return Ok(());
    }
    std::fs::create_dir_all(&cache).map_err(|e| format!("create {}: {e}", cache.display()))?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(root.join(PROJECT).join(file), cache.join(file))
            .map_err(|e| format!("copy {file}: {e}"))?;
    }
    println!("installing Baileys 7.0.0-rc13 from npm into {} (npm ci)", cache.display());
    status(
        "npm ci",
        Command::new("npm")
            .args(["ci", "--omit=peer", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&cache),
    )?;
    std::fs::write(&stamp, &lock).map_err(|e| format!("write {}: {e}", stamp.display()))
}

pub(crate) fn run() -> Result<(), String> {
    ensure(&crate::run::project_root())?;
    status(
        "interop tests",
        cargo().args([
            "test",
            "--package",
            "auth-file",
            "--package",
            "auth-sqlite",
            "--all-features",
            "--test",
            "interop",
        ]),
    )
}

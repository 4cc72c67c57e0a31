//! The peer of `cargo xtask bench fcm`: a Python venv with the official
//! `firebase-admin` SDK, created once under `target/bench/fcm-peer-venv`
//! and reused (a marker file names the installed version).
//!
//! It does not run the peer; the bench does, through the
//! `MSGKIT_FCM_PEER_PYTHON` variable this sets.

use std::path::PathBuf;
use std::process::Command;

use crate::run::{status, target_dir};

/// The SDK version the bench compares against.
const FIREBASE_ADMIN: &str = "firebase-admin==7.7.0";

/// The venv's python, installing the venv first if needed.
pub(crate) fn ensure_venv() -> Result<PathBuf, String> {
    let dir = target_dir().join("bench").join("fcm-peer-venv");
    let python = dir.join("bin").join("python");
    let marker = dir.join(".installed-firebase-admin-7.7.0");
    if marker.exists() && python.exists() {
        println!("fcm peer: cached venv {}", dir.display());
        return Ok(python);
    }
    println!("fcm peer: creating {} with {FIREBASE_ADMIN} (once)", dir.display());
    status("python3 -m venv", Command::new("python3").arg("-m").arg("venv").arg(&dir))?;
    status(
        "pip install firebase-admin",
        Command::new(&python).args(["-m", "pip", "install", "--quiet", FIREBASE_ADMIN]),
    )?;
    std::fs::write(&marker, FIREBASE_ADMIN).map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(python)
}

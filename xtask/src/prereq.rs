//! External prerequisites the tests need, installed idempotently by
//! `cargo xtask test` itself, never assumed to be on the machine.
//!
//! Each entry checks whether it is already satisfied before installing.

use crate::run::project_root;

/// One external prerequisite.
struct Prereq {
    /// Shown in the gate's progress.
    name: &'static str,
    /// Installs it if missing; must be idempotent and fast when satisfied.
    ensure: fn(&std::path::Path) -> Result<(), String>,
}

/// The prerequisites, in install order. Crates that need one add it here.
const PREREQS: &[Prereq] = &[
    // auth: Baileys itself for the interop tests (research §10 tests 25, 26)
    Prereq { name: "Baileys 7.0.0-rc13 (npm)", ensure: crate::interop::ensure },
];

pub(crate) fn ensure() -> Result<(), String> {
    if PREREQS.is_empty() {
        println!("no external prerequisites");
    }
    let root = project_root();
    for prereq in PREREQS {
        println!("--- {}", prereq.name);
        (prereq.ensure)(&root).map_err(|e| format!("{}: {e}", prereq.name))?;
    }
    Ok(())
}

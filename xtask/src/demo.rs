//! `cargo xtask demo`: the main job on embedded defaults.

/// The package and binary that hold the demo.
const DEMO: (&str, &str) = ("integration-tests", "demo");

pub(crate) fn run() -> Result<(), String> {
    let (package, bin) = DEMO;
    crate::run::status(
        "demo",
        // debug profile: shares its build with `cargo test`, and the demo runs in a second
        crate::run::cargo().args(["run", "--package", package, "--bin", bin]),
    )
}

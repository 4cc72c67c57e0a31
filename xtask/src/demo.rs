//! `cargo xtask demo`: the main job on embedded defaults.

/// The package and binary that hold the demo.
const DEMO: (&str, &str) = ("integration-tests", "demo");

/// Runs the demo; `args` (e.g. `--data DIR`) are passed on to it.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let (package, bin) = DEMO;
    crate::run::status(
        "demo",
        // debug profile: shares its build with `cargo test`, and the demo runs in a second
        crate::run::cargo().args(["run", "--package", package, "--bin", bin, "--"]).args(args),
    )
}

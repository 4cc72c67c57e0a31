//! `cargo xtask demo`: the main job on embedded defaults.

/// The package and binary that hold the demo, once it is built.
const DEMO: Option<(&str, &str)> = Some(("integration-tests", "demo"));

pub(crate) fn run() -> Result<(), String> {
    let Some((package, bin)) = DEMO else {
        return Err("the demo is not built yet: it lands with the crates it composes".into());
    };
    crate::run::status(
        "demo",
        // debug profile: shares its build with `cargo test`, and the demo runs in a second
        crate::run::cargo().args(["run", "--package", package, "--bin", bin]),
    )
}

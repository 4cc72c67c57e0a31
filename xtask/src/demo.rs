//! `cargo xtask demo`: the main job on embedded defaults.

/// The package and binary that hold the demo, once it is built.
const DEMO: Option<(&str, &str)> = None;

pub(crate) fn run() -> Result<(), String> {
    let Some((package, bin)) = DEMO else {
        return Err("the demo is not built yet: it lands with the crates it composes".into());
    };
    crate::run::status(
        "demo",
        crate::run::cargo().args(["run", "--release", "--package", package, "--bin", bin]),
    )
}

//! `cargo xtask test`: the one gate every change passes.

use crate::run::{cargo, status};
use crate::{deps, prereq, tidy};

pub(crate) fn run() -> Result<(), String> {
    crate::run::steps(&[
        ("prereqs", &prereq::ensure),
        ("fmt", &|| status("cargo fmt", cargo().args(["fmt", "--all", "--check"]))),
        ("clippy", &|| {
            status(
                "cargo clippy",
                cargo().args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--all-features",
                    "--",
                    "-D",
                    "warnings",
                ]),
            )
        }),
        ("tests", &tests),
        ("doctests", &|| {
            status(
                "cargo test --doc",
                cargo().args(["test", "--workspace", "--all-features", "--doc"]),
            )
        }),
        ("docs", &|| {
            status(
                "cargo doc",
                cargo()
                    .args(["doc", "--workspace", "--no-deps", "--all-features"])
                    .env("RUSTDOCFLAGS", "-D warnings"),
            )
        }),
        ("deps", &deps::run),
        ("tidy", &tidy::run),
    ])
}

/// Unit, integration and property tests: nextest when the machine has it
/// (faster, one process per test), plain `cargo test` otherwise.
fn tests() -> Result<(), String> {
    let has_nextest = cargo()
        .args(["nextest", "--version"])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    if has_nextest {
        status(
            "cargo nextest",
            cargo().args([
                "nextest",
                "run",
                "--workspace",
                "--all-features",
                "--no-tests=warn",
                "--failure-output=final",
            ]),
        )
    } else {
        status(
            "cargo test",
            cargo().args(["test", "--workspace", "--all-features", "--lib", "--bins", "--tests"]),
        )
    }
}

//! The workspace's automation (`cargo xtask <command>`), after
//! matklad/cargo-xtask: one std-only binary (plus `serde_json` to read
//! `cargo metadata`) that drives cargo.
//!
//! It does not build or test anything itself; every step is a cargo
//! invocation or a check over the source tree, so what it runs can be
//! repeated by hand.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool reports on the terminal"
)]

mod bench;
mod demo;
mod deps;
mod fcm_peer;
mod gate;
mod interop;
mod prereq;
mod run;
mod tidy;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test            the whole gate: prerequisites, fmt, clippy, tests, doctests, docs, deps, tidy
  deps            check the crate-map dependency rules
  tidy            check module docs, test hygiene and READMEs
  demo [--data DIR]  run the main job on embedded defaults (updates state in DIR)
  bench [name..]  run benchmarks, writing target/bench/<name>.json
  interop         install Baileys (npm, cached) and run the auth interop tests";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test" | "ci") => gate::run(),
        Some("deps") => deps::run(),
        Some("tidy") => tidy::run(),
        Some("demo") => demo::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("interop") => interop::run(),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown or missing command\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

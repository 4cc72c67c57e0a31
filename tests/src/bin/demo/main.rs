//! The msgkit demo (`cargo xtask demo`): runs each domain's main job on
//! embedded defaults and prints what it measured, then one message through
//! two domains (VK callback → push).
//!
//! The updates section keeps its state in sled (a temporary folder, or
//! `--data DIR`), reopened from disk at its restart; the "auth on disk"
//! section keeps the auth state in a Baileys folder and SQLite under
//! `target/demo-data`; the other stores are in memory. The output names
//! each. Everything is seeded and
//! loopback-only; the process exits non-zero if any check fails. One module
//! per section; this file holds the checks and the order.

#![allow(clippy::print_stdout, reason = "printing its report is the demo's job")]

mod auth;
mod auth_files;
mod e2e;
mod fcm;
mod push;
mod updates;
mod vk;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio::time::timeout;

const SECRET: &str = "s3cr3t";
const CONFIRMATION: &str = "c0nf1rm";
const GROUP: i64 = 1;

/// Named pass/fail checks; the exit code is non-zero if any failed.
#[derive(Default)]
pub(crate) struct Checks {
    passed: usize,
    failed: Vec<String>,
}

impl Checks {
    pub(crate) fn check(&mut self, what: impl Into<String>, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            let what = what.into();
            println!("CHECK FAILED: {what}");
            self.failed.push(what);
        }
    }

    /// Success only when no check failed.
    fn exit_code(&self) -> ExitCode {
        if self.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
    }

    pub(crate) fn all(&mut self, section: &str, problems: Vec<String>) {
        if problems.is_empty() {
            self.passed += 1;
        }
        for problem in problems {
            self.check(format!("{section}: {problem}"), false);
        }
    }
}

pub(crate) fn heading(title: &str) {
    println!("\n== {title} {}", "=".repeat(70usize.saturating_sub(title.len())));
}

pub(crate) fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

fn main() -> ExitCode {
    let started = Instant::now();
    let data = std::env::args().skip_while(|a| a != "--data").nth(1).map(std::path::PathBuf::from);
    println!(
        "msgkit demo: updates state on sled (reopened from disk at the restart), auth state on files and SQLite (target/demo-data); the other stores in memory;"
    );
    println!(
        "all servers are local fakes on 127.0.0.1; seeds are fixed, so the figures repeat run to run."
    );
    let mut checks = Checks::default();
    updates::updates(&mut checks, data);
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                println!("cannot start a runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
    runtime.block_on(async {
        // each section runs for milliseconds; a hang is a failed check, not a stuck demo
        let limit = Duration::from_secs(30);
        let results = [
            ("vk", timeout(limit, vk::vk(&mut checks)).await),
            ("push", timeout(limit, push::push(&mut checks)).await),
            ("push-fcm", timeout(limit, fcm::fcm(&mut checks)).await),
            ("auth", timeout(limit, auth::auth(&mut checks)).await),
            ("auth on disk", timeout(limit, auth_files::auth_files(&mut checks)).await),
            ("end to end", timeout(limit, e2e::end_to_end(&mut checks)).await),
        ];
        for (section, result) in results {
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => checks.check(format!("{section}: {e}"), false),
                Err(_) => checks.check(format!("{section}: no answer within {limit:?}"), false),
            }
        }
    });
    e2e::telegram(&mut checks);
    heading("summary");
    println!(
        "{} checks passed, {} failed, in {:.1} s",
        checks.passed,
        checks.failed.len(),
        started.elapsed().as_secs_f64()
    );
    checks.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_failed_check_makes_the_exit_code_a_failure() {
        let mut checks = Checks::default();
        checks.check("fine", true);
        checks.all("section", Vec::new());
        assert_eq!((checks.passed, checks.exit_code()), (2, ExitCode::SUCCESS));
        checks.all("updates", vec!["1 update(s) lost".into()]);
        assert_eq!(checks.failed, ["updates: 1 update(s) lost"]);
        assert_eq!(checks.exit_code(), ExitCode::FAILURE);
    }
}

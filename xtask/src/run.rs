//! Running cargo and other programs from the project root, with timing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The workspace root (the parent of `xtask/`).
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A `cargo` command (the one that runs us, via `$CARGO`) in the project root.
pub(crate) fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(project_root());
    command
}

/// The cargo target directory, honouring `CARGO_TARGET_DIR`.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => project_root().join(dir),
        None => project_root().join("target"),
    }
}

/// Runs `command` to completion, inheriting stdio; an error names `what`.
pub(crate) fn status(what: &str, command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("{what}: cannot start {command:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

/// Runs `command` and returns its stdout; an error names `what`.
pub(crate) fn output(what: &str, command: &mut Command) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("{what}: cannot start {command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{what}: output is not UTF-8: {e}"))
}

/// A named step of a job.
pub(crate) type Step<'a> = (&'a str, &'a dyn Fn() -> Result<(), String>);

/// Runs the named steps in order, printing each and its duration; stops at
/// the first failure and names the step.
pub(crate) fn steps(steps: &[Step<'_>]) -> Result<(), String> {
    let started = Instant::now();
    let mut times = Vec::new();
    for (index, (name, step)) in steps.iter().enumerate() {
        println!("==> [{}/{}] {name}", index + 1, steps.len());
        let step_started = Instant::now();
        let result = step();
        let took = step_started.elapsed();
        times.push((*name, took, result.is_ok()));
        if let Err(e) = result {
            print_times(&times, started.elapsed());
            return Err(format!("step `{name}` failed: {e}"));
        }
        println!("<== {name} ok in {}", secs(took));
    }
    print_times(&times, started.elapsed());
    Ok(())
}

fn print_times(times: &[(&str, Duration, bool)], total: Duration) {
    println!();
    println!("{:<12} {:>9}  result", "step", "time");
    for (name, took, ok) in times {
        println!("{name:<12} {:>9}  {}", secs(*took), if *ok { "ok" } else { "FAILED" });
    }
    println!("{:<12} {:>9}", "total", secs(total));
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

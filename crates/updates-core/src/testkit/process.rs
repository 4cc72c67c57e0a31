//! Child processes for tests that need a second process or a real crash:
//! the current test binary re-runs itself with one test selected and a
//! *role* in the environment; the child writes `@@ `-prefixed report
//! lines on stdout, which the parent reads back (a line cut short by a
//! kill is dropped).
//!
//! It also wraps a command to run without root privileges (so a
//! read-only folder is read-only even when the tests run as root) or
//! under a file-size limit (a full disk, without a filesystem of its
//! own). It needs `sh` and, as root, `setpriv` (util-linux), both in
//! every Debian image; it does not manage the child beyond `std`.

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The environment variable carrying a child's role.
pub const ROLE_VAR: &str = "UPDATES_TESTKIT_ROLE";
const PREFIX: &str = "@@ ";

/// The role this process was started in, if it is a child.
pub fn role() -> Option<String> {
    std::env::var(ROLE_VAR).ok()
}

/// A command re-running the current test binary with only `test` (its
/// full path, e.g. `open_errors::second_process`) and `role` set.
pub fn self_command(test: &str, role: &str) -> std::io::Result<Command> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"]).env(ROLE_VAR, role);
    Ok(cmd)
}

/// Writes one report line (child side), flushed at once.
pub fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    // one write per line; a failed write means the parent is gone
    let _ = out.write_all(format!("{PREFIX}{line}\n").as_bytes());
    let _ = out.flush();
}

/// The complete report lines in a child's stdout.
pub fn reports(stdout: &str) -> Vec<String> {
    let complete = match stdout.rfind('\n') {
        Some(end) => &stdout[..=end],
        None => "",
    };
    // libtest prints `test name ... ` without a newline before the test
    // runs, so the first report may share its line
    complete
        .lines()
        .filter_map(|l| l.find(PREFIX).map(|at| &l[at + PREFIX.len()..]))
        .map(str::to_owned)
        .collect()
}

/// How a child ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status (`None` when it was killed at the timeout).
    pub status: Option<ExitStatus>,
    /// Its complete report lines.
    pub reports: Vec<String>,
    /// Its stderr, for failure messages.
    pub stderr: String,
}

/// Runs `cmd` to its end, killing it after `timeout`; its output is read
/// while it runs, so a chatty child never blocks on a full pipe.
pub fn run(mut cmd: Command, timeout: Duration) -> std::io::Result<Finished> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Finished { status, reports: reports(&stdout), stderr })
}

/// Reads a pipe to its end on a thread.
pub fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // a read error ends the output early; what was read is kept
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Whether this process runs as root (read from `/proc/self/status`).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            .is_some_and(|effective| effective == "0")
    })
}

/// `cmd` as user and group `nobody` when this process is root (file
/// permissions bind root only through a lost capability); unchanged
/// otherwise.
pub fn unprivileged(cmd: Command) -> Command {
    if !is_root() {
        return cmd;
    }
    let mut wrapped = Command::new("setpriv");
    wrapped.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
    rebuild(wrapped, &cmd)
}

/// `cmd` under a file-size limit of `kib` KiB (`ulimit -f`), with
/// `SIGXFSZ` ignored: a write past the limit fails with `EFBIG` like a
/// write to a full disk, instead of killing the process.
pub fn file_size_limit(cmd: Command, kib: u64) -> Command {
    let mut wrapped = Command::new("sh");
    // ulimit -f counts 512-byte blocks in POSIX sh
    wrapped.args(["-c", "ulimit -f \"$1\" && trap '' XFSZ && shift && exec \"$@\"", "sh"]);
    wrapped.arg((kib * 2).to_string());
    rebuild(wrapped, &cmd)
}

/// Appends `inner`'s program, arguments, environment and folder to
/// `outer`.
fn rebuild(mut outer: Command, inner: &Command) -> Command {
    outer.arg(inner.get_program()).args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => outer.env(key, v),
            None => outer.env_remove(key),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        outer.current_dir(dir);
    }
    outer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_keep_only_complete_prefixed_lines() {
        let out = "running 1 test\ntest t ... @@ ready\nnoise\n@@ done 1\n@@ done";
        assert_eq!(reports(out), ["ready", "done 1"]);
        assert!(reports("@@ cut").is_empty());
    }

    #[test]
    fn wrappers_keep_program_arguments_and_environment() {
        let mut cmd = Command::new("/bin/true");
        cmd.arg("x").env("K", "V");
        let mut limited = file_size_limit(cmd, 4);
        let args: Vec<_> = limited.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(limited.get_program(), "sh");
        assert_eq!(args[3..], ["8", "/bin/true", "x"]);
        assert!(limited.get_envs().any(|(k, v)| k == "K" && v == Some("V".as_ref())));
        let status = limited.status().expect("run sh");
        assert!(status.success(), "the wrapped command did not run: {status:?}");
    }
}

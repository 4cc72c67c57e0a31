//! The default sink, the process's real stdout, checked from a child
//! process (this same test binary, re-run with an environment variable).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use push_core::conformance::sample_receipt;
use push_core::{Counters, Handler};
use push_stdout::{Line, StdoutHandler, parse_line};
use serde_json::json;

const CHILD: &str = "PUSH_STDOUT_REAL_STDOUT_CHILD";
const LINES: u64 = 5;

#[test]
fn lines_reach_the_real_stdout() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args(["lines_reach_the_real_stdout", "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .output()
        .expect("the child runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(out.status.success(), "child failed: {text}\n{}", String::from_utf8_lossy(&out.stderr));
    // The test harness writes its own lines; ours are the JSON ones.
    let seqs: Vec<u64> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| match parse_line(l) {
            Ok(Line::Receipt(r)) => r.payload.seq,
            other => panic!("{l:?}: {other:?}"),
        })
        .collect();
    assert_eq!(seqs, (0..LINES).collect::<Vec<_>>());
}

fn child() {
    // The harness has printed `test … ` without a newline; end that line.
    let _ = std::io::stdout().write_all(b"\n");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let handler = StdoutHandler::new();
        assert!(matches!(handler.init(&json!({"enabled": true})).await, Ok(true)));
        for seq in 0..LINES {
            assert!(handler.push(&Arc::new(sample_receipt(seq))).is_accepted());
        }
        handler.stop(Duration::from_secs(10)).await;
        assert_eq!(
            handler.counters(),
            Counters { accepted: LINES, delivered: LINES, ..Counters::default() }
        );
    });
}

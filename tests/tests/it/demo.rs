//! The demo binary itself: it passes every check, prints each section, and
//! measures the same figures on every run (only the loopback port and the
//! wall time differ).

use std::process::Command;

fn run_demo() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_demo")).output().expect("the demo starts");
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(out.status.success(), "the demo failed:\n{text}");
    text
}

/// The output without the lines that legitimately vary.
fn stable(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with("listening on ") && !l.contains(" checks passed, "))
        .collect()
}

#[test]
fn the_demo_passes_its_checks_and_repeats_its_figures() {
    let first = run_demo();
    for section in ["== updates", "== vk", "== push", "== auth", "== end to end", "== summary"] {
        assert!(first.contains(section), "no {section} section:\n{first}");
    }
    assert!(first.contains("in memory"), "the demo says its stores are in memory");
    assert!(first.contains(" checks passed, 0 failed"), "{first}");
    assert!(!first.contains("CHECK FAILED"), "{first}");
    assert!(first.contains("| duplicates                              |     0 |"), "{first}");
    assert!(first.contains("| lost                                    |     0 |"), "{first}");
    assert_eq!(stable(&first), stable(&run_demo()), "a second run measured other figures");
}

//! `cargo xtask bench updates`: throughput and idle cost of the update
//! manager, each against a baseline measured in the same run. Writes
//! `$MSGKIT_BENCH_DIR/updates.json` (records `{name, unit, ours, baseline,
//! ratio}`) and prints a table.
//!
//! - `in_order_manager`: 1,000,000 `updateNewMessage`, each in its own
//!   `updates` container, through the `Manager` (queue, engine, handler,
//!   in-memory storage) vs grammers-session 0.11 `MessageBoxes` fed the
//!   same stream (sans-IO, no handler, no storage). Best of 3.
//! - `in_order_engine`: the same stream through our sans-IO `Engine` alone
//!   (like for like with `MessageBoxes`).
//! - `lossy_stream`: the fake server's mixed stream (common box, qts, 50
//!   channels), 10 % of containers dropped, recovered with real
//!   getDifference / getChannelDifference against the in-process fake
//!   server, vs the same stream without loss. Wall time with the default
//!   500 ms gap timeout.
//! - `idle_memory_per_channel`: resident memory per tracked channel with
//!   10,000 channels (RSS delta) vs `MessageBoxes` with the same channels.
//! - `idle_rpcs_per_minute`: RPCs per minute over one idle virtual hour
//!   with 10,000 channels vs the same manager polling every channel every
//!   15 minutes (what gotd and grammers do).

#![allow(clippy::print_stdout, reason = "a benchmark prints its table")]

mod idle;
mod in_order;
mod lossy;

use serde_json::json;

/// One result row.
pub(crate) struct Record {
    name: &'static str,
    unit: &'static str,
    ours: f64,
    baseline: f64,
    note: &'static str,
}

fn main() {
    let mut records = Vec::new();
    // memory first: later runs free memory the allocator would reuse
    records.push(idle::memory());
    records.push(idle::rpcs());
    records.extend(in_order::run());
    records.push(lossy::run());
    print_table(&records);
    let json: Vec<_> = records
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "unit": r.unit,
                "ours": r.ours,
                "baseline": r.baseline,
                "ratio": ratio(r),
            })
        })
        .collect();
    let dir = std::env::var("MSGKIT_BENCH_DIR").unwrap_or_else(|_| "target/bench".into());
    let path = std::path::Path::new(&dir).join("updates.json");
    let text = serde_json::to_string_pretty(&json).expect("records serialise");
    std::fs::create_dir_all(&dir).expect("create the bench dir");
    std::fs::write(&path, text).expect("write updates.json");
    println!("wrote {}", path.display());
}

fn ratio(r: &Record) -> f64 {
    if r.baseline == 0.0 { f64::INFINITY } else { r.ours / r.baseline }
}

fn print_table(records: &[Record]) {
    println!();
    println!(
        "{:<28} {:>14} {:>14} {:>9}  {:<10} baseline",
        "benchmark", "ours", "baseline", "ratio", "unit"
    );
    for r in records {
        println!(
            "{:<28} {:>14.2} {:>14.2} {:>9.3}  {:<10} {}",
            r.name,
            r.ours,
            r.baseline,
            ratio(r),
            r.unit,
            r.note
        );
    }
    println!();
}

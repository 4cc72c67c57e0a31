//! `cargo xtask bench storage`: the durable update-state backends, each
//! against a baseline measured in the same run. Writes
//! `$MSGKIT_BENCH_DIR/storage.json` (records `{name, unit, ours,
//! baseline, ratio}`) and prints a table.
//!
//! - `checkpoint_*`: checkpoints/s of `write_checkpoint` (one common
//!   state per checkpoint, as the manager writes for a pts batch) per
//!   backend and mode, vs the raw engine doing the same single-key write
//!   (sled `insert` of 16 bytes, plus `flush` in the every-checkpoint
//!   mode; an SQLite prepared upsert with the same pragmas). Alternating
//!   rounds on fresh databases; the median of the paired ratios.
//! - `manager_*`: the `Manager`'s in-order throughput (the updates bench
//!   stream: one `updateNewMessage` per container; 1,000,000 updates, or
//!   200,000 in the modes that fsync every batch) on each backend, vs
//!   `MemoryStorage` on the same stream in the same run. Five paired
//!   rounds, median ratio.
//! - `disk_*_10k_channels`: bytes on disk for one account with 10,000
//!   channels (pts and access hash each) vs the raw payload (keys and
//!   values, 48 bytes a channel).

#![allow(clippy::print_stdout, reason = "a benchmark prints its table")]

mod checkpoint;
mod disk;
mod manager;

use serde_json::json;

/// One result row.
pub(crate) struct Record {
    name: String,
    unit: &'static str,
    ours: f64,
    baseline: f64,
    /// The median of paired ratios, when the rows were measured in pairs.
    ratio: Option<f64>,
    note: &'static str,
}

/// The backends and modes under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    SledBackground,
    SledEvery,
    SqliteNormal,
    SqliteFull,
}

impl Backend {
    pub(crate) const ALL: [Backend; 4] =
        [Backend::SledBackground, Backend::SledEvery, Backend::SqliteNormal, Backend::SqliteFull];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Backend::SledBackground => "sled_background",
            Backend::SledEvery => "sled_every_checkpoint",
            Backend::SqliteNormal => "sqlite_normal",
            Backend::SqliteFull => "sqlite_full",
        }
    }

    /// Whether each write syncs (fewer iterations).
    pub(crate) fn syncs(self) -> bool {
        matches!(self, Backend::SledEvery | Backend::SqliteFull)
    }
}

/// The median of `v` (empty: 0).
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let mut records = Vec::new();
    for backend in Backend::ALL {
        println!("checkpoints: {}", backend.name());
        records.push(checkpoint::run(backend));
    }
    for backend in Backend::ALL {
        println!("manager: {}", backend.name());
        records.push(manager::run(backend));
    }
    records.extend(disk::run());
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
    let path = std::path::Path::new(&dir).join("storage.json");
    let text = serde_json::to_string_pretty(&json).expect("records serialise");
    std::fs::create_dir_all(&dir).expect("create the bench dir");
    std::fs::write(&path, text).expect("write storage.json");
    println!("wrote {}", path.display());
}

fn ratio(r: &Record) -> f64 {
    match r.ratio {
        Some(x) => x,
        None if r.baseline == 0.0 => f64::INFINITY,
        None => r.ours / r.baseline,
    }
}

fn print_table(records: &[Record]) {
    println!();
    println!(
        "{:<40} {:>14} {:>14} {:>8}  {:<12} baseline",
        "benchmark", "ours", "baseline", "ratio", "unit"
    );
    for r in records {
        println!(
            "{:<40} {:>14.1} {:>14.1} {:>8.3}  {:<12} {}",
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

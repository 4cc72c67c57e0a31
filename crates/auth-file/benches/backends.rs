//! `cargo xtask bench auth`, part 2: the durable backends (Baileys-compatible
//! folder, native log, SQLite; fsync on and off) against Baileys' own
//! `useMultiFileAuthState` run in the same process tree (Node, through
//! `auth_file::interop`): write, read back from a fresh store, overwrite
//! through a transaction and delete 10,000 pre-keys; bytes on disk; and
//! the per-key cost of single-key writes and reads when the store holds
//! 1,000 vs 100,000 keys. Merges its records into
//! `$MSGKIT_BENCH_DIR/auth.json` (the key-store records of part 1 stay).

#![allow(clippy::print_stdout, reason = "a benchmark prints its table")]

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use auth_file::{CompatFolder, CompatOptions, Durability, NativeOptions, NativeStore};
use auth_persistence::{DataSet, KeyFamily, KeyPair, KeyStore, KeyWrite, Persistence, values};
use auth_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use serde_json::{Value, json};

const KEYS: usize = 10_000;
/// Paired runs of the no-fsync backends and Baileys (fsync ones run once:
/// 10,000 fsyncs take tens of seconds here).
const RUNS: usize = 3;
const SAMPLE: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Compat(Durability),
    Native(Durability),
    Sqlite(Synchronous),
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Compat(Durability::Fsync) => "compat fsync",
            Kind::Compat(Durability::NoSync) => "compat no-fsync",
            Kind::Native(Durability::Fsync) => "native fsync",
            Kind::Native(Durability::NoSync) => "native no-fsync",
            Kind::Sqlite(Synchronous::Off) => "sqlite sync=off",
            Kind::Sqlite(_) => "sqlite sync=full",
        }
    }

    fn durable(self) -> bool {
        matches!(
            self,
            Kind::Compat(Durability::Fsync)
                | Kind::Native(Durability::Fsync)
                | Kind::Sqlite(Synchronous::Full)
        )
    }

    fn open(self, dir: &Path) -> Arc<dyn Persistence> {
        match self {
            Kind::Compat(durability) => Arc::new(
                CompatFolder::open_with(
                    dir,
                    CompatOptions { durability, ..CompatOptions::default() },
                )
                .expect("open"),
            ),
            Kind::Native(durability) => {
                Arc::new(NativeStore::open_with(dir, NativeOptions { durability }).expect("open"))
            }
            Kind::Sqlite(synchronous) => {
                std::fs::create_dir_all(dir).expect("mkdir");
                let options = SqliteOptions { synchronous, ..SqliteOptions::default() };
                Arc::new(SqliteStore::open_with(dir.join("auth.db"), options).expect("open"))
            }
        }
    }
}

const KINDS: [Kind; 6] = [
    Kind::Compat(Durability::Fsync),
    Kind::Compat(Durability::NoSync),
    Kind::Native(Durability::Fsync),
    Kind::Native(Durability::NoSync),
    Kind::Sqlite(Synchronous::Full),
    Kind::Sqlite(Synchronous::Off),
];

/// keys/s of write, read, overwrite, delete; bytes allocated and logical.
#[derive(Clone, Copy, Debug, Default)]
struct Phases {
    rates: [f64; 4],
    bytes: f64,
    logical: f64,
}

const PHASES: [&str; 4] = ["write", "read back (fresh store)", "overwrite (transaction)", "delete"];

fn rate(items: usize, started: Instant) -> f64 {
    items as f64 / started.elapsed().as_secs_f64()
}

fn disk(dir: &Path) -> (f64, f64) {
    let (mut bytes, mut logical) = (0u64, 0u64);
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let meta = entry.metadata().expect("meta");
        bytes += meta.blocks() * 512;
        logical += meta.len();
    }
    (bytes as f64, logical as f64)
}

fn pre_keys(n: usize, offset: usize) -> Vec<(String, Value)> {
    (0..n)
        .map(|i| {
            let pair = KeyPair::generate().expect("pair");
            ((offset + i + 1).to_string(), values::encode(&pair).expect("encode"))
        })
        .collect()
}

async fn ours(kind: Kind, dir: &Path, keys: &[(String, Value)]) -> Phases {
    let ids: Vec<String> = keys.iter().map(|(id, _)| id.clone()).collect();
    let saves: Vec<KeyWrite> =
        keys.iter().map(|(id, v)| KeyWrite::save(KeyFamily::PreKey, id, v.clone())).collect();
    let mut phases = Phases::default();
    {
        let backend = kind.open(dir);
        let started = Instant::now();
        backend.write_batch(&saves).await.expect("write");
        phases.rates[0] = rate(keys.len(), started);
    }
    let backend = kind.open(dir);
    let started = Instant::now();
    let loaded = backend.load_keys(&KeyFamily::PreKey, &ids).await.expect("read");
    phases.rates[1] = rate(keys.len(), started);
    assert!(loaded.iter().all(Option::is_some), "every key read back");
    let store = KeyStore::new(backend.clone());
    let mut data = DataSet::new();
    for (id, value) in keys {
        data.put(KeyFamily::PreKey, id.clone(), value.clone());
    }
    let started = Instant::now();
    let s = store.clone();
    store.transaction("bench", async move { s.set(data).await }).await.expect("overwrite");
    phases.rates[2] = rate(keys.len(), started);
    (phases.bytes, phases.logical) = disk(dir);
    let deletes: Vec<KeyWrite> =
        ids.iter().map(|id| KeyWrite::delete(KeyFamily::PreKey, id)).collect();
    let started = Instant::now();
    backend.write_batch(&deletes).await.expect("delete");
    phases.rates[3] = rate(keys.len(), started);
    phases
}

fn baileys(dir: &Path) -> Phases {
    let out =
        auth_file::interop::run_script("bench-baileys.mjs", &[dir, Path::new(&KEYS.to_string())])
            .unwrap_or_else(|e| panic!("Baileys baseline: {e}"));
    let v: Value = serde_json::from_str(out.trim()).expect("Baileys printed JSON");
    let f = |k: &str| v[k].as_f64().expect("number");
    Phases {
        rates: [f("write"), f("read"), f("overwrite"), f("delete")],
        bytes: f("bytes"),
        logical: f("logical"),
    }
}

/// µs per single-key write and per single-key read with `held` keys stored.
async fn per_key(kind: Kind, dir: &Path, held: usize) -> (f64, f64) {
    let backend = kind.open(dir);
    for chunk in pre_keys(held, 0).chunks(10_000) {
        let saves: Vec<KeyWrite> =
            chunk.iter().map(|(id, v)| KeyWrite::save(KeyFamily::PreKey, id, v.clone())).collect();
        backend.write_batch(&saves).await.expect("fill");
    }
    let extra = pre_keys(SAMPLE, held);
    let started = Instant::now();
    for (id, value) in &extra {
        backend.save_key(&KeyFamily::PreKey, id, value).await.expect("save");
    }
    let write = started.elapsed().as_secs_f64() * 1e6 / SAMPLE as f64;
    let started = Instant::now();
    for (id, _) in &extra {
        assert!(backend.load_key(&KeyFamily::PreKey, id).await.expect("load").is_some());
    }
    let read = started.elapsed().as_secs_f64() * 1e6 / SAMPLE as f64;
    (write, read)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Record {
    name: String,
    unit: &'static str,
    ours: f64,
    baseline: f64,
    ratio: f64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let root = tempfile::tempdir().expect("tempdir");
    let keys = pre_keys(KEYS, 0);
    let mut baseline_runs = Vec::new();
    let mut runs: Vec<(Kind, Vec<Phases>)> = KINDS.iter().map(|k| (*k, Vec::new())).collect();
    for run in 0..RUNS {
        println!("run {}/{RUNS}: Baileys useMultiFileAuthState", run + 1);
        baseline_runs.push(baileys(&root.path().join(format!("baileys-{run}"))));
        for (kind, results) in &mut runs {
            if kind.durable() && run > 0 {
                continue;
            }
            println!("run {}/{RUNS}: {}", run + 1, kind.name());
            results.push(
                ours(
                    *kind,
                    &root.path().join(format!("{}-{run}", kind.name().replace(' ', "-"))),
                    &keys,
                )
                .await,
            );
        }
    }
    let base = |phase: usize| median(baseline_runs.iter().map(|p| p.rates[phase]).collect());
    let mut records = Vec::new();
    println!(
        "\n{KEYS} pre-keys, keys/s (median; ratio = median of per-run ratios to Baileys in the same run)"
    );
    println!("{:<18} {:<26} {:>12} {:>12} {:>8}", "backend", "phase", "ours", "Baileys", "ratio");
    for (kind, results) in &runs {
        for (phase, name) in PHASES.iter().enumerate() {
            let ours = median(results.iter().map(|p| p.rates[phase]).collect());
            let ratio = median(
                results
                    .iter()
                    .zip(&baseline_runs)
                    .map(|(o, b)| o.rates[phase] / b.rates[phase])
                    .collect(),
            );
            println!(
                "{:<18} {:<26} {:>12.0} {:>12.0} {:>8.2}",
                kind.name(),
                name,
                ours,
                base(phase),
                ratio
            );
            records.push(Record {
                name: format!("{}: {name}, {KEYS} pre-keys", kind.name()),
                unit: "keys/s",
                ours,
                baseline: base(phase),
                ratio,
            });
        }
    }
    println!("\nbytes on disk after the overwrite (allocated / logical)");
    let (b_bytes, b_logical) = (baseline_runs[0].bytes, baseline_runs[0].logical);
    println!("{:<18} {:>12.0} {:>12.0}", "Baileys", b_bytes, b_logical);
    for (kind, results) in &runs {
        let p = results[0];
        println!("{:<18} {:>12.0} {:>12.0}", kind.name(), p.bytes, p.logical);
        records.push(Record {
            name: format!("{}: bytes on disk, {KEYS} pre-keys", kind.name()),
            unit: "bytes",
            ours: p.bytes,
            baseline: b_bytes,
            ratio: p.bytes / b_bytes,
        });
    }
    println!("\nper single-key operation (µs) with 1,000 vs 100,000 keys stored (no fsync)");
    println!(
        "{:<18} {:>10} {:>10} {:>8} {:>10} {:>10} {:>8}",
        "backend", "write@1k", "write@100k", "ratio", "read@1k", "read@100k", "ratio"
    );
    for kind in [
        Kind::Compat(Durability::NoSync),
        Kind::Native(Durability::NoSync),
        Kind::Sqlite(Synchronous::Off),
    ] {
        let small = per_key(
            kind,
            &root.path().join(format!("flat-1k-{}", kind.name().replace(' ', "-"))),
            1_000,
        )
        .await;
        let large = per_key(
            kind,
            &root.path().join(format!("flat-100k-{}", kind.name().replace(' ', "-"))),
            100_000,
        )
        .await;
        println!(
            "{:<18} {:>10.1} {:>10.1} {:>8.2} {:>10.1} {:>10.1} {:>8.2}",
            kind.name(),
            small.0,
            large.0,
            large.0 / small.0,
            small.1,
            large.1,
            large.1 / small.1
        );
        records.push(Record {
            name: format!("{}: µs per single-key write, 100k vs 1k keys stored", kind.name()),
            unit: "µs",
            ours: large.0,
            baseline: small.0,
            ratio: large.0 / small.0,
        });
        records.push(Record {
            name: format!("{}: µs per single-key read, 100k vs 1k keys stored", kind.name()),
            unit: "µs",
            ours: large.1,
            baseline: small.1,
            ratio: large.1 / small.1,
        });
    }
    write_records(&records);
}

/// Merges the records into `auth.json`, replacing earlier records of these
/// backends and keeping the key-store records of part 1.
fn write_records(records: &[Record]) {
    let dir = std::env::var_os("MSGKIT_BENCH_DIR")
        .map_or_else(|| Path::new("target/bench").to_owned(), Into::into);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("auth.json");
    let ours = |name: &str| ["compat ", "native ", "sqlite "].iter().any(|p| name.starts_with(p));
    let mut all: Vec<Value> = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Vec<Value>>(&bytes).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !r["name"].as_str().is_some_and(ours))
        .collect();
    all.extend(records.iter().map(|r| json!({"name": r.name, "unit": r.unit, "ours": r.ours, "baseline": r.baseline, "ratio": r.ratio})));
    match std::fs::write(
        &path,
        serde_json::to_string_pretty(&Value::Array(all)).unwrap_or_default(),
    ) {
        Ok(()) => println!("\nwrote {}", path.display()),
        Err(e) => println!("\ncannot write {}: {e}", path.display()),
    }
}

//! `cargo xtask bench auth`: KeyStore get/set throughput over the in-memory
//! backend, cached and uncached, against a bare `HashMap` behind a mutex
//! measured in the same run. Writes `$MSGKIT_BENCH_DIR/auth.json`.

#![allow(clippy::print_stdout, reason = "a benchmark prints its table")]

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use auth_persistence::{DataSet, KeyFamily, KeyPair, KeyStore, KeyStoreConfig, MemoryPersistence};
use serde_json::{Value, json};

const KEYS: usize = 10_000;
const RUNS: usize = 9;

/// The in-memory baseline: what a store without transactions costs.
#[derive(Default)]
struct Baseline(Mutex<HashMap<(String, String), Value>>);

impl Baseline {
    fn get(&self, family: &KeyFamily, id: &str) -> Option<Value> {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&(family.as_str().to_owned(), id.to_owned())).cloned()
    }

    fn set(&self, family: &KeyFamily, id: &str, value: Value) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.insert((family.as_str().to_owned(), id.to_owned()), value);
    }
}

struct Record {
    name: &'static str,
    unit: &'static str,
    ours: f64,
    baseline: f64,
    ratio: f64,
}

fn pre_key(n: usize) -> Value {
    serde_json::to_value(KeyPair::from_private([(n % 251) as u8; 32])).unwrap_or(Value::Null)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Items per second of one run of `f`, which processes `items` items.
async fn rate<Fut: Future<Output = ()>>(items: usize, f: impl FnOnce() -> Fut) -> f64 {
    let start = Instant::now();
    f().await;
    items as f64 / start.elapsed().as_secs_f64()
}

/// Runs baseline and ours alternately `RUNS` times (so machine noise hits
/// both alike) and keeps the medians and the median per-run ratio.
async fn pair<BF, OF, BFut, OFut>(
    name: &'static str,
    items: usize,
    mut base: BF,
    mut ours: OF,
) -> Record
where
    BF: FnMut() -> BFut,
    OF: FnMut() -> OFut,
    BFut: Future<Output = ()>,
    OFut: Future<Output = ()>,
{
    let (mut b, mut o, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let base_rate = rate(items, &mut base).await;
        let ours_rate = rate(items, &mut ours).await;
        b.push(base_rate);
        o.push(ours_rate);
        r.push(ours_rate / base_rate);
    }
    Record { name, unit: "keys/s", ours: median(o), baseline: median(b), ratio: median(r) }
}

fn ids() -> Vec<String> {
    (0..KEYS).map(|n| n.to_string()).collect()
}

async fn filled_store(cache: bool) -> KeyStore {
    let store = KeyStore::with_config(
        Arc::new(MemoryPersistence::new()),
        KeyStoreConfig { cache, ..KeyStoreConfig::default() },
    );
    let mut data = DataSet::new();
    for (n, id) in ids().into_iter().enumerate() {
        data.put(KeyFamily::PreKey, id, pre_key(n));
    }
    store.set(data).await.unwrap_or_else(|e| panic!("fill: {e}"));
    store
}

async fn measure() -> Vec<Record> {
    let family = KeyFamily::PreKey;
    let ids = ids();
    let values: Vec<Value> = (0..KEYS).map(pre_key).collect();
    let baseline = Baseline::default();
    for (id, value) in ids.iter().zip(&values) {
        baseline.set(&family, id, value.clone());
    }
    let cached = filled_store(true).await;
    cached.get(&family, &ids).await.unwrap_or_else(|e| panic!("warm: {e}"));
    let uncached = filled_store(false).await;
    let chunks: Vec<&[String]> = ids.chunks(100).collect();
    let base_get = || async {
        for id in &ids {
            black_box(baseline.get(&family, id));
        }
    };
    let base_set = || async {
        for (id, value) in ids.iter().zip(&values) {
            baseline.set(&family, id, value.clone());
        }
    };
    let mut records = Vec::new();
    for (name, store) in
        [("get 1 id/call, cached", &cached), ("get 1 id/call, uncached", &uncached)]
    {
        let ours = || async {
            for id in &ids {
                black_box(store.get(&family, &[id]).await.unwrap_or_default());
            }
        };
        records.push(pair(name, KEYS, base_get, ours).await);
    }
    for (name, store) in
        [("get 100 ids/call, cached", &cached), ("get 100 ids/call, uncached", &uncached)]
    {
        let ours = || async {
            for chunk in &chunks {
                black_box(store.get(&family, chunk).await.unwrap_or_default());
            }
        };
        records.push(pair(name, KEYS, base_get, ours).await);
    }
    for (name, store) in
        [("set 1 id/call, cached", &cached), ("set 1 id/call, uncached", &uncached)]
    {
        let ours = || async {
            for (id, value) in ids.iter().zip(&values) {
                let mut data = DataSet::new();
                data.put(family.clone(), id.clone(), value.clone());
                store.set(data).await.unwrap_or_else(|e| panic!("set: {e}"));
            }
        };
        records.push(pair(name, KEYS, base_set, ours).await);
    }
    let ours = || async {
        for chunk in &chunks {
            let mut data = DataSet::new();
            for (id, value) in chunk.iter().zip(&values) {
                data.put(family.clone(), id.clone(), value.clone());
            }
            cached.set(data).await.unwrap_or_else(|e| panic!("set: {e}"));
        }
    };
    records.push(pair("set 100 ids/call, cached", KEYS, base_set, ours).await);
    let base_tx = || async {
        for (id, value) in ids.iter().zip(&values) {
            black_box(baseline.get(&family, id));
            baseline.set(&family, id, value.clone());
        }
    };
    let ours = || async {
        for (id, value) in ids.iter().zip(&values) {
            let s = cached.clone();
            let (id2, value) = (id.clone(), value.clone());
            cached
                .transaction(id, async move {
                    black_box(s.get(&KeyFamily::PreKey, &[&id2]).await?);
                    let mut data = DataSet::new();
                    data.put(KeyFamily::PreKey, id2, value);
                    s.set(data).await
                })
                .await
                .unwrap_or_else(|e| panic!("transaction: {e}"));
        }
    };
    records.push(pair("transaction get+set 1 id, cached", KEYS, base_tx, ours).await);
    records
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let records = runtime.block_on(measure());
    println!(
        "auth: KeyStore over MemoryPersistence vs Mutex<HashMap> (same run, {KEYS} pre-keys, median of {RUNS} alternating runs)"
    );
    println!("{:<36} {:>14} {:>14} {:>8}", "benchmark", "ours", "baseline", "ratio");
    let mut json = Vec::new();
    for r in &records {
        let ratio = r.ratio;
        println!(
            "{:<36} {:>9.0} {} {:>9.0} {} {:>8.3}",
            r.name, r.ours, r.unit, r.baseline, r.unit, ratio
        );
        json.push(json!({"name": r.name, "unit": r.unit, "ours": r.ours, "baseline": r.baseline, "ratio": ratio}));
    }
    let dir = std::env::var_os("MSGKIT_BENCH_DIR")
        .map_or_else(|| "target/bench".into(), std::path::PathBuf::from);
    let path = dir.join("auth.json");
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::write(&path, serde_json::to_string_pretty(&Value::Array(json)).unwrap_or_default())
    });
    match written {
        Ok(()) => println!("wrote {}", path.display()),
        Err(e) => panic!("cannot write {}: {e}", path.display()),
    }
}

//! Seeded concurrency stress: many tasks run overlapping transactions,
//! nested transactions, aborted and cancelled bodies and plain writes while
//! the backend fails writes at random; at the end the backend, the store's
//! cache and a fresh store all equal a model `BTreeMap`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_persistence::conformance::Probe;
use auth_persistence::{DataSet, Error, KeyFamily, KeyStore, KeyStoreConfig, MemoryPersistence};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const KEYS: usize = 4;
const COUNTERS: usize = 4;
const SHARED: usize = 3;
const TASKS: u64 = 16;
const OPS: usize = 20;

fn counter_id(key: usize, counter: usize) -> String {
    format!("k{key}.{counter}")
}

fn shared_value(id: usize) -> Value {
    json!({"shared": id})
}

/// What committed, as the model sees it.
#[derive(Default)]
struct Model {
    counters: BTreeMap<String, u64>,
    shared: [bool; SHARED],
    /// Key writes of committed operations.
    writes: u64,
}

impl Model {
    fn expected(&self) -> BTreeMap<(KeyFamily, String), Value> {
        let mut out = BTreeMap::new();
        for (id, n) in &self.counters {
            out.insert((KeyFamily::Session, id.clone()), json!(n));
        }
        for (id, written) in self.shared.iter().enumerate() {
            if *written {
                out.insert((KeyFamily::SenderKeyMemory, format!("g{id}")), shared_value(id));
            }
        }
        out
    }
}

/// Reads the counters, adds one to each, writes them back.
async fn increment(store: &KeyStore, ids: &[String]) -> Result<(), Error> {
    let current = store.get(&KeyFamily::Session, ids).await?;
    let mut data = DataSet::new();
    for id in ids {
        let n = current.get(id).and_then(Value::as_u64).unwrap_or(0);
        data.put(KeyFamily::Session, id.clone(), json!(n + 1));
    }
    store.set(data).await
}

#[derive(Debug)]
enum Op {
    Transaction {
        key: usize,
        ids: Vec<String>,
        nested: Option<String>,
        shared: Option<usize>,
        end: End,
    },
    SetShared(usize),
    Get(String),
    DeleteMissingPreKey(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Commit,
    Abort,
    Cancel,
}

fn draw(rng: &mut ChaCha8Rng) -> Op {
    match rng.random_range(0..10) {
        0..=5 => {
            let key = rng.random_range(0..KEYS);
            let mut ids: Vec<String> = (0..COUNTERS)
                .filter(|_| rng.random_bool(0.5))
                .map(|c| counter_id(key, c))
                .collect();
            if ids.is_empty() {
                ids.push(counter_id(key, rng.random_range(0..COUNTERS)));
            }
            let nested =
                rng.random_bool(0.3).then(|| counter_id(key, rng.random_range(0..COUNTERS)));
            let shared = rng.random_bool(0.3).then(|| rng.random_range(0..SHARED));
            let end = match rng.random_range(0..10) {
                0 => End::Abort,
                1 => End::Cancel,
                _ => End::Commit,
            };
            Op::Transaction { key, ids, nested, shared, end }
        }
        6 | 7 => Op::SetShared(rng.random_range(0..SHARED)),
        8 => Op::Get(counter_id(rng.random_range(0..KEYS), rng.random_range(0..COUNTERS))),
        _ => Op::DeleteMissingPreKey(rng.random_range(1000..2000)),
    }
}

async fn run(store: KeyStore, op: Op, model: Arc<Mutex<Model>>) {
    match op {
        Op::Transaction { key, ids, nested, shared, end } => {
            let s = store.clone();
            let (body_ids, body_nested) = (ids.clone(), nested.clone());
            let name = format!("key-{key}");
            let work = store.transaction(&name, async move {
                increment(&s, &body_ids).await?;
                if let Some(id) = body_nested {
                    let n = s.clone();
                    s.transaction("ignored: nested", async move { increment(&n, &[id]).await })
                        .await?;
                }
                if let Some(g) = shared {
                    s.set(
                        [(KeyFamily::SenderKeyMemory, format!("g{g}"), Some(shared_value(g)))]
                            .into_iter()
                            .collect(),
                    )
                    .await?;
                }
                tokio::task::yield_now().await;
                match end {
                    End::Commit => Ok(()),
                    End::Abort => {
                        Err(Error::Unsupported { operation: "body", reason: "aborted on purpose" })
                    }
                    End::Cancel => std::future::pending().await,
                }
            });
            // only never-ending bodies are timed out: a timeout elsewhere could
            // fire during a commit, which then still lands
            let outcome = match end {
                End::Cancel => tokio::time::timeout(Duration::from_millis(10), work).await,
                End::Commit | End::Abort => Ok(work.await),
            };
            match outcome {
                Ok(Ok(())) => {
                    let mut model = model.lock().expect("model");
                    for id in ids.iter().chain(nested.iter()) {
                        *model.counters.entry(id.clone()).or_default() += 1;
                    }
                    if let Some(g) = shared {
                        model.shared[g] = true;
                    }
                    model.writes += (ids.len()
                        + usize::from(nested.is_some())
                        + usize::from(shared.is_some())) as u64;
                }
                Ok(Err(Error::CommitFailed { .. })) | Err(_) => {}
                Ok(Err(error)) if end == End::Abort && error.is_unsupported() => {}
                Ok(Err(error)) => panic!("unexpected transaction error: {error}"),
            }
        }
        Op::SetShared(g) => {
            let data = [(KeyFamily::SenderKeyMemory, format!("g{g}"), Some(shared_value(g)))]
                .into_iter()
                .collect();
            match store.set(data).await {
                Ok(()) => {
                    let mut model = model.lock().expect("model");
                    model.shared[g] = true;
                    model.writes += 1;
                }
                Err(Error::CommitFailed { .. }) => {}
                Err(error) => panic!("unexpected set error: {error}"),
            }
        }
        Op::Get(id) => {
            store.get(&KeyFamily::Session, &[id]).await.expect("reads never fail");
        }
        Op::DeleteMissingPreKey(id) => {
            let data = [(KeyFamily::PreKey, id.to_string(), None)].into_iter().collect();
            match store.set(data).await {
                Ok(()) | Err(Error::CommitFailed { .. }) => {}
                Err(error) => panic!("unexpected delete error: {error}"),
            }
        }
    }
}

async fn stress(seed: u64) {
    let memory = Arc::new(MemoryPersistence::new());
    let probe = Probe::new(memory.clone());
    probe.fail_randomly(0.15, seed);
    let config = KeyStoreConfig {
        max_commit_attempts: 8,
        retry_delay: Duration::from_millis(5),
        ..KeyStoreConfig::default()
    };
    let store = KeyStore::with_config(probe.clone(), config);
    let model = Arc::new(Mutex::new(Model::default()));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let mut rng = ChaCha8Rng::seed_from_u64(seed * 1000 + task);
        let (store, model) = (store.clone(), model.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..OPS {
                run(store.clone(), draw(&mut rng), model.clone()).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("no task panicked");
    }
    probe.heal();
    let (expected, writes) = {
        let model = model.lock().expect("model");
        (model.expected(), model.writes)
    };
    // failed attempts and restores made the backend see many more writes
    assert!(probe.counts().save_key > writes + writes / 4, "seed {seed}: failures were injected");
    assert!(expected.len() > KEYS, "seed {seed}: the run committed something");
    assert_eq!(memory.keys_of(None), expected, "seed {seed}: backend == model");
    let fresh = KeyStore::new(memory.clone());
    for store in [&store, &fresh] {
        let mut seen = BTreeMap::new();
        for family in [KeyFamily::Session, KeyFamily::SenderKeyMemory, KeyFamily::PreKey] {
            let ids: Vec<String> = (0..KEYS)
                .flat_map(|k| (0..COUNTERS).map(move |c| counter_id(k, c)))
                .chain((0..SHARED).map(|g| format!("g{g}")))
                .collect();
            for (id, value) in store.get(&family, &ids).await.expect("get") {
                seen.insert((family.clone(), id), value);
            }
        }
        assert_eq!(seen, expected, "seed {seed}: store view == model");
    }
}

#[tokio::test(start_paused = true)]
async fn concurrent_transactions_with_injected_failures_end_equal_to_the_model() {
    for seed in 1..=6 {
        stress(seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_holds_on_a_multi_thread_runtime() {
    for seed in 7..=9 {
        stress(seed).await;
    }
}

//! Model-based check: concurrent tasks run overlapping, nested, aborted and
//! cancelled transactions and plain writes through a [`KeyStore`] while
//! the backend fails writes at random (seeded); at the end the backend, the
//! store and a fresh store all hold exactly what a model `BTreeMap` says.
//!
//! Counters per transaction key are read-modify-written only inside that
//! key's transactions, so their final values count the committed
//! transactions whatever the interleaving; shared ids only ever get one
//! constant value each, so they exist iff some committing operation wrote
//! them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::{Probe, Subject};
use crate::{DataSet, Error, KeyFamily, KeyStore, KeyStoreConfig};

const KEYS: u64 = 4;
const COUNTERS: u64 = 4;
const SHARED: u64 = 3;
const TASKS: u64 = 12;
const OPS: usize = 16;

/// xorshift64*: deterministic, no dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn counter(key: u64, n: u64) -> String {
    format!("k{key}.{n}")
}

fn shared(n: u64) -> (String, Value) {
    (format!("g{n}@g.us"), json!({"shared": n}))
}

#[derive(Default)]
struct Model {
    counters: BTreeMap<String, u64>,
    shared: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Commit,
    Abort,
    Cancel,
}

#[derive(Debug)]
enum Op {
    Transaction {
        key: u64,
        ids: Vec<String>,
        nested: Option<String>,
        shared: Option<u64>,
        end: End,
    },
    SetShared(u64),
    Get(String),
    DeleteMissingPreKey(u64),
}

fn draw(rng: &mut Rng) -> Op {
    match rng.below(10) {
        0..=5 => {
            let key = rng.below(KEYS);
            let mut ids: Vec<String> =
                (0..COUNTERS).filter(|_| rng.chance(50)).map(|n| counter(key, n)).collect();
            if ids.is_empty() {
                ids.push(counter(key, rng.below(COUNTERS)));
            }
            let nested = rng.chance(30).then(|| counter(key, rng.below(COUNTERS)));
            let shared = rng.chance(30).then(|| rng.below(SHARED));
            let end = match rng.below(10) {
                0 => End::Abort,
                1 => End::Cancel,
                _ => End::Commit,
            };
            Op::Transaction { key, ids, nested, shared, end }
        }
        6 | 7 => Op::SetShared(rng.below(SHARED)),
        8 => Op::Get(counter(rng.below(KEYS), rng.below(COUNTERS))),
        _ => Op::DeleteMissingPreKey(1000 + rng.below(1000)),
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

fn shared_write(n: u64) -> DataSet {
    let (id, value) = shared(n);
    [(KeyFamily::SenderKeyMemory, id, Some(value))].into_iter().collect()
}

async fn transaction(store: &KeyStore, op: Op, model: &Mutex<Model>) {
    let Op::Transaction { key, ids, nested, shared: shared_id, end } = op else { return };
    let s = store.clone();
    let (body_ids, body_nested) = (ids.clone(), nested.clone());
    let name = format!("key-{key}");
    let work = store.transaction(&name, async move {
        increment(&s, &body_ids).await?;
        if let Some(id) = body_nested {
            let n = s.clone();
            s.transaction(
                "nested: runs in the outer one",
                async move { increment(&n, &[id]).await },
            )
            .await?;
        }
        if let Some(n) = shared_id {
            s.set(shared_write(n)).await?;
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
            let mut model = model.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for id in ids.iter().chain(nested.iter()) {
                *model.counters.entry(id.clone()).or_default() += 1;
            }
            if let Some(n) = shared_id {
                let (id, value) = shared(n);
                model.shared.insert(id, value);
            }
        }
        Ok(Err(Error::CommitFailed { .. })) | Err(_) => {}
        Ok(Err(error)) if end == End::Abort && error.is_unsupported() => {}
        Ok(Err(error)) => panic!("model check: unexpected transaction error: {error}"),
    }
}

async fn run(store: &KeyStore, op: Op, model: &Mutex<Model>) {
    match op {
        Op::Transaction { .. } => transaction(store, op, model).await,
        Op::SetShared(n) => match store.set(shared_write(n)).await {
            Ok(()) => {
                let (id, value) = shared(n);
                model
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .shared
                    .insert(id, value);
            }
            Err(Error::CommitFailed { .. }) => {}
            Err(error) => panic!("model check: unexpected set error: {error}"),
        },
        Op::Get(id) => {
            store.get(&KeyFamily::Session, &[id]).await.expect("model check: reads never fail");
        }
        Op::DeleteMissingPreKey(id) => {
            let data = [(KeyFamily::PreKey, id.to_string(), None)].into_iter().collect();
            match store.set(data).await {
                Ok(()) | Err(Error::CommitFailed { .. }) => {}
                Err(error) => panic!("model check: unexpected delete error: {error}"),
            }
        }
    }
}

/// Everything the store or backend holds for the families the check uses.
async fn contents(store: &KeyStore) -> BTreeMap<(KeyFamily, String), Value> {
    let counters: Vec<String> =
        (0..KEYS).flat_map(|k| (0..COUNTERS).map(move |n| counter(k, n))).collect();
    let shared_ids: Vec<String> = (0..SHARED).map(|n| shared(n).0).collect();
    let pre_keys: Vec<String> = (1000..2000).map(|n: u64| n.to_string()).collect();
    let mut seen = BTreeMap::new();
    for (family, ids) in [
        (KeyFamily::Session, counters),
        (KeyFamily::SenderKeyMemory, shared_ids),
        (KeyFamily::PreKey, pre_keys),
    ] {
        for (id, value) in store.get(&family, &ids).await.expect("model check: final read") {
            seen.insert((family.clone(), id), value);
        }
    }
    seen
}

/// Runs the seeded model check on slot `model-<seed>` of `subject`.
pub async fn transactions_match_a_model(subject: &dyn Subject, seed: u64) {
    let slot = format!("model-{seed}");
    let probe = Probe::new(subject.open(&slot).await);
    probe.fail_randomly(0.15, seed);
    let config = KeyStoreConfig {
        max_commit_attempts: 8,
        retry_delay: Duration::from_millis(2),
        ..KeyStoreConfig::default()
    };
    let store = KeyStore::with_config(probe.clone(), config);
    let model = Arc::new(Mutex::new(Model::default()));
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (store, model) = (store.clone(), model.clone());
            tokio::spawn(async move {
                let mut rng = Rng::new(seed * 1000 + task);
                for _ in 0..OPS {
                    run(&store, draw(&mut rng), &model).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("model check: no task panicked");
    }
    probe.heal();
    let expected: BTreeMap<(KeyFamily, String), Value> = {
        let model = model.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let counters =
            model.counters.iter().map(|(id, n)| ((KeyFamily::Session, id.clone()), json!(n)));
        let shared = model
            .shared
            .iter()
            .map(|(id, v)| ((KeyFamily::SenderKeyMemory, id.clone()), v.clone()));
        counters.chain(shared).collect()
    };
    assert!(
        expected.len() > KEYS as usize,
        "model check (seed {seed}): the run committed something"
    );
    let stats = store.stats();
    assert!(stats.rolled_back > 0, "model check (seed {seed}): failures were injected: {stats:?}");
    assert_eq!(contents(&store).await, expected, "model check (seed {seed}): the store's view");
    let reopened = KeyStore::new(subject.open(&slot).await);
    assert_eq!(contents(&reopened).await, expected, "model check (seed {seed}): the stored data");
}

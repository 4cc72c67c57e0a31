//! KeyStore behaviour beyond the conformance suite: TTL, uncached mode,
//! retries that do not block other keys, commits that outlive a cancelled
//! caller, rollback failure, `clear` inside transactions and without
//! listing support. Time is virtual.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use auth_persistence::conformance::Probe;
use auth_persistence::{
    AuthCreds, DataSet, Error, KeyFamily, KeyStore, KeyStoreConfig, MemoryPersistence, Persistence,
    Result,
};
use serde_json::{Value, json};
use tokio::time::{Instant, sleep, timeout};

fn one(family: KeyFamily, id: &str, value: Option<Value>) -> DataSet {
    [(family, id, value)].into_iter().collect()
}

/// The error and all its sources, joined.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        text.push_str(": ");
        text.push_str(&source.to_string());
        next = source.source();
    }
    text
}

fn probed(config: KeyStoreConfig) -> (Arc<MemoryPersistence>, Arc<Probe>, KeyStore) {
    let memory = Arc::new(MemoryPersistence::new());
    let probe = Probe::new(memory.clone());
    let store = KeyStore::with_config(probe.clone(), config);
    (memory, probe, store)
}

#[tokio::test(start_paused = true)]
async fn cached_entries_and_absences_expire_after_the_ttl() {
    let config = KeyStoreConfig { cache_ttl: Some(Duration::from_secs(300)), ..Default::default() };
    let (memory, probe, store) = probed(config);
    memory.save_key(&KeyFamily::Session, "a.0", &json!(1)).await.expect("seed");
    store.get(&KeyFamily::Session, &["a.0", "b.0"]).await.expect("get");
    sleep(Duration::from_secs(299)).await;
    store.get(&KeyFamily::Session, &["a.0", "b.0"]).await.expect("get");
    assert_eq!(probe.counts().load_key, 2, "fresh entries are served from the cache");
    // another process changes the backend; after the TTL the store sees it
    memory.save_key(&KeyFamily::Session, "b.0", &json!(2)).await.expect("external write");
    sleep(Duration::from_secs(2)).await;
    let got = store.get(&KeyFamily::Session, &["a.0", "b.0"]).await.expect("get");
    assert_eq!(got.get("b.0"), Some(&json!(2)));
    assert_eq!(probe.counts().load_key, 4, "expired entries are reloaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_gets_of_one_id_load_it_once() {
    let (memory, probe, store) = probed(KeyStoreConfig::default());
    memory.save_key(&KeyFamily::Session, "hot.0", &json!(1)).await.expect("seed");
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let store = store.clone();
            let ids = if n % 2 == 0 { vec!["hot.0", "absent.0"] } else { vec!["hot.0"] };
            tokio::spawn(async move { store.get(&KeyFamily::Session, &ids).await })
        })
        .collect();
    for task in tasks {
        let got = task.await.expect("join").expect("get");
        assert_eq!(got.get("hot.0"), Some(&json!(1)));
    }
    assert_eq!(probe.counts().load_key, 2, "one load per id, however many readers raced");
}

#[tokio::test]
async fn stats_count_hits_misses_commits_and_rollbacks_and_the_cache_can_be_forgotten() {
    let config = KeyStoreConfig {
        max_commit_attempts: 2,
        retry_delay: Duration::ZERO,
        ..Default::default()
    };
    let (memory, probe, store) = probed(config);
    store.get(&KeyFamily::PreKey, &["1", "2"]).await.expect("get");
    store.get(&KeyFamily::PreKey, &["1", "2", "3"]).await.expect("get");
    store.set(one(KeyFamily::PreKey, "1", Some(json!(1)))).await.expect("set");
    probe.fail_key(KeyFamily::PreKey, "9");
    store.set(one(KeyFamily::PreKey, "9", Some(json!(9)))).await.expect_err("fails twice");
    let stats = store.stats();
    assert_eq!((stats.cache_hits, stats.cache_misses), (2, 3));
    assert_eq!((stats.commits, stats.rolled_back, stats.failed_commits), (1, 2, 1));
    // another process changes the backend; forgetting the cache shows it
    memory.save_key(&KeyFamily::PreKey, "2", &json!("external")).await.expect("external write");
    assert_eq!(store.get_one(&KeyFamily::PreKey, "2").await.expect("cached"), None);
    store.forget_cache().await;
    assert_eq!(
        store.get_one(&KeyFamily::PreKey, "2").await.expect("fresh"),
        Some(json!("external"))
    );
}

#[tokio::test]
async fn an_uncached_store_reads_the_backend_every_time() {
    let (_, probe, store) = probed(KeyStoreConfig { cache: false, ..Default::default() });
    for _ in 0..3 {
        store.get(&KeyFamily::PreKey, &["1"]).await.expect("get");
    }
    assert_eq!(probe.counts().load_key, 3);
    assert_eq!((store.stats().cache_hits, store.stats().cache_misses), (0, 3));
}

#[tokio::test]
async fn get_deduplicates_ids_and_leaves_out_missing_ones_and_empty_sets_cost_nothing() {
    let (memory, probe, store) = probed(KeyStoreConfig::default());
    memory.save_key(&KeyFamily::PreKey, "1", &json!(1)).await.expect("seed");
    let got = store.get(&KeyFamily::PreKey, &["1", "1", "2", "1"]).await.expect("get");
    assert_eq!(got.len(), 1);
    assert_eq!(probe.counts().load_key, 2);
    store.set(DataSet::new()).await.expect("empty set");
    assert_eq!(probe.counts().save_key + probe.counts().delete_key, 0);
}

#[tokio::test(start_paused = true)]
async fn a_retrying_commit_does_not_block_other_keys_or_reads() {
    let config = KeyStoreConfig { max_commit_attempts: 3, ..Default::default() };
    let (_, probe, store) = probed(config);
    probe.fail_key(KeyFamily::Session, "slow.0"); // every attempt of this commit fails
    let started = Instant::now();
    let failing = {
        let store = store.clone();
        tokio::spawn(
            async move { store.set(one(KeyFamily::Session, "slow.0", Some(json!(1)))).await },
        )
    };
    sleep(Duration::from_millis(10)).await; // the first attempt failed; it sleeps 3 s
    let other = timeout(Duration::from_millis(50), async {
        let s = store.clone();
        store
            .transaction("other-key", async move {
                s.get_one(&KeyFamily::PreKey, "9").await?;
                s.set(one(KeyFamily::PreKey, "9", Some(json!(9)))).await
            })
            .await
    })
    .await;
    assert!(matches!(other, Ok(Ok(()))), "other keys commit while a commit waits to retry");
    assert!(started.elapsed() < Duration::from_secs(1));
    let error = failing.await.expect("join").expect_err("all attempts fail");
    assert!(matches!(error, Error::CommitFailed { attempts: 3, .. }), "{error}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(6) && waited < Duration::from_secs(7), "{waited:?}");
    assert_eq!(store.get_one(&KeyFamily::Session, "slow.0").await.expect("get"), None);
}

#[tokio::test(start_paused = true)]
async fn a_started_commit_finishes_after_its_caller_is_cancelled_and_keeps_the_key_locked() {
    let (memory, probe, store) = probed(KeyStoreConfig::default());
    probe.fail_writes(1, 1); // first attempt fails, the retry (after 3 s) succeeds
    let s = store.clone();
    let caller = timeout(
        Duration::from_secs(1),
        store.transaction("jid", async move {
            s.set(one(KeyFamily::Session, "jid.0", Some(json!("v")))).await
        }),
    )
    .await;
    assert!(caller.is_err(), "the caller gave up while the commit waited to retry");
    // the next transaction on the key waits for the commit, then sees it
    let s = store.clone();
    let seen = store
        .transaction("jid", async move { s.get_one(&KeyFamily::Session, "jid.0").await })
        .await
        .expect("second transaction");
    assert_eq!(seen, Some(json!("v")));
    assert_eq!(
        memory.load_key(&KeyFamily::Session, "jid.0").await.expect("load"),
        Some(json!("v"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_rollback_is_reported_and_the_cache_follows_the_backend() {
    let config = KeyStoreConfig { max_commit_attempts: 2, ..Default::default() };
    let (memory, probe, store) = probed(config);
    memory.save_key(&KeyFamily::PreKey, "1", &json!("old")).await.expect("seed");
    store.get(&KeyFamily::PreKey, &["1", "2"]).await.expect("warm the cache");
    probe.fail_writes(2, u64::MAX); // "1" is written, "2" and every restore fail
    let data: DataSet =
        [(KeyFamily::PreKey, "1", Some(json!("new"))), (KeyFamily::PreKey, "2", Some(json!("x")))]
            .into_iter()
            .collect();
    let error = store.set(data).await.expect_err("rollback fails");
    assert!(matches!(error, Error::RollbackFailed { .. }), "{error}");
    assert!(chain(&error).contains("injected write failure"), "{}", chain(&error));
    probe.heal();
    let stored = memory.load_key(&KeyFamily::PreKey, "1").await.expect("load");
    assert_eq!(store.get_one(&KeyFamily::PreKey, "1").await.expect("get"), stored);
}

#[tokio::test]
async fn clear_inside_a_transaction_drops_earlier_writes_and_keeps_later_ones() {
    let (memory, _, store) = probed(KeyStoreConfig::default());
    memory.save_key(&KeyFamily::Session, "old.0", &json!(1)).await.expect("seed");
    let s = store.clone();
    store
        .transaction("k", async move {
            s.set(one(KeyFamily::PreKey, "before", Some(json!(1)))).await?;
            s.clear().await?;
            assert_eq!(s.get_one(&KeyFamily::Session, "old.0").await?, None, "cleared inside");
            s.set(one(KeyFamily::PreKey, "after", Some(json!(2)))).await
        })
        .await
        .expect("commit");
    let keys = memory.keys_of(None);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys.get(&(KeyFamily::PreKey, "after".to_owned())), Some(&json!(2)));
}

#[tokio::test]
async fn clear_removes_families_only_an_earlier_process_knew() {
    let memory = MemoryPersistence::new();
    memory
        .save_key(&KeyFamily::from("contacts-tc-token"), "j@lid", &json!({"t": 1}))
        .await
        .expect("seed");
    memory.save_key(&KeyFamily::PreKey, "1", &json!(1)).await.expect("seed");
    let store = KeyStore::new(Arc::new(memory.clone()));
    store.clear().await.expect("clear");
    assert!(memory.keys_of(None).is_empty(), "{:?}", memory.keys_of(None));
    assert!(memory.list_families().await.expect("families").is_empty());
}

/// Memory with quirks: it implements only the required operations plus
/// `load_keys` (no listing), one id's stored value can be corrupt until it
/// is rewritten, and `load_keys` can answer too few values.
#[derive(Default)]
struct Quirky {
    memory: MemoryPersistence,
    corrupt: std::sync::Mutex<Option<String>>,
    short_answers: bool,
}

impl Quirky {
    fn is_corrupt(&self, id: &str) -> bool {
        self.corrupt.lock().expect("lock").as_deref() == Some(id)
    }

    fn repaired(&self, id: &str) {
        if self.is_corrupt(id) {
            *self.corrupt.lock().expect("lock") = None;
        }
    }
}

#[async_trait]
impl Persistence for Quirky {
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        self.memory.load_credentials().await
    }
    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()> {
        self.memory.save_credentials(creds).await
    }
    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        if self.is_corrupt(id) {
            return Err(Error::corrupt(format!("{family} {id}"), "unexpected end of JSON input"));
        }
        self.memory.load_key(family, id).await
    }
    async fn load_keys(&self, family: &KeyFamily, ids: &[String]) -> Result<Vec<Option<Value>>> {
        if self.short_answers {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for id in ids {
            out.push(self.load_key(family, id).await?);
        }
        Ok(out)
    }
    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()> {
        self.repaired(id);
        self.memory.save_key(family, id, value).await
    }
    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()> {
        self.repaired(id);
        self.memory.delete_key(family, id).await
    }
}

#[tokio::test]
async fn a_corrupt_value_is_a_typed_error_on_read_and_is_repaired_by_a_write_or_delete() {
    for repair in [Some(json!({"fresh": true})), None] {
        let backend =
            Arc::new(Quirky { corrupt: Some("bad.0".to_owned()).into(), ..Quirky::default() });
        let probe = Probe::new(backend.clone());
        let store = KeyStore::new(probe.clone());
        let error = store.get(&KeyFamily::Session, &["ok.0", "bad.0"]).await.expect_err("corrupt");
        assert!(error.is_corrupt(), "{error}");
        store.set(one(KeyFamily::Session, "bad.0", repair.clone())).await.expect("repair");
        assert_eq!(store.get_one(&KeyFamily::Session, "bad.0").await.expect("readable"), repair);
        assert!(!backend.is_corrupt("bad.0"));
        assert_eq!(probe.counts().save_key + probe.counts().delete_key, 1);
    }
}

#[tokio::test]
async fn a_backend_answering_too_few_values_is_a_typed_error_not_silent_absence() {
    for cache in [true, false] {
        let store = KeyStore::with_config(
            Arc::new(Quirky { short_answers: true, ..Quirky::default() }),
            KeyStoreConfig { cache, ..Default::default() },
        );
        let error = store.get(&KeyFamily::PreKey, &["1", "2"]).await.expect_err("short answer");
        assert!(matches!(error, Error::Backend(_)), "{error}");
        assert!(
            chain(&error).contains("returned 0 values for 2 ids of pre-key"),
            "{}",
            chain(&error)
        );
    }
}

#[tokio::test]
async fn without_listing_clear_removes_the_ids_this_store_has_seen() {
    let memory = MemoryPersistence::new();
    memory.save_key(&KeyFamily::PreKey, "unseen", &json!(1)).await.expect("seed");
    memory.save_key(&KeyFamily::PreKey, "seen", &json!(1)).await.expect("seed");
    let store = KeyStore::new(Arc::new(Quirky { memory: memory.clone(), ..Quirky::default() }));
    store.get(&KeyFamily::PreKey, &["seen"]).await.expect("get");
    store.set(one(KeyFamily::from("custom"), "c", Some(json!(3)))).await.expect("set");
    store.clear().await.expect("clear");
    let left: Vec<String> = memory.keys_of(None).into_keys().map(|(_, id)| id).collect();
    assert_eq!(left, ["unseen"], "BaileysEx's limitation, only without list_ids");
}

//! Research §10 tests 4–11: the key store's cache, transactions, commits
//! and `clear`, over the backend under test.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::{Probe, Subject, quick_store, realistic_ids};
use crate::{DataSet, Error, KeyFamily, KeyStore, KeyStoreConfig};

fn one(family: KeyFamily, id: &str, value: Option<Value>) -> DataSet {
    [(family, id, value)].into_iter().collect()
}

/// Test 4: the first `get` of an id loads it once; later gets, and gets of
/// ids known missing, make no backend call.
pub async fn cache_loads_each_id_once(subject: &dyn Subject) {
    let backend = subject.open("t04").await;
    backend.save_key(&KeyFamily::PreKey, "1", &json!({"k": 1})).await.expect("seed");
    let probe = Probe::new(backend);
    let store = quick_store(probe.clone());
    let got = store.get(&KeyFamily::PreKey, &["1", "2"]).await.expect("first get");
    assert_eq!(got.len(), 1);
    assert_eq!(probe.counts().load_key, 2, "test 4: one load per id on first get");
    for _ in 0..3 {
        let again = store.get(&KeyFamily::PreKey, &["1", "2", "1"]).await.expect("cached get");
        assert_eq!(again, got);
        assert_eq!(store.get_one(&KeyFamily::PreKey, "2").await.expect("missing"), None);
    }
    let s = store.clone();
    store
        .transaction("t04", async move { s.get(&KeyFamily::PreKey, &["1", "2"]).await.map(drop) })
        .await
        .expect("transaction get");
    assert_eq!(probe.counts().load_key, 2, "test 4: cached ids and cached absences cost no call");
}

/// Test 5: transactions on one key run strictly one after the other, and
/// the second sees the first's commit.
pub async fn same_key_transactions_are_serialised(subject: &dyn Subject) {
    let store = quick_store(subject.open("t05").await);
    let events = Arc::new(Mutex::new(Vec::new()));
    let (entered_tx, entered_rx) = oneshot::channel::<()>();
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let bump = |store: KeyStore, events: Arc<Mutex<Vec<String>>>, name: &'static str| async move {
        let s = store.clone();
        store
            .transaction("shared-key", async move {
                let seen = s.get_one(&KeyFamily::SenderKeyMemory, "g").await?;
                let n = seen.as_ref().and_then(Value::as_u64).unwrap_or(0);
                events.lock().expect("events").push(format!("{name} start saw {n}"));
                s.set(one(KeyFamily::SenderKeyMemory, "g", Some(json!(n + 1)))).await?;
                events.lock().expect("events").push(format!("{name} end"));
                Ok::<_, Error>(())
            })
            .await
    };
    let first = {
        let (store, events) = (store.clone(), events.clone());
        tokio::spawn(async move {
            let s = store.clone();
            store
                .transaction("shared-key", async move {
                    entered_tx.send(()).expect("test alive");
                    go_rx.await.expect("go");
                    s.set(one(KeyFamily::SenderKeyMemory, "g", Some(json!(1)))).await?;
                    events.lock().expect("events").push("first end".to_owned());
                    Ok::<_, Error>(())
                })
                .await
        })
    };
    entered_rx.await.expect("first entered");
    let second = tokio::spawn(bump(store.clone(), events.clone(), "second"));
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    go_tx.send(()).expect("first waits");
    first.await.expect("join").expect("first commits");
    second.await.expect("join").expect("second commits");
    let events = events.lock().expect("events").clone();
    assert_eq!(events, ["first end", "second start saw 1", "second end"], "test 5: strict order");
    assert_eq!(store.get_one(&KeyFamily::SenderKeyMemory, "g").await.expect("get"), Some(json!(2)));
}

/// Test 6: a transaction whose body fails, or that is dropped before it
/// ends, commits nothing and releases its lock.
pub async fn failing_body_commits_nothing(subject: &dyn Subject) {
    let backend = subject.open("t06").await;
    let store = quick_store(backend.clone());
    let s = store.clone();
    let result: Result<(), Error> = store
        .transaction("k", async move {
            s.set(one(KeyFamily::Session, "a.0", Some(json!({"x": 1})))).await?;
            Err(Error::Unsupported { operation: "body", reason: "the body failed on purpose" })
        })
        .await;
    assert!(result.is_err());
    assert_eq!(
        backend.load_key(&KeyFamily::Session, "a.0").await.expect("load"),
        None,
        "test 6: nothing written"
    );
    assert_eq!(
        store.get_one(&KeyFamily::Session, "a.0").await.expect("get"),
        None,
        "test 6: nothing cached"
    );

    let s = store.clone();
    let (entered_tx, entered_rx) = oneshot::channel::<()>();
    let abandoned = tokio::spawn(async move {
        let s2 = s.clone();
        s.transaction("k", async move {
            s2.set(one(KeyFamily::Session, "b.0", Some(json!(1)))).await?;
            entered_tx.send(()).expect("test alive");
            std::future::pending::<()>().await;
            Ok::<_, Error>(())
        })
        .await
    });
    entered_rx.await.expect("entered");
    abandoned.abort();
    assert!(abandoned.await.is_err(), "the transaction was cancelled");
    let s = store.clone();
    store
        .transaction("k", async move { s.get_one(&KeyFamily::Session, "b.0").await })
        .await
        .map(|seen| assert_eq!(seen, None, "test 6: a dropped transaction commits nothing"))
        .expect("the lock was released");
    assert_eq!(backend.load_key(&KeyFamily::Session, "b.0").await.expect("load"), None);
}

/// Test 7: a commit failing on its k-th write restores every touched id,
/// deleting ids that did not exist before.
pub async fn failed_commit_restores_every_touched_id(subject: &dyn Subject) {
    let before = [
        (KeyFamily::PreKey, "1", Some(json!({"old": 1}))),
        (KeyFamily::PreKey, "2", None),
        (KeyFamily::SenderKeyMemory, "g@g.us", None),
        (KeyFamily::Session, "s.0", Some(json!({"old": "s"}))),
    ];
    let data: DataSet = [
        (KeyFamily::PreKey, "1", Some(json!({"new": 1}))),
        (KeyFamily::PreKey, "2", Some(json!({"new": 2}))),
        (KeyFamily::SenderKeyMemory, "g@g.us", Some(json!({"u@s.whatsapp.net": true}))),
        (KeyFamily::Session, "s.0", None),
    ]
    .into_iter()
    .collect();
    for k in 1..=4 {
        let backend = subject.open(&format!("t07-{k}")).await;
        for (family, id, value) in &before {
            if let Some(value) = value {
                backend.save_key(family, id, value).await.expect("seed");
            }
        }
        let probe = Probe::new(backend.clone());
        let store = KeyStore::with_config(
            probe.clone(),
            KeyStoreConfig { max_commit_attempts: 1, ..KeyStoreConfig::default() },
        );
        probe.fail_writes(k, 1);
        let error = store.set(data.clone()).await.expect_err("the k-th write fails");
        assert!(
            matches!(error, Error::CommitFailed { attempts: 1, .. }),
            "test 7 (k={k}): {error}"
        );
        for (family, id, value) in &before {
            let stored = backend.load_key(family, id).await.expect("load");
            assert_eq!(&stored, value, "test 7 (k={k}): {family} {id} restored");
            let seen = store.get_one(family, id).await.expect("get");
            assert_eq!(&seen, value, "test 7 (k={k}): {family} {id} cache coherent");
        }
    }
}

/// Test 8: a commit that keeps failing stops after the configured number of
/// attempts with a typed error.
pub async fn retries_stop_after_the_configured_attempts(subject: &dyn Subject) {
    let backend = subject.open("t08").await;
    let probe = Probe::new(backend.clone());
    let store = quick_store(probe.clone());
    probe.fail_writes(1, u64::MAX);
    let error = store
        .set(one(KeyFamily::TcToken, "j@lid", Some(json!({"t": 1}))))
        .await
        .expect_err("fails");
    match &error {
        Error::CommitFailed { attempts, source } => {
            assert_eq!(*attempts, 3, "test 8: configured attempts");
            assert!(matches!(**source, Error::Backend(_)), "test 8: the cause is kept: {source}");
        }
        other => panic!("test 8: expected CommitFailed, got {other}"),
    }
    assert_eq!(probe.counts().save_key, 3, "test 8: one write per attempt");
    assert_eq!(backend.load_key(&KeyFamily::TcToken, "j@lid").await.expect("load"), None);
    probe.heal();
    store.set(one(KeyFamily::TcToken, "j@lid", Some(json!({"t": 1})))).await.expect("healed");
}

/// Test 9: deleting a pre-key that does not exist makes no backend delete
/// call, inside or outside a transaction.
pub async fn missing_pre_key_deletion_makes_no_delete_call(subject: &dyn Subject) {
    let backend = subject.open("t09").await;
    backend.save_key(&KeyFamily::PreKey, "7", &json!({"k": 7})).await.expect("seed");
    let probe = Probe::new(backend.clone());
    let store = quick_store(probe.clone());
    store.set(one(KeyFamily::PreKey, "404", None)).await.expect("delete missing");
    let s = store.clone();
    store
        .transaction("pk", async move { s.set(one(KeyFamily::PreKey, "405", None)).await })
        .await
        .expect("delete missing in transaction");
    assert_eq!(probe.counts().delete_key, 0, "test 9: no delete for missing pre-keys");
    store.set(one(KeyFamily::PreKey, "7", None)).await.expect("delete existing");
    assert_eq!(probe.counts().delete_key, 1, "an existing pre-key is deleted");
    assert_eq!(backend.load_key(&KeyFamily::PreKey, "7").await.expect("load"), None);
}

/// Test 10: a nested transaction (any key, the same one included) runs
/// inside the outer one: it sees the outer writes and its writes commit
/// with the outer commit.
pub async fn nested_transaction_reuses_outer_buffer(subject: &dyn Subject) {
    let backend = subject.open("t10").await;
    let store = quick_store(backend.clone());
    let (s, b) = (store.clone(), backend.clone());
    store
        .transaction("outer", async move {
            s.set(one(KeyFamily::DeviceList, "u", Some(json!(["0"])))).await?;
            let inner = s.clone();
            for key in ["outer", "other"] {
                let n = inner.clone();
                let seen = inner
                    .transaction(key, async move {
                        assert!(n.in_transaction());
                        let seen = n.get_one(&KeyFamily::DeviceList, "u").await?;
                        n.set(one(KeyFamily::LidMapping, key, Some(json!("lid")))).await?;
                        Ok::<_, Error>(seen)
                    })
                    .await?;
                assert_eq!(
                    seen,
                    Some(json!(["0"])),
                    "test 10: the nested transaction sees outer writes"
                );
            }
            assert_eq!(
                b.load_key(&KeyFamily::LidMapping, "outer").await?,
                None,
                "test 10: not committed early"
            );
            Ok::<_, Error>(())
        })
        .await
        .expect("outer commits");
    for id in ["outer", "other"] {
        assert_eq!(
            backend.load_key(&KeyFamily::LidMapping, id).await.expect("load"),
            Some(json!("lid"))
        );
    }
    assert!(!store.in_transaction());
}

/// Test 11: `clear` removes ids persisted by a previous process.
pub async fn clear_removes_ids_of_a_previous_process(subject: &dyn Subject) {
    {
        let earlier = quick_store(subject.open("t11").await);
        let mut data = DataSet::new();
        for family in KeyFamily::KNOWN {
            for id in realistic_ids(&family) {
                data.put(family.clone(), *id, json!({"v": 1}));
            }
        }
        earlier.set(data).await.expect("earlier process writes");
    }
    let later = quick_store(subject.open("t11").await);
    later.clear().await.expect("clear");
    let check = subject.open("t11").await;
    for family in KeyFamily::KNOWN {
        let ids = check.list_ids(&family).await.expect("list");
        assert!(ids.is_empty(), "test 11: {family} still has {ids:?}");
        let gone = later.get(&family, realistic_ids(&family)).await.expect("get");
        assert!(gone.is_empty(), "test 11: {family} still reads {gone:?}");
    }
}

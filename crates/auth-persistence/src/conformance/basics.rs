//! Round trips and research §10 tests 16, 22 and 23 against the port.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{Probe, Subject, quick_store};
use crate::{AuthCreds, DataSet, KeyFamily, KeyWrite};

/// Ids of the forms Baileys produces for each family (research §3.1), the
/// ones a Baileys-compatible file layout must be able to list back.
pub fn realistic_ids(family: &KeyFamily) -> &'static [&'static str] {
    match family {
        KeyFamily::PreKey => &["1", "812"],
        KeyFamily::Session | KeyFamily::IdentityKey => &["15550000002.0", "200000000000002_1.0"],
        KeyFamily::SenderKey => {
            &["120363000000000001@g.us::15550000001::7", "g@g.us::200000000000002_1::0"]
        }
        KeyFamily::SenderKeyMemory => &["120363000000000001@g.us"],
        KeyFamily::AppStateSyncKey => &["////AAAB", "AAAAAQ+/"],
        KeyFamily::AppStateSyncVersion => &["critical_block", "regular_high"],
        KeyFamily::LidMapping => &["15550000003", "200000000000002_reverse"],
        KeyFamily::DeviceList => &["15550000001"],
        KeyFamily::TcToken => &["200000000000002@lid", "__index"],
        KeyFamily::Other(_) => &["plain-id"],
    }
}

/// Keys of every family (and an unknown one) save, load, list, batch and
/// delete; absence is `Ok(None)`.
pub async fn keys_round_trip_and_list(subject: &dyn Subject) {
    let backend = subject.open("basics-keys").await;
    let mut families: Vec<KeyFamily> = KeyFamily::KNOWN.to_vec();
    families.push(KeyFamily::from("custom-type"));
    for family in &families {
        assert_eq!(
            backend.load_key(family, "absent").await.expect("load"),
            None,
            "absence is Ok(None)"
        );
        let ids = realistic_ids(family);
        for (n, id) in ids.iter().enumerate() {
            let value = json!({"family": family.as_str(), "n": n, "bytes": {"type": "Buffer", "data": "AQ=="}});
            backend.save_key(family, id, &value).await.expect("save");
            assert_eq!(backend.load_key(family, id).await.expect("load"), Some(value));
        }
    }
    // listed after every family is stored, so `sender-key` must skip
    // `sender-key-memory` and every family only lists its own ids
    for family in &families {
        let listed: BTreeSet<String> =
            backend.list_ids(family).await.expect("list").into_iter().collect();
        let expected: BTreeSet<String> =
            realistic_ids(family).iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(
            listed, expected,
            "{family}: list_ids returns the original ids, and only this family's"
        );
    }
    let batch = [
        KeyWrite::save(KeyFamily::PreKey, "10", json!(10)),
        KeyWrite::delete(KeyFamily::PreKey, "1"),
        KeyWrite::save(KeyFamily::PreKey, "10", json!(11)),
    ];
    backend.write_batch(&batch).await.expect("batch");
    let loaded =
        backend.load_keys(&KeyFamily::PreKey, &["10".into(), "1".into()]).await.expect("load many");
    assert_eq!(loaded, vec![Some(json!(11)), None], "batches apply in order");
    backend.delete_key(&KeyFamily::PreKey, "10").await.expect("delete");
    backend.delete_key(&KeyFamily::PreKey, "10").await.expect("deleting a missing key is Ok");
    backend.flush().await.expect("flush");
}

/// Credentials round-trip losslessly (unknown fields kept) and survive a
/// reopen; a fresh slot has none.
pub async fn creds_round_trip_losslessly(subject: &dyn Subject) {
    let backend = subject.open("basics-creds").await;
    assert!(backend.load_credentials().await.expect("load").is_none(), "fresh slot: no creds");
    let mut creds = AuthCreds::fresh().expect("fresh");
    creds.extra.insert("futureField".into(), json!({"nested": [1, "two", null]}));
    creds.additional_data = Some(json!({"app": true}));
    creds.account = Some(json!({"details": "CIetSxCAj7KvBhgH"}));
    backend.save_credentials(&creds).await.expect("save");
    let reopened = subject.open("basics-creds").await;
    let loaded = reopened.load_credentials().await.expect("load").expect("present");
    assert_eq!(loaded.to_value().expect("json"), creds.to_value().expect("json"), "lossless creds");
}

/// Test 16: a null or falsy value deletes; deleting a missing id is Ok.
pub async fn falsy_values_delete_and_missing_deletes_are_ok(subject: &dyn Subject) {
    let backend = subject.open("t16").await;
    let probe = Probe::new(backend.clone());
    let store = quick_store(probe.clone());
    for (n, falsy) in [Value::Null, json!(false), json!(0), json!("")].into_iter().enumerate() {
        let id = format!("u{n}");
        backend.save_key(&KeyFamily::LidMapping, &id, &json!("lid")).await.expect("seed");
        let mut data = DataSet::new();
        data.insert(KeyFamily::LidMapping, id.clone(), Some(falsy.clone()));
        store.set(data).await.expect("set falsy");
        assert_eq!(
            backend.load_key(&KeyFamily::LidMapping, &id).await.expect("load"),
            None,
            "test 16: {falsy} deletes"
        );
    }
    let mut data = DataSet::new();
    data.delete(KeyFamily::Session, "never-existed");
    store.set(data).await.expect("test 16: deleting a missing id is Ok");
}

/// Test 22: concurrent credential saves leave one of the inputs.
pub async fn concurrent_creds_saves_leave_one_input(subject: &dyn Subject) {
    let backend = subject.open("t22").await;
    let inputs: Vec<AuthCreds> = (0..8).map(|_| AuthCreds::fresh().expect("fresh")).collect();
    let tasks: Vec<_> = inputs
        .iter()
        .cloned()
        .map(|creds| {
            let backend = backend.clone();
            tokio::spawn(async move { backend.save_credentials(&creds).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("save");
    }
    let loaded =
        subject.open("t22").await.load_credentials().await.expect("load").expect("present");
    assert!(inputs.contains(&loaded), "test 22: the stored creds are one of the inputs");
}

/// Test 23: concurrent saves and deletes of one key never leave a torn
/// value: every read is absent or one of the written values.
pub async fn concurrent_save_and_delete_never_tear(subject: &dyn Subject) {
    let backend = subject.open("t23").await;
    let values: Arc<Vec<Value>> =
        Arc::new((0..4).map(|n| json!({"n": n, "pad": "x".repeat(512 * n)})).collect());
    let family = KeyFamily::Session;
    let mut tasks = Vec::new();
    for writer in 0..4usize {
        let (backend, values, family) = (backend.clone(), values.clone(), family.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..25 {
                if (round + writer) % 3 == 0 {
                    backend.delete_key(&family, "hot.0").await.expect("delete");
                } else {
                    backend.save_key(&family, "hot.0", &values[writer]).await.expect("save");
                }
                let seen =
                    backend.load_key(&family, "hot.0").await.expect("test 23: reads never fail");
                assert!(seen.is_none_or(|v| values.contains(&v)), "test 23: torn value");
                tokio::task::yield_now().await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("test 23: no task panicked");
    }
    let last = backend.load_key(&family, "hot.0").await.expect("load");
    assert!(last.is_none_or(|v| values.contains(&v)), "test 23: final value intact");
}

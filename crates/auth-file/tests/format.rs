//! Research §10 tests 12–16: the on-disk format of the Baileys-compatible
//! folder, byte for byte where Baileys fixes it.

use std::path::Path;
use std::sync::Arc;

use auth_file::{CREDS_FILE, CompatFolder};
use auth_persistence::{
    AuthState, Buffer, DataSet, KeyFamily, KeyPair, KeyStore, Persistence, values,
};
use serde_json::{Value, json};

/// A paired `creds.json` exactly as Baileys rc13 wrote it (research §4),
/// plus an unknown top-level field at the end.
const PAIRED: &str = include_str!("fixtures/creds-paired.json");

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("file")
}

#[tokio::test]
async fn test_12_fresh_creds_have_exactly_the_keys_of_init_auth_creds_in_its_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = AuthState::open(Arc::new(CompatFolder::open(dir.path()).expect("open")))
        .await
        .expect("state");
    state.save_creds().await.expect("save");
    let text = read(dir.path(), CREDS_FILE);
    assert!(!text.ends_with('\n') && !text.contains(": "), "minified, no trailing newline");
    let value: Value = serde_json::from_str(&text).expect("json");
    let keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "noiseKey",
            "pairingEphemeralKeyPair",
            "signedIdentityKey",
            "signedPreKey",
            "registrationId",
            "advSecretKey",
            "processedHistoryMessages",
            "nextPreKeyId",
            "firstUnuploadedPreKeyId",
            "accountSyncCounter",
            "accountSettings",
            "registered",
        ],
        "initAuthCreds() without its undefined fields, in its order"
    );
    let buffer = |v: &Value, len: usize| {
        assert_eq!(v["type"], "Buffer", "{v}");
        let data = v["data"].as_str().expect("base64 string");
        assert_eq!(data.len(), len.div_ceil(3) * 4, "standard padded base64: {data}");
        assert!(!data.contains(['-', '_']), "standard alphabet: {data}");
        assert_eq!(Buffer::from_json(v).expect("bytes").len(), len);
    };
    for pair in ["noiseKey", "pairingEphemeralKeyPair", "signedIdentityKey"] {
        buffer(&value[pair]["private"], 32);
        buffer(&value[pair]["public"], 32);
    }
    buffer(&value["signedPreKey"]["keyPair"]["public"], 32);
    buffer(&value["signedPreKey"]["signature"], 64);
    assert_eq!(value["signedPreKey"]["keyId"], 1);
    assert!(value["advSecretKey"].is_string(), "advSecretKey is a plain string");
    assert_eq!(value["accountSettings"], json!({"unarchiveChats": false}));
    assert_eq!(
        (value["nextPreKeyId"].clone(), value["registered"].clone()),
        (json!(1), json!(false))
    );
}

#[tokio::test]
async fn test_13_file_names_and_listing_follow_baileys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = CompatFolder::open(dir.path()).expect("open");
    let cases = [
        (KeyFamily::SenderKey, "g@g.us::u::0", "sender-key-g@g.us--u--0.json"),
        (KeyFamily::AppStateSyncKey, "////AAAB", "app-state-sync-key-________AAAB.json"),
        (KeyFamily::TcToken, "__index", "tctoken-__index.json"),
        (KeyFamily::SenderKeyMemory, "g@g.us", "sender-key-memory-g@g.us.json"),
        (KeyFamily::DeviceList, "alice/device:0", "device-list-alice__device-0.json"),
    ];
    for (family, id, file) in &cases {
        folder.save_key(family, id, &json!({"v": 1})).await.expect("save");
        assert!(dir.path().join(file).is_file(), "{family} {id} -> {file}");
    }
    assert_eq!(folder.list_ids(&KeyFamily::SenderKey).await.expect("list"), ["g@g.us::u::0"]);
    assert_eq!(folder.list_ids(&KeyFamily::SenderKeyMemory).await.expect("list"), ["g@g.us"]);
    assert_eq!(folder.list_ids(&KeyFamily::AppStateSyncKey).await.expect("list"), ["////AAAB"]);
    assert_eq!(folder.list_ids(&KeyFamily::TcToken).await.expect("list"), ["__index"]);
    // device-list ids are verbatim per Baileys: the `:` → `-` loss shows
    assert_eq!(folder.list_ids(&KeyFamily::DeviceList).await.expect("list"), ["alice__device-0"]);
    folder
        .delete_key(&KeyFamily::DeviceList, "alice/device:0")
        .await
        .expect("delete by original id");
    assert!(!dir.path().join("device-list-alice__device-0.json").exists());
    let mut families = folder.list_families().await.expect("families");
    families.sort();
    assert_eq!(
        families,
        [
            KeyFamily::AppStateSyncKey,
            KeyFamily::SenderKey,
            KeyFamily::SenderKeyMemory,
            KeyFamily::TcToken
        ]
    );
}

#[tokio::test]
async fn test_14_list_and_numeric_key_bytes_are_readable_and_re_emitted_as_base64() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("pre-key-1.json"),
        r#"{"private":{"type":"Buffer","data":[1,2,3]},"public":{"0":4,"1":5,"2":6}}"#,
    )
    .expect("seed");
    let folder = CompatFolder::open(dir.path()).expect("open");
    let stored = folder.load_key(&KeyFamily::PreKey, "1").await.expect("load").expect("present");
    let pair: KeyPair = values::decode(&KeyFamily::PreKey, "1", &stored).expect("readable");
    assert_eq!(
        (pair.private.as_slice(), pair.public.as_slice()),
        ([1, 2, 3].as_slice(), [4, 5, 6].as_slice())
    );
    folder
        .save_key(&KeyFamily::PreKey, "1", &values::encode(&pair).expect("encode"))
        .await
        .expect("save");
    assert_eq!(
        read(dir.path(), "pre-key-1.json"),
        r#"{"private":{"type":"Buffer","data":"AQID"},"public":{"type":"Buffer","data":"BAUG"}}"#
    );
    // the same for a creds byte field
    let mut creds: Value = serde_json::from_str(PAIRED).expect("json");
    creds["routingInfo"] = json!({"type": "Buffer", "data": [8, 2, 8, 13, 8, 5]});
    std::fs::write(dir.path().join(CREDS_FILE), creds.to_string()).expect("seed creds");
    let loaded = folder.load_credentials().await.expect("load").expect("present");
    folder.save_credentials(&loaded).await.expect("save");
    assert!(
        read(dir.path(), CREDS_FILE)
            .contains(r#""routingInfo":{"type":"Buffer","data":"CAIIDQgF"}"#)
    );
}

#[tokio::test]
async fn test_15_foreign_creds_fields_round_trip_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(CREDS_FILE), PAIRED).expect("seed");
    let folder = CompatFolder::open(dir.path()).expect("open");
    let creds = folder.load_credentials().await.expect("load").expect("present");
    assert!(creds.extra.contains_key("futureField"), "unknown top-level field kept");
    std::fs::remove_file(dir.path().join(CREDS_FILE)).expect("remove");
    folder.save_credentials(&creds).await.expect("save");
    // `account` base64 strings, `additionalData`, `processedHistoryMessages`,
    // the unknown field: same representation and same key order as read
    assert_eq!(read(dir.path(), CREDS_FILE), PAIRED.trim_end());
}

#[tokio::test]
async fn test_16_falsy_values_delete_files_and_missing_deletes_are_ok() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = Arc::new(CompatFolder::open(dir.path()).expect("open"));
    let store = KeyStore::new(folder.clone());
    for (n, falsy) in [Value::Null, json!(false), json!(0), json!("")].into_iter().enumerate() {
        let id = format!("u{n}");
        folder.save_key(&KeyFamily::LidMapping, &id, &json!("lid")).await.expect("seed");
        let mut data = DataSet::new();
        data.insert(KeyFamily::LidMapping, id.clone(), Some(falsy.clone()));
        store.set(data).await.expect("set");
        assert!(
            !dir.path().join(format!("lid-mapping-{id}.json")).exists(),
            "{falsy} deletes the file"
        );
    }
    folder.delete_key(&KeyFamily::Session, "never.0").await.expect("deleting a missing id is Ok");
}

#[tokio::test]
async fn values_are_written_as_given_with_key_order_and_explicit_nulls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = CompatFolder::open(dir.path()).expect("open");
    let text = r#"{"keyData":"W7gJRdE=","fingerprint":null,"timestamp":"1710000000123","z":{"b":1,"a":[null,{"y":2,"x":1}]}}"#;
    std::fs::write(dir.path().join("app-state-sync-key-AAAB.json"), text).expect("seed");
    let value =
        folder.load_key(&KeyFamily::AppStateSyncKey, "AAAB").await.expect("load").expect("present");
    folder.save_key(&KeyFamily::AppStateSyncKey, "AAAC", &value).await.expect("save");
    assert_eq!(
        read(dir.path(), "app-state-sync-key-AAAC.json"),
        text,
        "opaque values byte for byte"
    );
    let typed: values::AppStateSyncKeyData =
        values::decode(&KeyFamily::AppStateSyncKey, "AAAB", &value).expect("typed");
    folder
        .save_key(&KeyFamily::AppStateSyncKey, "AAAD", &values::encode(&typed).expect("encode"))
        .await
        .expect("save");
    assert_eq!(
        read(dir.path(), "app-state-sync-key-AAAD.json"),
        text,
        "typed round trip keeps nulls and order"
    );

    let mut creds: Value = serde_json::from_str(PAIRED).expect("json");
    for key in ["pairingCode", "platform", "lastPropHash", "myAppStateKeyId", "routingInfo"] {
        creds[key] = Value::Null;
    }
    creds["signedPreKey"]["timestampS"] = Value::Null;
    std::fs::write(dir.path().join(CREDS_FILE), creds.to_string()).expect("seed creds");
    let loaded = folder.load_credentials().await.expect("load").expect("present");
    folder.save_credentials(&loaded).await.expect("save");
    assert_eq!(read(dir.path(), CREDS_FILE), creds.to_string(), "explicit nulls kept as null");
}

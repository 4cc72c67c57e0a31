//! The [`DeviceStore`](crate::DeviceStore) rules, run by
//! [`device_store_suite`] against an empty store.

use crate::{Device, DeviceStore, DeviceStoreError, Platform, Timestamp};

fn device(token: &str, lang: &str) -> Device {
    Device {
        token: token.into(),
        platform: Platform::Android,
        last_seen: Timestamp::from_unix(1_700_000_000, 0).unwrap_or(Timestamp::UNIX_EPOCH),
        lang: lang.into(),
    }
}

async fn tokens(store: &dyn DeviceStore, user: &str) -> Vec<String> {
    match store.get_all(&[user]).await {
        Ok(map) => map.get(user).map(|d| d.iter().map(|d| d.token.clone()).collect()),
        Err(e) => panic!("get_all({user}): {e}"),
    }
    .unwrap_or_default()
}

fn ok<T>(what: &str, result: Result<T, DeviceStoreError>) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Runs every device-store rule against `store`, which must start empty.
pub async fn device_store_suite(store: &dyn DeviceStore) {
    assert!(ok("get_all of nobody", store.get_all(&[]).await).is_empty());
    assert!(ok("get_all of unknown users", store.get_all(&["usrA"]).await).is_empty());

    ok("add tok1", store.update("usrA", None, device("tok1", "en")).await);
    ok("add tok2", store.update("usrA", None, device("tok2", "en")).await);
    assert_eq!(tokens(store, "usrA").await, ["tok1", "tok2"], "registration order");

    ok("update tok1", store.update("usrA", Some("tok1"), device("tok1", "de")).await);
    let all = ok("get_all", store.get_all(&["usrA", "usrZ"]).await);
    assert_eq!(all.len(), 1, "users without devices are absent");
    assert_eq!(all["usrA"], [device("tok1", "de"), device("tok2", "en")], "updated in place");

    ok("refresh tok2", store.update("usrA", Some("tok2"), device("tok3", "en")).await);
    assert_eq!(tokens(store, "usrA").await, ["tok1", "tok3"], "a refresh replaces the old token");

    ok("usrB takes tok1", store.update("usrB", Some("tok3"), device("tok1", "fr")).await);
    assert_eq!(tokens(store, "usrA").await, ["tok3"], "a token belongs to one user");
    assert_eq!(tokens(store, "usrB").await, ["tok1"], "another user's old token is not touched");

    assert!(!ok("delete other's", store.delete("usrA", "tok1").await));
    assert!(!ok("delete missing", store.delete("usrC", "tok1").await));
    assert!(ok("delete", store.delete("usrB", "tok1").await));
    assert!(!ok("delete twice", store.delete("usrB", "tok1").await));
    assert!(tokens(store, "usrB").await.is_empty());

    let bad = [
        ("update without user", store.update("", None, device("t", "")).await, "user id"),
        ("update without token", store.update("usrA", None, device("", "")).await, "token"),
        ("delete without user", store.delete("", "t").await.map(drop), "user id"),
        ("delete without token", store.delete("usrA", "").await.map(drop), "token"),
    ];
    for (what, result, word) in bad {
        match result {
            Err(e) => assert!(e.to_string().contains(word), "{what}: {e}"),
            Ok(()) => panic!("{what} was accepted"),
        }
    }
    assert_eq!(tokens(store, "usrA").await, ["tok3"], "bad input changes nothing");
}

//! The conformance suite for [`StateStorage`] and [`ChannelAccessHasher`]
//! (feature `conformance`): every backend runs it. Each check panics with
//! a message naming the broken rule.
//!
//! Checks use their own account ids (offset by `base`, up to `base + 400`),
//! so one store can run the whole suite. The model check compares a backend with an
//! in-memory model over random operation sequences. Durable backends also
//! run the reopen checks ([`everything_survives_a_reopen`],
//! [`many_channels_iterate_in_order_after_reopen`]).

mod model;
mod reopen;

use std::sync::Arc;

pub use model::{Op, check_ops, random_ops};
pub use reopen::{everything_survives_a_reopen, many_channels_iterate_in_order_after_reopen};

use crate::error::StorageError;
use crate::ports::{ChannelAccessHasher, StateStorage, StateWrite};
use crate::tl::State;

fn st(pts: i32, qts: i32, date: i32, seq: i32) -> State {
    State { pts, qts, date, seq }
}

/// Runs every `StateStorage` check with account ids from `base`.
pub async fn run_state_storage(storage: Arc<dyn StateStorage>, base: i64) {
    partial_setters_need_a_state(storage.as_ref(), base).await;
    partial_setters_change_only_their_fields(storage.as_ref(), base + 1).await;
    set_state_keeps_channels(storage.as_ref(), base + 2).await;
    channel_iteration(storage.as_ref(), base + 3).await;
    accounts_are_isolated(storage.as_ref(), base + 4, base + 5).await;
    large_values(storage.as_ref(), base + 6).await;
    delete_channel(storage.as_ref(), base + 7, base + 8).await;
    write_checkpoint(storage.as_ref(), base + 9).await;
    concurrent_writers(storage.clone(), base + 10).await;
    random_ops(storage.as_ref(), base + 100, 7, 300).await;
}

/// Runs every `ChannelAccessHasher` check with account ids from `base`.
pub async fn run_access_hasher(hasher: Arc<dyn ChannelAccessHasher>, base: i64) {
    let h = hasher.as_ref();
    assert_eq!(
        h.get_channel_access_hash(base, 7).await.expect("get"),
        None,
        "missing hash must be None"
    );
    h.set_channel_access_hash(base, 7, 70).await.expect("set");
    h.set_channel_access_hash(base, i64::MIN, i64::MAX).await.expect("set extreme");
    h.set_channel_access_hash(base + 1, 7, 71).await.expect("set other account");
    assert_eq!(h.get_channel_access_hash(base, 7).await.expect("get"), Some(70));
    assert_eq!(h.get_channel_access_hash(base, i64::MIN).await.expect("get"), Some(i64::MAX));
    assert_eq!(
        h.get_channel_access_hash(base + 1, 7).await.expect("get"),
        Some(71),
        "accounts share hashes"
    );
    h.set_channel_access_hash(base, 7, -5).await.expect("overwrite");
    assert_eq!(h.get_channel_access_hash(base, 7).await.expect("get"), Some(-5), "overwrite lost");
    let mut set = tokio::task::JoinSet::new();
    for t in 0..8i64 {
        let hasher = hasher.clone();
        set.spawn(async move {
            for c in 0..50 {
                hasher
                    .set_channel_access_hash(base + 2, t * 1000 + c, t + c)
                    .await
                    .expect("concurrent set");
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("writer task");
    }
    for t in 0..8i64 {
        for c in 0..50 {
            assert_eq!(
                h.get_channel_access_hash(base + 2, t * 1000 + c).await.expect("get"),
                Some(t + c),
                "concurrent write lost"
            );
        }
    }
}

/// The partial setters fail with `StateNotFound` when no state exists,
/// and create nothing.
pub async fn partial_setters_need_a_state(s: &dyn StateStorage, user: i64) {
    let results = [
        ("set_pts", s.set_pts(user, 1).await),
        ("set_qts", s.set_qts(user, 1).await),
        ("set_date", s.set_date(user, 1).await),
        ("set_seq", s.set_seq(user, 1).await),
        ("set_date_seq", s.set_date_seq(user, 1, 1).await),
    ];
    for (name, r) in results {
        assert!(
            matches!(r, Err(StorageError::StateNotFound { user_id }) if user_id == user),
            "{name} without a state must fail with StateNotFound, got {r:?}"
        );
    }
    assert_eq!(
        s.get_state(user).await.expect("get_state"),
        None,
        "a failed setter created a state"
    );
    // a channel pts alone does not create a common state
    s.set_channel_pts(user, 5, 9).await.expect("set_channel_pts without state");
    assert_eq!(s.get_state(user).await.expect("get_state"), None);
    assert!(s.set_pts(user, 1).await.is_err(), "a channel pts must not count as a state");
}

/// Each partial setter changes exactly its fields.
pub async fn partial_setters_change_only_their_fields(s: &dyn StateStorage, user: i64) {
    s.set_state(user, st(10, 20, 30, 40)).await.expect("set_state");
    s.set_pts(user, 11).await.expect("set_pts");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(11, 20, 30, 40)), "set_pts");
    s.set_qts(user, 21).await.expect("set_qts");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(11, 21, 30, 40)), "set_qts");
    s.set_date(user, 31).await.expect("set_date");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(11, 21, 31, 40)), "set_date");
    s.set_seq(user, 41).await.expect("set_seq");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(11, 21, 31, 41)), "set_seq");
    s.set_date_seq(user, 32, 42).await.expect("set_date_seq");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(11, 21, 32, 42)), "set_date_seq");
    s.set_state(user, st(1, 2, 3, 4)).await.expect("set_state again");
    assert_eq!(
        s.get_state(user).await.expect("get"),
        Some(st(1, 2, 3, 4)),
        "set_state must replace"
    );
}

/// `set_state` keeps the account's channel pts.
pub async fn set_state_keeps_channels(s: &dyn StateStorage, user: i64) {
    s.set_channel_pts(user, 7, 70).await.expect("set_channel_pts");
    s.set_state(user, st(1, 1, 1, 1)).await.expect("set_state");
    s.set_state(user, st(2, 2, 2, 2)).await.expect("set_state");
    assert_eq!(
        s.get_channel_pts(user, 7).await.expect("get"),
        Some(70),
        "set_state dropped a channel pts"
    );
    assert_eq!(
        s.get_channel_pts(user, 8).await.expect("get"),
        None,
        "unknown channel must be None"
    );
    s.set_channel_pts(user, 7, 71).await.expect("overwrite");
    assert_eq!(s.get_channel_pts(user, 7).await.expect("get"), Some(71), "channel overwrite lost");
}

async fn channels_of(s: &dyn StateStorage, user: i64) -> Vec<(i64, i32)> {
    let mut out = Vec::new();
    s.for_each_channel(user, &mut |id, pts| out.push((id, pts))).await.expect("for_each_channel");
    out.sort_unstable();
    out
}

/// `for_each_channel` visits every channel of the account exactly once.
pub async fn channel_iteration(s: &dyn StateStorage, user: i64) {
    assert!(channels_of(s, user).await.is_empty(), "fresh account has channels");
    let mut expected = Vec::new();
    for c in 1..=250i64 {
        let pts = i32::try_from(c * 3).unwrap_or(i32::MAX);
        s.set_channel_pts(user, c, pts - 1).await.expect("set");
        s.set_channel_pts(user, c, pts).await.expect("overwrite");
        expected.push((c, pts));
    }
    assert_eq!(
        channels_of(s, user).await,
        expected,
        "iteration must yield each channel once with its latest pts"
    );
}

/// Two accounts never see each other's state or channels.
pub async fn accounts_are_isolated(s: &dyn StateStorage, a: i64, b: i64) {
    s.set_state(a, st(1, 2, 3, 4)).await.expect("set a");
    s.set_channel_pts(a, 9, 90).await.expect("channel a");
    assert_eq!(s.get_state(b).await.expect("get b"), None, "state leaked across accounts");
    assert_eq!(
        s.get_channel_pts(b, 9).await.expect("get b"),
        None,
        "channel leaked across accounts"
    );
    assert!(channels_of(s, b).await.is_empty(), "iteration leaked across accounts");
    s.set_state(b, st(5, 6, 7, 8)).await.expect("set b");
    s.set_channel_pts(b, 9, 91).await.expect("channel b");
    assert_eq!(s.get_state(a).await.expect("get a"), Some(st(1, 2, 3, 4)));
    assert_eq!(s.get_channel_pts(a, 9).await.expect("get a"), Some(90));
    assert_eq!(channels_of(s, a).await, [(9, 90)]);
}

/// Extreme and negative values round-trip.
pub async fn large_values(s: &dyn StateStorage, user: i64) {
    let big = st(i32::MAX, i32::MAX - 1, i32::MAX - 2, i32::MAX - 3);
    s.set_state(user, big).await.expect("set");
    assert_eq!(s.get_state(user).await.expect("get"), Some(big));
    s.set_state(user, st(i32::MIN, -1, 0, -7)).await.expect("set negative");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(i32::MIN, -1, 0, -7)));
    for id in [i64::MAX, i64::MIN, -1_001_234_567_890, 0] {
        s.set_channel_pts(user, id, i32::MAX).await.expect("set channel");
        assert_eq!(
            s.get_channel_pts(user, id).await.expect("get"),
            Some(i32::MAX),
            "channel id {id}"
        );
    }
    for user in [i64::MAX, i64::MIN] {
        s.set_state(user, big).await.expect("extreme account id");
        assert_eq!(s.get_state(user).await.expect("get"), Some(big), "account id {user}");
    }
}

/// `delete_channel` removes exactly one channel of one account; deleting
/// an absent channel (or one of an unknown account) is `Ok`.
pub async fn delete_channel(s: &dyn StateStorage, user: i64, other: i64) {
    s.delete_channel(user, 5).await.expect("deleting in an unknown account must be Ok");
    s.set_state(user, st(1, 2, 3, 4)).await.expect("set_state");
    for (c, pts) in [(5, 50), (6, 60), (7, 70)] {
        s.set_channel_pts(user, c, pts).await.expect("set_channel_pts");
        s.set_channel_pts(other, c, pts + 1).await.expect("set_channel_pts other");
    }
    s.delete_channel(user, 6).await.expect("delete_channel");
    assert_eq!(s.get_channel_pts(user, 6).await.expect("get"), None, "deleted channel still there");
    assert_eq!(channels_of(s, user).await, [(5, 50), (7, 70)], "delete touched other channels");
    assert_eq!(
        channels_of(s, other).await,
        [(5, 51), (6, 61), (7, 71)],
        "delete touched another account"
    );
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(1, 2, 3, 4)), "delete moved state");
    s.delete_channel(user, 6).await.expect("deleting an absent channel must be Ok");
    s.delete_channel(user, 99).await.expect("deleting a never-stored channel must be Ok");
    s.set_channel_pts(user, 6, 65).await.expect("set after delete");
    assert_eq!(s.get_channel_pts(user, 6).await.expect("get"), Some(65), "set after delete lost");
}

/// `write_checkpoint` writes the state (keeping channels) and every
/// channel pts; with no state it leaves the state alone and needs none.
pub async fn write_checkpoint(s: &dyn StateStorage, user: i64) {
    let only_channels = StateWrite { state: None, channels: vec![(3, 30), (-4, 40)] };
    s.write_checkpoint(user, &only_channels).await.expect("channels without a state");
    assert_eq!(s.get_state(user).await.expect("get"), None, "a channel write created a state");
    assert_eq!(channels_of(s, user).await, [(-4, 40), (3, 30)], "channel pts of a checkpoint");
    let both = StateWrite { state: Some(st(9, 8, 7, 6)), channels: vec![(3, 31), (5, 50)] };
    s.write_checkpoint(user, &both).await.expect("state and channels");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(9, 8, 7, 6)), "checkpoint state");
    assert_eq!(
        channels_of(s, user).await,
        [(-4, 40), (3, 31), (5, 50)],
        "a checkpoint's state must keep the channels it does not name"
    );
    let only_state = StateWrite { state: Some(st(10, 8, 7, 6)), channels: vec![] };
    s.write_checkpoint(user, &only_state).await.expect("state only");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(10, 8, 7, 6)));
    s.write_checkpoint(user, &StateWrite::default()).await.expect("an empty checkpoint is Ok");
    assert_eq!(s.get_state(user).await.expect("get"), Some(st(10, 8, 7, 6)), "empty write moved");
    let many: Vec<(i64, i32)> = (100..1100).map(|c| (c, i32::try_from(c).unwrap_or(0))).collect();
    s.write_checkpoint(user, &StateWrite { state: None, channels: many })
        .await
        .expect("a checkpoint with 1000 channels");
    assert_eq!(channels_of(s, user).await.len(), 1003, "channels of a large checkpoint lost");
}

/// Concurrent writers on different channels and accounts lose nothing.
pub async fn concurrent_writers(s: Arc<dyn StateStorage>, base: i64) {
    let mut set = tokio::task::JoinSet::new();
    for t in 0..8i64 {
        let s = s.clone();
        set.spawn(async move {
            let user = base + t % 2;
            s.set_state(user, st(0, 0, 0, 0)).await.expect("set_state");
            for c in 0..100i64 {
                let pts = i32::try_from(c).unwrap_or(0);
                s.set_channel_pts(user, t * 1000 + c, pts).await.expect("concurrent channel write");
                s.set_pts(user, pts).await.expect("concurrent set_pts");
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("writer task");
    }
    for user in [base, base + 1] {
        let channels = channels_of(s.as_ref(), user).await;
        assert_eq!(channels.len(), 400, "concurrent channel writes lost for account {user}");
        assert_eq!(
            s.get_state(user).await.expect("get").map(|x| x.pts),
            Some(99),
            "pts after concurrent writes"
        );
    }
}

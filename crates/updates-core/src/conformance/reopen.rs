//! Durability across close and reopen, for backends that keep their data
//! outside the process: the state, every channel pts and every access hash
//! of several accounts survive (deletes and checkpoints included), and
//! 100,000 channels come back in id order.
//!
//! The backend supplies `open()` (a new handle on the same database each
//! call) and `close(store)` (what its users do before exiting: flush, then
//! drop). These checks do not apply to `MemoryStorage`.

use std::future::Future;

use crate::ports::{ChannelAccessHasher, StateStorage, StateWrite};
use crate::tl::State;

async fn channels(s: &dyn StateStorage, user: i64) -> Vec<(i64, i32)> {
    let mut out = Vec::new();
    let iterated = s.for_each_channel(user, &mut |c, p| out.push((c, p))).await;
    assert!(iterated.is_ok(), "iterating channels failed: {iterated:?}");
    out
}

/// Writes three accounts (state, 50 channels' pts and access hashes each),
/// a checkpoint and a delete, closes, reopens, and reads everything back.
pub async fn everything_survives_a_reopen<S, O, C, F>(open: O, close: C)
where
    S: StateStorage + ChannelAccessHasher,
    O: Fn() -> S,
    C: Fn(S) -> F,
    F: Future<Output = ()>,
{
    let ok = |what: &str, r: Result<(), crate::StorageError>| {
        assert!(r.is_ok(), "{what} failed before the reopen: {r:?}");
    };
    let s = open();
    for user in [1, 2, -3] {
        let state = State { pts: 100 + user as i32, qts: 7, date: 1_700_000_000, seq: 9 };
        ok("set_state", s.set_state(user, state).await);
        for c in 1..=50i64 {
            ok("set_channel_pts", s.set_channel_pts(user, c * 1_000_000_007, (c * 3) as i32).await);
            let hash = s.set_channel_access_hash(user, c * 1_000_000_007, -c * user).await;
            ok("set_channel_access_hash", hash);
        }
    }
    let checkpoint = StateWrite {
        state: Some(State { pts: 500, qts: 8, date: 1_700_000_001, seq: 10 }),
        channels: vec![(1_000_000_007, 999), (-5, 5)],
    };
    ok("write_checkpoint", s.write_checkpoint(1, &checkpoint).await);
    ok("delete_channel", s.delete_channel(2, 2_000_000_014).await);
    close(s).await;

    let s = open();
    let one = s.get_state(1).await.ok().flatten();
    assert_eq!(one, checkpoint.state, "the checkpoint's state after the reopen");
    let negative = s.get_state(-3).await.ok().flatten();
    let untouched = State { pts: 97, qts: 7, date: 1_700_000_000, seq: 9 };
    assert_eq!(negative, Some(untouched), "a negative account's state after the reopen");
    let one = channels(&s, 1).await;
    assert_eq!(one.len(), 51, "account 1's channels after the reopen");
    assert_eq!(one[0], (-5, 5), "negative channel ids iterate first");
    assert_eq!(one[1], (1_000_000_007, 999), "the checkpoint's channel pts");
    assert_eq!(channels(&s, 2).await.len(), 49, "the deleted channel came back");
    for user in [1, 2, -3] {
        for c in 1..=50i64 {
            let hash = s.get_channel_access_hash(user, c * 1_000_000_007).await;
            assert_eq!(hash.ok().flatten(), Some(-c * user), "access hash of {user}/{c}");
        }
    }
    close(s).await;
}

/// Writes `n` channels in a scrambled order (checkpoints of 1,000) next to
/// a neighbouring account, closes, reopens: all `n` iterate in id order
/// with their pts.
pub async fn many_channels_iterate_in_order_after_reopen<S, O, C, F>(open: O, close: C, n: i64)
where
    S: StateStorage + ChannelAccessHasher,
    O: Fn() -> S,
    C: Fn(S) -> F,
    F: Future<Output = ()>,
{
    let s = open();
    // A permutation of 0..n (7,919 is prime; n must not be a multiple of it).
    let ids: Vec<i64> = (0..n).map(|i| (i * 7_919) % n * 13 + 1).collect();
    for chunk in ids.chunks(1000) {
        let channels = chunk.iter().map(|&c| (c, (c % 1_000_000) as i32)).collect();
        let written = s.write_checkpoint(42, &StateWrite { state: None, channels }).await;
        assert!(written.is_ok(), "write_checkpoint failed: {written:?}");
    }
    let neighbour = s.set_channel_pts(43, 1, 1).await;
    assert!(neighbour.is_ok(), "set_channel_pts failed: {neighbour:?}");
    close(s).await;
    let s = open();
    let got = channels(&s, 42).await;
    assert_eq!(got.len() as i64, n, "channels after the reopen");
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "channels do not iterate in id order");
    assert!(got.iter().all(|&(c, p)| p == (c % 1_000_000) as i32), "a pts changed");
    assert_eq!(got.first().map(|x| x.0), Some(1));
    assert_eq!(got.last().map(|x| x.0), Some((n - 1) * 13 + 1));
    close(s).await;
}

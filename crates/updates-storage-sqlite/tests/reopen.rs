//! Close and reopen: the state, every channel pts and every access hash
//! survive with `synchronous=NORMAL` and `FULL`; 100,000 channels come
//! back in id order.

use updates_core::{ChannelAccessHasher, State, StateStorage, StateWrite};
use updates_storage_sqlite::{Options, SqliteStorage, Synchronous};

fn open(file: &std::path::Path, synchronous: Synchronous) -> SqliteStorage {
    Options::new().synchronous(synchronous).open(file).expect("open")
}

async fn channels(s: &SqliteStorage, user: i64) -> Vec<(i64, i32)> {
    let mut out = Vec::new();
    s.for_each_channel(user, &mut |c, p| out.push((c, p))).await.expect("iterate");
    out
}

#[tokio::test]
async fn everything_survives_a_reopen_in_both_modes() {
    for synchronous in [Synchronous::Normal, Synchronous::Full] {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("u.db");
        let s = open(&file, synchronous);
        for user in [1, 2, -3] {
            let state = State { pts: 100 + user as i32, qts: 7, date: 1_700_000_000, seq: 9 };
            s.set_state(user, state).await.expect("state");
            for c in 1..=50i64 {
                s.set_channel_pts(user, c * 1_000_000_007, (c * 3) as i32).await.expect("pts");
                s.set_channel_access_hash(user, c * 1_000_000_007, -c * user).await.expect("hash");
            }
        }
        s.write_checkpoint(
            1,
            &StateWrite {
                state: Some(State { pts: 500, qts: 8, date: 1_700_000_001, seq: 10 }),
                channels: vec![(1_000_000_007, 999), (-5, 5)],
            },
        )
        .await
        .expect("checkpoint");
        s.delete_channel(2, 2_000_000_014).await.expect("delete");
        drop(s);

        let s = open(&file, synchronous);
        assert_eq!(
            s.get_state(1).await.expect("get"),
            Some(State { pts: 500, qts: 8, date: 1_700_000_001, seq: 10 }),
            "{synchronous:?}"
        );
        assert_eq!(
            s.get_state(-3).await.expect("get"),
            Some(State { pts: 97, qts: 7, date: 1_700_000_000, seq: 9 })
        );
        let one = channels(&s, 1).await;
        assert_eq!(one.len(), 51);
        assert_eq!(one[0], (-5, 5), "negative ids first");
        assert_eq!(one[1], (1_000_000_007, 999));
        assert_eq!(channels(&s, 2).await.len(), 49, "the deleted channel came back");
        for user in [1, 2, -3] {
            for c in 1..=50i64 {
                assert_eq!(
                    s.get_channel_access_hash(user, c * 1_000_000_007).await.expect("hash"),
                    Some(-c * user)
                );
            }
        }
    }
}

#[tokio::test]
async fn a_hundred_thousand_channels_iterate_in_order_after_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    let s = open(&file, Synchronous::Normal);
    let ids: Vec<i64> = (0..100_000i64).map(|i| (i * 7_919) % 100_000 * 13 + 1).collect();
    for chunk in ids.chunks(1000) {
        let channels = chunk.iter().map(|&c| (c, (c % 1_000_000) as i32)).collect();
        s.write_checkpoint(42, &StateWrite { state: None, channels }).await.expect("write");
    }
    s.set_channel_pts(43, 1, 1).await.expect("neighbour account");
    drop(s);
    let s = open(&file, Synchronous::Normal);
    let got = channels(&s, 42).await;
    assert_eq!(got.len(), 100_000);
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "channels do not iterate in id order");
    assert!(got.iter().all(|&(c, p)| p == (c % 1_000_000) as i32), "a pts changed");
    assert_eq!(got.first().map(|x| x.0), Some(1));
    assert_eq!(got.last().map(|x| x.0), Some(99_999 * 13 + 1));
}

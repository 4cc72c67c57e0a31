//! Persistence across runs and storage/handler failures (research §7
//! #42, #44–#49).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::script::*;
use crate::*;

fn msg(id: i32) -> Message {
    Message { id, peer_id: Some(Peer::User(555)), ..Message::default() }
}

async fn seed(storage: &dyn StateStorage, hasher: &dyn ChannelAccessHasher, pts: i32) {
    storage.set_state(1, state(pts)).await.expect("seed");
    storage.set_channel_pts(1, 7, 30).await.expect("seed");
    hasher.set_channel_access_hash(1, 7, 77).await.expect("seed");
}

#[tokio::test(start_paused = true)]
async fn s42_restart_loses_nothing_and_duplicates_nothing() {
    let storage = Arc::new(MemoryStorage::new());
    seed(storage.as_ref(), storage.as_ref(), 100).await;
    let rec = Arc::new(Recorder::default());
    let config = Config::new(rec.clone()).storage(storage.clone()).access_hasher(storage.clone());
    let manager = Manager::new(config.clone());
    let script = Arc::new(Script::default());
    let task =
        tokio::spawn(manager.auth(script.clone(), 1, false, false).await.expect("auth").run());
    for p in 101..=105 {
        manager.handle(nm(p)).await.expect("handle");
    }
    rec.wait_for(5).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    manager.stop();
    task.await.expect("join").expect("run 1");
    assert_eq!(storage.get_state(1).await.expect("get").map(|s| s.pts), Some(105));

    let rec2 = Arc::new(Recorder::default());
    let manager2 = Manager::new(
        Config::new(rec2.clone()).storage(storage.clone()).access_hasher(storage.clone()),
    );
    let script2 = Arc::new(Script::default());
    script2.diff(Ok(Difference::Difference(DifferenceBody {
        new_messages: (106..=108).map(msg).collect(),
        state: State { pts: 108, qts: 0, date: 5, seq: 0 },
        ..DifferenceBody::default()
    })));
    let task2 =
        tokio::spawn(manager2.auth(script2.clone(), 1, false, false).await.expect("auth").run());
    rec2.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(rec2.seen(), ["m106", "m107", "m108"]);
    let mut log = script2.log();
    log.sort();
    assert_eq!(log, ["gcd 7 30 77", "gd 105 0 5"]);
    manager2.stop();
    task2.await.expect("join").expect("run 2");
    assert_eq!(storage.get_state(1).await.expect("get").map(|s| s.pts), Some(108));
}

#[tokio::test(start_paused = true)]
async fn s44_forget_takes_the_remote_state_and_keeps_channels() {
    let storage = Arc::new(MemoryStorage::new());
    seed(storage.as_ref(), storage.as_ref(), 50).await;
    let script = Arc::new(Script::default());
    *script.remote.lock().expect("lock") = State { pts: 900, qts: 5, date: 77, seq: 3 };
    let rec = Arc::new(Recorder::default());
    let manager = Manager::new(
        Config::new(rec.clone()).storage(storage.clone()).access_hasher(storage.clone()),
    );
    let task =
        tokio::spawn(manager.auth(script.clone(), 1, false, true).await.expect("auth").run());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        storage.get_state(1).await.expect("get"),
        Some(State { pts: 900, qts: 5, date: 77, seq: 3 })
    );
    assert_eq!(storage.get_channel_pts(1, 7).await.expect("get"), Some(30));
    let mut log = script.log();
    log.sort();
    assert_eq!(log, ["gcd 7 30 77", "gd 900 5 77", "state"]);
    assert!(rec.seen().is_empty());
    manager.stop();
    task.await.expect("join").expect("run");
}

#[tokio::test(start_paused = true)]
async fn s45_s46_no_stored_state_and_channel_without_hash() {
    let storage = Arc::new(MemoryStorage::new());
    storage.set_channel_pts(1, 7, 30).await.expect("seed");
    storage.set_channel_pts(1, 8, 40).await.expect("seed");
    storage.set_channel_access_hash(1, 7, 77).await.expect("seed");
    let script = Arc::new(Script::default());
    *script.remote.lock().expect("lock") = state(10);
    let no_state = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n = no_state.clone();
    let (failed, on_failed) = counter();
    let config = Config::new(Arc::new(Recorder::default()))
        .storage(storage.clone())
        .access_hasher(storage.clone())
        .on_no_stored_state(move || {
            n.fetch_add(1, Ordering::SeqCst);
        })
        .on_channel_load_failed(on_failed);
    let manager = Manager::new(config);
    let task =
        tokio::spawn(manager.auth(script.clone(), 1, false, false).await.expect("auth").run());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(no_state.load(Ordering::SeqCst), 1);
    assert_eq!(read(&failed), [8]);
    assert_eq!(storage.get_state(1).await.expect("get"), Some(state(10)));
    let mut log = script.log();
    log.sort();
    assert_eq!(log, ["gcd 7 30 77", "gd 10 0 1", "state"]);
    manager.stop();
    task.await.expect("join").expect("run");
}

#[tokio::test(start_paused = true)]
async fn s47_storage_write_error_is_reported_and_healed() {
    let storage = Arc::new(Flaky::default());
    storage.inner.set_state(1, state(100)).await.expect("seed");
    let (errs, on_error) = errors();
    let rec = Arc::new(Recorder::default());
    let config = Config::new(rec.clone()).storage(storage.clone()).on_error(on_error);
    let manager = Manager::new(config);
    let task = tokio::spawn(
        manager.auth(Arc::new(Script::default()), 1, false, false).await.expect("auth").run(),
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    manager.handle(nm(101)).await.expect("handle");
    rec.wait_for(1).await;
    storage.fail_set_pts.store(1, Ordering::SeqCst);
    manager.handle(nm(102)).await.expect("handle");
    rec.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(storage.inner.get_state(1).await.expect("get").map(|s| s.pts), Some(101));
    manager.handle(nm(103)).await.expect("handle");
    rec.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(rec.seen(), ["m101", "m102", "m103"]);
    assert_eq!(read(&errs), ["state storage failed while persisting a checkpoint"]);
    assert_eq!(storage.inner.get_state(1).await.expect("get").map(|s| s.pts), Some(103));
    manager.stop();
    task.await.expect("join").expect("run");
}

#[tokio::test(start_paused = true)]
async fn s48_storage_read_error_for_a_new_channel_falls_back() {
    let storage = Arc::new(Flaky::default());
    storage.inner.set_state(1, state(100)).await.expect("seed");
    storage.fail_get_channel.store(true, Ordering::SeqCst);
    let (errs, on_error) = errors();
    let rec = Arc::new(Recorder::default());
    let hasher = Arc::new(MemoryStorage::new());
    let config =
        Config::new(rec.clone()).storage(storage.clone()).access_hasher(hasher).on_error(on_error);
    let manager = Manager::new(config);
    let script = Arc::new(Script::default());
    script.channel(
        9,
        Ok(ChannelDifference::Difference {
            is_final: true,
            pts: 501,
            timeout: None,
            new_messages: vec![Message {
                id: 501,
                peer_id: Some(Peer::Channel(9)),
                ..Message::default()
            }],
            other_updates: vec![],
            chats: vec![],
            users: vec![],
        }),
    );
    let task =
        tokio::spawn(manager.auth(script.clone(), 1, false, false).await.expect("auth").run());
    tokio::time::sleep(Duration::from_millis(5)).await;
    manager
        .handle(Updates::Full {
            updates: vec![Update::new_channel_message(9, 501, 501)],
            users: vec![],
            chats: vec![Chat::channel(9, 99)],
            date: 5,
            seq: 0,
        })
        .await
        .expect("handle");
    rec.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(rec.seen(), ["c9:501"]);
    assert_eq!(script.log(), ["gd 100 0 1", "gcd 9 500 99"]);
    assert_eq!(read(&errs), ["state storage failed while reading a channel's pts"]);
    assert_eq!(storage.inner.get_channel_pts(1, 9).await.expect("get"), Some(501));
    manager.stop();
    task.await.expect("join").expect("run");
}

#[tokio::test(start_paused = true)]
async fn s49_handler_error_is_reported_and_the_batch_skipped() {
    let storage = Arc::new(MemoryStorage::new());
    storage.set_state(1, state(100)).await.expect("seed");
    let (errs, on_error) = errors();
    let rec = Arc::new(Recorder::default());
    *rec.fail_on_call.lock().expect("lock") = Some(0);
    let config = Config::new(rec.clone()).storage(storage.clone()).on_error(on_error);
    let manager = Manager::new(config);
    let task = tokio::spawn(
        manager.auth(Arc::new(Script::default()), 1, false, false).await.expect("auth").run(),
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    manager.handle(nm(101)).await.expect("handle");
    rec.wait_for(1).await;
    manager.handle(nm(102)).await.expect("handle");
    rec.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(rec.seen(), ["m101", "m102"]);
    assert_eq!(read(&errs), ["update handler failed"]);
    assert_eq!(storage.get_state(1).await.expect("get").map(|s| s.pts), Some(102));
    manager.stop();
    task.await.expect("join").expect("run");
}

/// A running manager over a [`Flaky`] store seeded with pts 100 and
/// channel 7 at pts 20 (channel catch-up off), with its errors recorded.
struct Rig {
    storage: Arc<Flaky>,
    errs: Arc<std::sync::Mutex<Vec<String>>>,
    rec: Arc<Recorder>,
    manager: Manager,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

async fn flaky_rig() -> Rig {
    let storage = Arc::new(Flaky::default());
    storage.inner.set_state(1, state(100)).await.expect("seed");
    storage.inner.set_channel_pts(1, 7, 20).await.expect("seed");
    let hasher = Arc::new(MemoryStorage::new());
    hasher.set_channel_access_hash(1, 7, 77).await.expect("seed");
    let (errs, on_error) = errors();
    let rec = Arc::new(Recorder::default());
    let config = Config::new(rec.clone())
        .storage(storage.clone())
        .access_hasher(hasher)
        .catch_up_channels(false)
        .on_error(on_error);
    let manager = Manager::new(config);
    let task = tokio::spawn(
        manager.auth(Arc::new(Script::default()), 1, false, false).await.expect("auth").run(),
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    Rig { storage, errs, rec, manager, task }
}

#[tokio::test(start_paused = true)]
async fn failed_channel_write_is_retried_with_the_next_checkpoint() {
    let Rig { storage, errs, rec, manager, task } = flaky_rig().await;
    storage.fail_set_channel.store(1, Ordering::SeqCst);
    manager
        .handle(Updates::short(Update::new_channel_message(7, 21, 21), 1))
        .await
        .expect("handle");
    rec.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(storage.inner.get_channel_pts(1, 7).await.expect("get"), Some(20));
    manager.handle(nm(101)).await.expect("handle");
    rec.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(storage.inner.get_channel_pts(1, 7).await.expect("get"), Some(21), "retried");
    assert_eq!(read(&errs), ["state storage failed while persisting a checkpoint"]);
    manager.stop();
    task.await.expect("join").expect("run");
}

#[tokio::test(start_paused = true)]
async fn s38_inaccessible_channel_is_deleted_from_storage_and_not_retried_after_restart() {
    let storage = Arc::new(Flaky::default());
    storage.inner.set_state(1, state(100)).await.expect("seed");
    storage.inner.set_channel_pts(1, 7, 20).await.expect("seed");
    storage.inner.set_channel_pts(1, 8, 40).await.expect("seed");
    let hasher = Arc::new(MemoryStorage::new());
    hasher.set_channel_access_hash(1, 7, 77).await.expect("seed");
    hasher.set_channel_access_hash(1, 8, 88).await.expect("seed");
    // the first delete fails: retried after the next successful checkpoint
    storage.fail_delete.store(1, Ordering::SeqCst);
    let (errs, on_error) = errors();
    let (gone, on_gone) = counter();
    let rec = Arc::new(Recorder::default());
    let config = Config::new(rec.clone())
        .storage(storage.clone())
        .access_hasher(hasher.clone())
        .on_error(on_error)
        .on_channel_inaccessible(on_gone);
    let script = Arc::new(Script::default());
    script.channel(7, Err(ClientError::Rpc(RpcError::new(406, "CHANNEL_PRIVATE"))));
    let manager = Manager::new(config);
    let task =
        tokio::spawn(manager.auth(script.clone(), 1, false, false).await.expect("auth").run());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(read(&gone), [7]);
    assert_eq!(read(&errs), ["state storage failed while deleting an inaccessible channel"]);
    assert_eq!(storage.inner.get_channel_pts(1, 7).await.expect("get"), Some(20), "not yet");
    manager.handle(nm(101)).await.expect("handle");
    rec.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(storage.inner.get_channel_pts(1, 7).await.expect("get"), None, "delete retried");
    assert_eq!(storage.inner.get_channel_pts(1, 8).await.expect("get"), Some(40));
    manager.stop();
    task.await.expect("join").expect("run 1");

    let script2 = Arc::new(Script::default());
    let manager2 = Manager::new(
        Config::new(Arc::new(Recorder::default())).storage(storage.clone()).access_hasher(hasher),
    );
    let task2 =
        tokio::spawn(manager2.auth(script2.clone(), 1, false, false).await.expect("auth").run());
    tokio::time::sleep(Duration::from_millis(10)).await;
    let mut log = script2.log();
    log.sort();
    assert_eq!(log, ["gcd 8 40 88", "gd 101 0 5"], "the dropped channel was caught up again");
    manager2.stop();
    task2.await.expect("join").expect("run 2");
}

#[tokio::test(start_paused = true)]
async fn a_failed_common_write_is_retried_with_a_channel_checkpoint() {
    let Rig { storage, errs, rec, manager, task } = flaky_rig().await;
    storage.fail_set_pts.store(1, Ordering::SeqCst);
    manager.handle(nm(101)).await.expect("handle");
    rec.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(storage.inner.get_state(1).await.expect("get").map(|s| s.pts), Some(100));
    manager
        .handle(Updates::short(Update::new_channel_message(7, 21, 21), 1))
        .await
        .expect("handle");
    rec.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(storage.inner.get_state(1).await.expect("get").map(|s| s.pts), Some(101));
    assert_eq!(storage.inner.get_channel_pts(1, 7).await.expect("get"), Some(21));
    assert_eq!(read(&errs), ["state storage failed while persisting a checkpoint"]);
    manager.stop();
    task.await.expect("join").expect("run");
}

//! Lifecycle: in-order delivery through the driver, gap recovery in
//! virtual time, updates during a difference, run twice, stop, fatal
//! errors (research §7 #1, #6, #10, #53, #54).

use std::sync::Arc;
use std::time::Duration;

use super::script::*;
use crate::*;

async fn start(
    script: Arc<Script>,
    storage: Arc<MemoryStorage>,
) -> (Manager, Arc<Recorder>, tokio::task::JoinHandle<Result<(), Error>>) {
    let rec = Arc::new(Recorder::default());
    let config = Config::new(rec.clone()).storage(storage.clone()).access_hasher(storage);
    let manager = Manager::new(config);
    let runner = manager.auth(script, 1, false, false).await.expect("auth");
    (manager, rec, tokio::spawn(runner.run()))
}

async fn stored(storage: &MemoryStorage) -> State {
    storage.get_state(1).await.ok().flatten().unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn delivers_in_order_and_persists_after_the_handler() {
    let storage = Arc::new(MemoryStorage::new());
    storage.set_state(1, state(100)).await.expect("seed");
    let script = Arc::new(Script::default());
    let (manager, rec, task) = start(script.clone(), storage.clone()).await;
    for p in 101..=103 {
        manager.handle(nm(p)).await.expect("handle");
    }
    rec.wait_for(3).await;
    assert_eq!(rec.seen(), ["m101", "m102", "m103"]);
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(stored(&storage).await.pts, 103);
    assert_eq!(script.log(), ["gd 100 0 1"], "only the startup difference");
    manager.stop();
    assert!(task.await.expect("join").is_ok());
}

#[tokio::test(start_paused = true)]
async fn gap_is_recovered_after_the_timeout_in_virtual_time() {
    let storage = Arc::new(MemoryStorage::new());
    storage.set_state(1, state(100)).await.expect("seed");
    let script = Arc::new(Script::default());
    let (manager, rec, task) = start(script.clone(), storage.clone()).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    let msg = |id| Message { id, peer_id: Some(Peer::User(555)), ..Message::default() };
    script.diff(Ok(Difference::Difference(DifferenceBody {
        new_messages: vec![msg(101), msg(102)],
        state: State { pts: 102, qts: 0, date: 6, seq: 0 },
        ..DifferenceBody::default()
    })));
    let t0 = tokio::time::Instant::now();
    manager.handle(nm(102)).await.expect("handle");
    rec.wait_for(2).await;
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_millis(510),
        "{waited:?}"
    );
    assert_eq!(rec.seen(), ["m101", "m102"]);
    assert_eq!(script.log(), ["gd 100 0 1", "gd 100 0 5"]);
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(stored(&storage).await, State { pts: 102, qts: 0, date: 6, seq: 0 });
    manager.stop();
    assert!(task.await.expect("join").is_ok());
}

#[tokio::test(start_paused = true)]
async fn live_updates_during_a_difference_are_not_duplicated() {
    let storage = Arc::new(MemoryStorage::new());
    storage.set_state(1, state(100)).await.expect("seed");
    let gate = Arc::new(tokio::sync::Semaphore::new(1)); // the startup difference passes
    let script = Arc::new(Script { gate: Some(gate.clone()), ..Script::default() });
    let (manager, rec, task) = start(script.clone(), storage.clone()).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let msg = |id| Message { id, peer_id: Some(Peer::User(555)), ..Message::default() };
    script.diff(Ok(Difference::Difference(DifferenceBody {
        new_messages: (101..=105).map(msg).collect(),
        state: State { pts: 105, qts: 0, date: 5, seq: 0 },
        ..DifferenceBody::default()
    })));
    manager.handle(Updates::TooLong).await.expect("handle");
    tokio::time::sleep(Duration::from_millis(5)).await;
    manager.handle(nm(104)).await.expect("handle during the difference");
    manager.handle(nm(106)).await.expect("handle during the difference");
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(rec.seen().is_empty());
    gate.add_permits(1);
    rec.wait_for(6).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rec.seen(), ["m101", "m102", "m103", "m104", "m105", "m106"]);
    assert_eq!(script.log(), ["gd 100 0 1", "gd 100 0 1"]);
    manager.stop();
    assert!(task.await.expect("join").is_ok());
}

#[tokio::test(start_paused = true)]
async fn s53_run_twice_and_handle_after_stop() {
    let storage = Arc::new(MemoryStorage::new());
    let script = Arc::new(Script::default());
    *script.remote.lock().expect("lock") = state(10);
    let (manager, _rec, task) = start(script.clone(), storage.clone()).await;
    assert!(manager.is_running());
    let second = manager.auth(script.clone(), 1, false, false).await;
    assert!(matches!(second, Err(Error::AlreadyRunning)), "{second:?}");
    manager.stop();
    assert!(task.await.expect("join").is_ok());
    assert!(!manager.is_running());
    // never blocks, whatever the queue held
    for _ in 0..5000 {
        assert!(matches!(manager.handle(nm(11)).await, Err(Error::NotRunning)));
    }
    assert!(matches!(manager.handle_affected(None, 5, 1).await, Err(Error::NotRunning)));
    // a new run can start afterwards
    let runner = manager.auth(script, 1, false, false).await.expect("re-auth");
    drop(runner);
    assert!(matches!(manager.handle(nm(11)).await, Err(Error::NotRunning)));
}

#[tokio::test(start_paused = true)]
async fn blocked_handle_is_released_when_the_run_stops() {
    let storage = Arc::new(MemoryStorage::new());
    storage.set_state(1, state(100)).await.expect("seed");
    let rec = Arc::new(Recorder::default());
    let config = Config::new(rec).storage(storage.clone()).access_hasher(storage).queue_capacity(1);
    let manager = Manager::new(config);
    let runner = manager.auth(Arc::new(Script::default()), 1, false, false).await.expect("auth");
    // the run is not polled yet: the queue fills and the next handle waits
    manager.handle(nm(101)).await.expect("first fits");
    let m2 = manager.clone();
    let blocked = tokio::spawn(async move { m2.handle(nm(102)).await });
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(!blocked.is_finished());
    drop(runner);
    let r = tokio::time::timeout(Duration::from_secs(1), blocked)
        .await
        .expect("released")
        .expect("join");
    assert!(matches!(r, Err(Error::NotRunning)), "{r:?}");
}

#[tokio::test(start_paused = true)]
async fn s54_fatal_auth_error_ends_the_run() {
    let storage = Arc::new(MemoryStorage::new());
    storage.set_state(1, state(100)).await.expect("seed");
    storage.set_channel_pts(1, 7, 30).await.expect("seed");
    storage.set_channel_access_hash(1, 7, 77).await.expect("seed");
    let script = Arc::new(Script::default());
    script.diff(Err(ClientError::Rpc(RpcError::new(401, "AUTH_KEY_UNREGISTERED"))));
    let (manager, _rec, task) = start(script.clone(), storage).await;
    let result =
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("ends").expect("join");
    match result {
        Err(Error::Client { method, source }) => {
            assert_eq!(method, "updates.getDifference");
            assert_eq!(source.rpc().map(|e| e.message.as_str()), Some("AUTH_KEY_UNREGISTERED"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(manager.handle(nm(101)).await, Err(Error::NotRunning)));
}

#[tokio::test(start_paused = true)]
async fn stop_processes_what_is_already_queued() {
    let storage = Arc::new(MemoryStorage::new());
    storage.set_state(1, state(100)).await.expect("seed");
    let script = Arc::new(Script::default());
    let (manager, rec, task) = start(script.clone(), storage.clone()).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    manager.handle(nm(101)).await.expect("handle");
    manager.handle(nm(102)).await.expect("handle");
    manager.stop();
    task.await.expect("join").expect("run");
    assert_eq!(rec.seen(), ["m101", "m102"]);
    assert_eq!(stored(&storage).await.pts, 102);
}

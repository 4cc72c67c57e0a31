//! In-order throughput: our Manager and Engine vs grammers-session 0.11
//! `MessageBoxes` on 1,000,000 `updateNewMessage`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use grammers_session::updates::{MessageBoxes, UpdatesLike};
use grammers_tl_types as gtl;
use updates_core::engine::{Action, Engine, EngineConfig};
use updates_core::{
    Batch, Config, Difference, Handler, HandlerError, Manager, MemoryStorage, State, StateStorage,
    Update, Updates,
};

use updates_core::testkit::QuietClient;

use crate::Record;

const N: i32 = 1_000_000;
const START: i32 = 1000;
const ROUNDS: usize = 3;

fn stream() -> Vec<Updates> {
    (1..=N).map(|i| Updates::full(vec![Update::new_message(i, 42, START + i)], 1, 0)).collect()
}

fn grammers_stream() -> Vec<UpdatesLike> {
    (1..=N)
        .map(|i| {
            let message = gtl::enums::Message::Empty(gtl::types::MessageEmpty {
                id: i,
                peer_id: Some(gtl::enums::Peer::User(gtl::types::PeerUser { user_id: 42 })),
            });
            let update = gtl::enums::Update::NewMessage(gtl::types::UpdateNewMessage {
                message,
                pts: START + i,
                pts_count: 1,
            });
            UpdatesLike::Updates(gtl::enums::Updates::Updates(gtl::types::Updates {
                updates: vec![update],
                users: vec![],
                chats: vec![],
                date: 1,
                seq: 0,
            }))
        })
        .collect()
}

fn grammers_once() -> Duration {
    let mut boxes = MessageBoxes::new();
    boxes.set_state(gtl::types::updates::State {
        pts: START,
        qts: 0,
        date: 1,
        seq: 0,
        unread_count: 0,
    });
    let input = grammers_stream();
    let t = Instant::now();
    let mut delivered = 0usize;
    for u in input {
        let (updates, _, _) = boxes.process_updates(u).expect("no gap in order");
        delivered += updates.len();
    }
    let elapsed = t.elapsed();
    assert_eq!(delivered, N as usize);
    assert_eq!(boxes.session_state().pts, START + N);
    elapsed
}

fn engine_once() -> Duration {
    let t0 = Instant::now();
    let mut engine =
        Engine::new(EngineConfig::new(false), 1, State { pts: START, qts: 0, date: 1, seq: 0 }, t0);
    while engine.poll(t0).is_some() {}
    engine.apply_difference(Ok(Difference::Empty { date: 1, seq: 0 }), t0);
    while engine.poll(t0).is_some() {}
    let input = stream();
    let t = Instant::now();
    let mut delivered = 0usize;
    for u in input {
        let now = Instant::now();
        engine.handle_updates(u, now);
        while let Some(a) = engine.poll(now) {
            if let Action::Deliver(b) = a {
                delivered += b.updates.len();
            }
        }
    }
    let elapsed = t.elapsed();
    assert_eq!(delivered, N as usize);
    assert_eq!(engine.state().pts, START + N);
    elapsed
}

struct Count {
    seen: AtomicUsize,
    done: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl Handler for Count {
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
        let n = self.seen.fetch_add(batch.updates.len(), Ordering::Relaxed) + batch.updates.len();
        if n >= N as usize {
            self.done.notify_one();
        }
        Ok(())
    }
}

fn manager_once() -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let storage = Arc::new(MemoryStorage::new());
        storage.set_state(1, State { pts: START, qts: 0, date: 1, seq: 0 }).await.expect("seed");
        let count = Arc::new(Count { seen: AtomicUsize::new(0), done: tokio::sync::Notify::new() });
        let manager = Manager::new(
            Config::new(count.clone()).storage(storage.clone()).access_hasher(storage.clone()),
        );
        let runner = manager
            .auth(
                Arc::new(QuietClient { state: State { pts: START, qts: 0, date: 1, seq: 0 } }),
                1,
                false,
                false,
            )
            .await
            .expect("auth");
        let task = tokio::spawn(runner.run());
        tokio::time::sleep(Duration::from_millis(20)).await; // startup difference
        let input = stream();
        let t = Instant::now();
        for u in input {
            manager.handle(u).await.expect("handle");
        }
        count.done.notified().await;
        let elapsed = t.elapsed();
        manager.stop();
        task.await.expect("join").expect("run");
        assert_eq!(count.seen.load(Ordering::Relaxed), N as usize);
        assert_eq!(storage.get_state(1).await.expect("get").map(|s| s.pts), Some(START + N));
        elapsed
    })
}

fn best(f: impl Fn() -> Duration) -> Duration {
    (0..ROUNDS).map(|_| f()).min().unwrap_or_default()
}

fn per_second(d: Duration) -> f64 {
    f64::from(N) / d.as_secs_f64()
}

pub(crate) fn run() -> Vec<Record> {
    let grammers = best(grammers_once);
    let engine = best(engine_once);
    let manager = best(manager_once);
    vec![
        Record {
            name: "in_order_manager_1m",
            unit: "updates/s",
            ours: per_second(manager),
            baseline: per_second(grammers),
            note: "grammers-session 0.11 MessageBoxes",
        },
        Record {
            name: "in_order_engine_1m",
            unit: "updates/s",
            ours: per_second(engine),
            baseline: per_second(grammers),
            note: "grammers-session 0.11 MessageBoxes",
        },
    ]
}

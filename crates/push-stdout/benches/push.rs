//! `cargo xtask bench push`: receipts per second through `Registry::push`
//! to three ready handlers (two no-op, one stdout handler writing to a
//! sink), against a bare bounded tokio channel `try_send` of the same `Arc`
//! measured in the same run. Writes `$MSGKIT_BENCH_DIR/push.json`.

#![allow(clippy::print_stdout, reason = "a bench prints its table")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use push_core::conformance::sample_receipt;
use push_core::{
    ChannelReq, Counters, Deliver, DeliveryError, HandlerError, Mailbox, Plugin, Receipt, Registry,
};
use push_stdout::StdoutHandler;
use tokio::sync::mpsc;

/// Receipts pushed per timed round.
const RECEIPTS: usize = 1_000_000;
/// Timed rounds per contender; the median counts.
const ROUNDS: usize = 7;
/// Queue size of every handler and of the bare channels.
const BUFFER: usize = 1024;

/// A handler that accepts and forgets.
struct Noop(Mailbox);

struct Forget;

#[async_trait]
impl Deliver for Forget {
    async fn receipt(&mut self, _: Arc<Receipt>) -> Result<(), DeliveryError> {
        Ok(())
    }
    async fn channel(&mut self, _: Arc<ChannelReq>) -> Result<(), DeliveryError> {
        Ok(())
    }
}

#[async_trait]
impl Plugin for Noop {
    fn mailbox(&self) -> &Mailbox {
        &self.0
    }

    async fn setup(&self, _: &serde_json::Value) -> Result<bool, HandlerError> {
        self.0.start(BUFFER, Forget).map(|()| true)
    }
}

/// Receipts per second of `push` called `RECEIPTS` times in a task.
async fn on_worker<T>(
    mut push: impl FnMut() -> T + Send + 'static,
) -> Result<f64, tokio::task::JoinError> {
    tokio::spawn(async move {
        let start = Instant::now();
        for _ in 0..RECEIPTS {
            std::hint::black_box(push());
        }
        RECEIPTS as f64 / start.elapsed().as_secs_f64()
    })
    .await
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `count` bare bounded channels, each drained by a task.
fn bare_channels(count: usize) -> Vec<mpsc::Sender<Arc<Receipt>>> {
    (0..count)
        .map(|_| {
            let (tx, mut rx) = mpsc::channel::<Arc<Receipt>>(BUFFER);
            tokio::spawn(async move { while rx.recv().await.is_some() {} });
            tx
        })
        .collect()
}

async fn registry() -> Result<Registry, Box<dyn std::error::Error>> {
    let mut registry = Registry::new();
    registry.register("noop1", Arc::new(Noop(Mailbox::new("noop1"))))?;
    registry.register("noop2", Arc::new(Noop(Mailbox::new("noop2"))))?;
    registry.register("stdout", Arc::new(StdoutHandler::with_writer(tokio::io::sink())))?;
    let config = format!(
        r#"[{{"name":"noop1","config":{{}}}},{{"name":"noop2","config":{{}}}},
            {{"name":"stdout","config":{{"enabled":true,"buffer":{BUFFER}}}}}]"#
    );
    let enabled = registry.init(&config).await?;
    assert_eq!(enabled.len(), 3, "three ready handlers");
    Ok(registry)
}

struct Record {
    name: &'static str,
    ours: f64,
    baseline: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let receipt = Arc::new(sample_receipt(1));
    let (records, counters) = runtime.block_on(async {
        let registry = Arc::new(registry().await?);
        let one = Arc::new(bare_channels(1));
        let three = Arc::new(bare_channels(3));
        let (mut ours, mut bare_one, mut bare_three) = (vec![], vec![], vec![]);
        for _ in 0..ROUNDS {
            // The pusher is a task on one worker; the consumers run on the other.
            let (registry, shared) = (Arc::clone(&registry), Arc::clone(&receipt));
            ours.push(on_worker(move || registry.push(Arc::clone(&shared))).await?);
            let (one, shared1) = (Arc::clone(&one), Arc::clone(&receipt));
            bare_one.push(on_worker(move || one[0].try_send(Arc::clone(&shared1)).is_ok()).await?);
            let (three, shared3) = (Arc::clone(&three), Arc::clone(&receipt));
            bare_three.push(
                on_worker(move || {
                    three.iter().filter(|tx| tx.try_send(Arc::clone(&shared3)).is_ok()).count()
                })
                .await?,
            );
        }
        registry.stop(Duration::from_secs(10)).await;
        let counters: Vec<(String, Counters)> =
            registry.counters().into_iter().map(|(n, c)| (n.to_owned(), c)).collect();
        let ours = median(ours);
        let records = vec![
            Record {
                name: "Registry::push to 3 handlers vs 1 bare channel try_send",
                ours,
                baseline: median(bare_one),
            },
            Record {
                name: "Registry::push to 3 handlers vs 3 bare channels try_send",
                ours,
                baseline: median(bare_three),
            },
        ];
        Ok::<_, Box<dyn std::error::Error>>((records, counters))
    })?;
    report(&records, &counters)
}

fn report(
    records: &[Record],
    counters: &[(String, Counters)],
) -> Result<(), Box<dyn std::error::Error>> {
    println!("push: {RECEIPTS} receipts per round, median of {ROUNDS} rounds, queues of {BUFFER}");
    println!("{:<60} {:>14} {:>14} {:>7}", "benchmark (receipts/s)", "ours", "baseline", "ratio");
    let mut json = Vec::new();
    for r in records {
        let ratio = r.ours / r.baseline;
        println!("{:<60} {:>14.0} {:>14.0} {:>7.2}", r.name, r.ours, r.baseline, ratio);
        json.push(serde_json::json!({
            "name": r.name, "unit": "receipts/s", "ours": r.ours, "baseline": r.baseline, "ratio": ratio,
        }));
    }
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>7}",
        "handler", "accepted", "dropped", "delivered", "failed"
    );
    for (name, c) in counters {
        println!(
            "{name:<10} {:>10} {:>10} {:>10} {:>7}",
            c.accepted, c.dropped, c.delivered, c.failed
        );
    }
    if let Some(dir) = std::env::var_os("MSGKIT_BENCH_DIR") {
        let path = std::path::Path::new(&dir).join("push.json");
        std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

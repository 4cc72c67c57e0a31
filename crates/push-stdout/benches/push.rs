//! `cargo xtask bench push`: receipts per second through `Registry::push`
//! to three ready handlers (two no-op, one stdout handler writing to a
//! sink), against a bare bounded tokio channel `try_send` of the same `Arc`
//! measured in the same run. Also against three bare channels (the same
//! fan-out), and with every queue full (the drop path alone) against a
//! full bare channel. Writes `$MSGKIT_BENCH_DIR/push.json`.

#![allow(clippy::print_stdout, reason = "a bench prints its table")]

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use push_core::conformance::sample_receipt;
use push_core::{
    ChannelReq, Counters, Deliver, DeliveryError, HandlerError, Mailbox, Plugin, Receipt, Registry,
};
use push_stdout::StdoutHandler;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;

/// Receipts pushed per timed round.
const RECEIPTS: usize = 1_000_000;
/// Timed rounds per contender; the median counts.
const ROUNDS: usize = 7;
/// Queue size of every handler and of the bare channels.
const BUFFER: usize = 1024;

/// A handler that accepts and forgets, or (held) never finishes its first
/// delivery, so its queue stays full.
struct Noop {
    mailbox: Mailbox,
    held: bool,
}

struct Forget {
    held: bool,
}

#[async_trait]
impl Deliver for Forget {
    async fn receipt(&mut self, _: Arc<Receipt>) -> Result<(), DeliveryError> {
        if self.held {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
    async fn channel(&mut self, _: Arc<ChannelReq>) -> Result<(), DeliveryError> {
        Ok(())
    }
}

#[async_trait]
impl Plugin for Noop {
    fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    async fn setup(&self, _: &serde_json::Value) -> Result<bool, HandlerError> {
        self.mailbox.start(BUFFER, Forget { held: self.held }).map(|()| true)
    }
}

/// A writer that never completes a write: the stdout handler's queue fills.
struct Stall;

impl AsyncWrite for Stall {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Pending
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Pending
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Pending
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

/// Two no-op handlers and a stdout handler, all enabled; `held` ones never
/// finish a delivery, and their queues are filled before timing.
async fn registry(held: bool) -> Result<Registry, Box<dyn std::error::Error>> {
    let mut registry = Registry::new();
    for name in ["noop1", "noop2"] {
        registry.register(name, Arc::new(Noop { mailbox: Mailbox::new(name), held }))?;
    }
    let stdout = match held {
        true => StdoutHandler::with_writer(Stall),
        false => StdoutHandler::with_writer(tokio::io::sink()),
    };
    registry.register("stdout", Arc::new(stdout))?;
    let config = format!(
        r#"[{{"name":"noop1","config":{{}}}},{{"name":"noop2","config":{{}}}},
            {{"name":"stdout","config":{{"enabled":true,"buffer":{BUFFER}}}}}]"#
    );
    let enabled = registry.init(&config).await?;
    assert_eq!(enabled.len(), 3, "three ready handlers");
    if held {
        let receipt = Arc::new(sample_receipt(0));
        while registry.push(Arc::clone(&receipt)) > 0 {
            tokio::task::yield_now().await;
        }
    }
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
        let live = Arc::new(registry(false).await?);
        let full = Arc::new(registry(true).await?);
        let one = Arc::new(bare_channels(1));
        let three = Arc::new(bare_channels(3));
        // A bare channel nobody drains: every try_send finds it full.
        let (stuck, _keep) = mpsc::channel::<Arc<Receipt>>(BUFFER);
        while stuck.try_send(Arc::clone(&receipt)).is_ok() {}
        let stuck = Arc::new(stuck);
        let mut rates: [Vec<f64>; 5] = Default::default();
        for _ in 0..ROUNDS {
            // The pusher is a task on one worker; the consumers run on the other.
            let (r, s) = (Arc::clone(&live), Arc::clone(&receipt));
            rates[0].push(on_worker(move || r.push(Arc::clone(&s))).await?);
            let (c, s) = (Arc::clone(&one), Arc::clone(&receipt));
            rates[1].push(on_worker(move || c[0].try_send(Arc::clone(&s)).is_ok()).await?);
            let (c, s) = (Arc::clone(&three), Arc::clone(&receipt));
            rates[2].push(
                on_worker(move || {
                    c.iter().filter(|tx| tx.try_send(Arc::clone(&s)).is_ok()).count()
                })
                .await?,
            );
            let (r, s) = (Arc::clone(&full), Arc::clone(&receipt));
            rates[3].push(on_worker(move || r.push(Arc::clone(&s))).await?);
            let (c, s) = (Arc::clone(&stuck), Arc::clone(&receipt));
            rates[4].push(on_worker(move || c.try_send(Arc::clone(&s)).is_ok()).await?);
        }
        live.stop(Duration::from_secs(10)).await;
        full.stop(Duration::ZERO).await;
        let counters: Vec<(String, Counters)> =
            live.counters().into_iter().map(|(n, c)| (n.to_owned(), c)).collect();
        let [live, bare_one, bare_three, full, stuck] = rates.map(median);
        let records = vec![
            Record {
                name: "push to 3 live handlers vs 1 bare channel",
                ours: live,
                baseline: bare_one,
            },
            Record {
                name: "push to 3 live handlers vs 3 bare channels",
                ours: live,
                baseline: bare_three,
            },
            Record {
                name: "push to 3 full handlers vs 1 full bare channel",
                ours: full,
                baseline: stuck,
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

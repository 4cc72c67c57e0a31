//! `cargo xtask bench push`: receipts per second through `Registry::push`
//! to three ready handlers (two no-op, one stdout handler writing to a
//! sink), against bare bounded tokio channel `try_send`s of the same `Arc`
//! (one channel, and three: the same fan-out), measured in the same run, in
//! three regimes that are reported separately because a full queue's
//! refusal is much cheaper than an accepted send:
//! - free-running: consumers drain as fast as they can; the accepted
//!   fraction is whatever the race gives (printed for both sides). As
//!   refusing is cheaper than accepting, receipts/s rewards a side whose
//!   consumers fall behind, so the same rounds are also reported as
//!   receipts each queue accepted per second ("taken");
//! - all accepted: batches of one queue's worth into emptied queues, only
//!   the batches timed;
//! - all dropped: every queue full, nobody draining.
//!
//! Writes `$MSGKIT_BENCH_DIR/push.json`.

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
const ROUNDS: usize = 5;
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

/// One contender's round: offers per second (one offer = one receipt to
/// one queue) and the fraction of offers accepted.
#[derive(Clone, Copy, Default)]
struct Rate {
    offers_per_s: f64,
    accepted: f64,
}

/// Receipts per second of `push` (which makes `queues` offers and returns
/// how many were accepted) called `RECEIPTS` times on a thread of the
/// blocking pool, so the consumers it wakes go to the runtime's shared
/// queue: woken from a runtime worker, a consumer lands in that worker's
/// LIFO slot, which other workers cannot steal, and a lone bare channel's
/// consumer then barely ran until the pusher finished (0.1 % of offers
/// accepted, against 16 % from this thread).
async fn off_runtime(
    queues: usize,
    mut push: impl FnMut() -> usize + Send + 'static,
) -> Result<(f64, Rate), tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let mut accepted = 0;
        for _ in 0..RECEIPTS {
            accepted += std::hint::black_box(push());
        }
        let secs = start.elapsed().as_secs_f64();
        let offers = (RECEIPTS * queues) as f64;
        (
            RECEIPTS as f64 / secs,
            Rate { offers_per_s: offers / secs, accepted: accepted as f64 / offers },
        )
    })
    .await
}

/// Receipts per second of `push` into queues that are empty before every
/// batch of `BUFFER` receipts, so every offer is accepted: only the batches
/// are timed; between them `drained` is awaited (untimed) until the
/// consumers have emptied the queues.
async fn batched(
    queues: usize,
    mut push: impl FnMut() -> usize + Send + 'static,
    drained: impl Fn() -> bool + Send + 'static,
) -> Result<(f64, Rate), tokio::task::JoinError> {
    tokio::spawn(async move {
        let mut timed = Duration::ZERO;
        let mut accepted = 0;
        for _ in 0..RECEIPTS / BUFFER {
            while !drained() {
                tokio::task::yield_now().await;
            }
            let start = Instant::now();
            for _ in 0..BUFFER {
                accepted += std::hint::black_box(push());
            }
            timed += start.elapsed();
        }
        let receipts = (RECEIPTS / BUFFER * BUFFER) as f64;
        let secs = timed.as_secs_f64();
        let offers = receipts * queues as f64;
        (receipts / secs, Rate { offers_per_s: offers / secs, accepted: accepted as f64 / offers })
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
    unit: &'static str,
    ours: (f64, Rate),
    baseline: (f64, Rate),
}

/// A free-running contender's receipts/s turned into receipts each queue
/// (handler) accepted per second: what its consumer got to deliver.
fn taken(rate: (f64, Rate)) -> (f64, Rate) {
    (rate.0 * rate.1.accepted, rate.1)
}

/// Medians over the rounds of receipts/s, offers/s and accepted fraction.
fn summary(rounds: &[(f64, Rate)]) -> (f64, Rate) {
    let pick = |f: fn(&(f64, Rate)) -> f64| median(rounds.iter().map(f).collect());
    (
        pick(|r| r.0),
        Rate { offers_per_s: pick(|r| r.1.offers_per_s), accepted: pick(|r| r.1.accepted) },
    )
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
        // Bare channels nobody drains: every try_send finds them full.
        let mut keep = Vec::new();
        let stuck: Vec<_> = (0..3)
            .map(|_| {
                let (tx, rx) = mpsc::channel::<Arc<Receipt>>(BUFFER);
                while tx.try_send(Arc::clone(&receipt)).is_ok() {}
                keep.push(rx);
                tx
            })
            .collect();
        let stuck = Arc::new(stuck);
        let bare = |c: &Arc<Vec<mpsc::Sender<Arc<Receipt>>>>, n: usize| {
            let (c, s) = (Arc::clone(c), Arc::clone(&receipt));
            move || c[..n].iter().filter(|tx| tx.try_send(Arc::clone(&s)).is_ok()).count()
        };
        let ours = |r: &Arc<Registry>| {
            let (r, s) = (Arc::clone(r), Arc::clone(&receipt));
            move || r.push(Arc::clone(&s))
        };
        let bare_drained = |c: &Arc<Vec<mpsc::Sender<Arc<Receipt>>>>| {
            let c = Arc::clone(c);
            move || c.iter().all(|tx| tx.capacity() == tx.max_capacity())
        };
        let ours_drained = {
            let r = Arc::clone(&live);
            move || r.counters().iter().all(|(_, c)| c.pending() == 0)
        };
        let mut rates: [Vec<(f64, Rate)>; 9] = Default::default();
        for _ in 0..ROUNDS {
            // Free-running and all-dropped pushers run off the runtime, the
            // all-accepted ones in a task that waits (untimed) for the drain.
            rates[0].push(off_runtime(3, ours(&live)).await?);
            rates[1].push(off_runtime(1, bare(&one, 1)).await?);
            rates[2].push(off_runtime(3, bare(&three, 3)).await?);
            rates[3].push(batched(3, ours(&live), ours_drained.clone()).await?);
            rates[4].push(batched(1, bare(&one, 1), bare_drained(&one)).await?);
            rates[5].push(batched(3, bare(&three, 3), bare_drained(&three)).await?);
            rates[6].push(off_runtime(3, ours(&full)).await?);
            rates[7].push(off_runtime(1, bare(&stuck, 1)).await?);
            rates[8].push(off_runtime(3, bare(&stuck, 3)).await?);
        }
        live.stop(Duration::from_secs(10)).await;
        full.stop(Duration::ZERO).await;
        let counters: Vec<(String, Counters)> =
            live.counters().into_iter().map(|(n, c)| (n.to_owned(), c)).collect();
        let [live, one, three, live_b, one_b, three_b, full, stuck1, stuck3] =
            rates.map(|r| summary(&r));
        let record = |name, ours, baseline| Record { name, unit: "receipts/s", ours, baseline };
        let per_queue = "receipts/s accepted per queue";
        let records = vec![
            record("free-running: 3 live handlers vs 1 drained bare channel", live, one),
            record("free-running: 3 live handlers vs 3 drained bare channels", live, three),
            Record {
                name: "free-running, taken per queue: 3 live handlers vs 1 drained bare channel",
                unit: per_queue,
                ours: taken(live),
                baseline: taken(one),
            },
            Record {
                name: "free-running, taken per queue: 3 live handlers vs 3 drained bare channels",
                unit: per_queue,
                ours: taken(live),
                baseline: taken(three),
            },
            record("all accepted: 3 emptied handlers vs 1 emptied bare channel", live_b, one_b),
            record("all accepted: 3 emptied handlers vs 3 emptied bare channels", live_b, three_b),
            record("all dropped: 3 full handlers vs 1 full bare channel", full, stuck1),
            record("all dropped: 3 full handlers vs 3 full bare channels", full, stuck3),
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
    println!(
        "receipts/s: one receipt = one push (ours: to 3 handlers) or one try_send per bare channel"
    );
    println!("acc: fraction of offers (receipt x queue) accepted; the rest found the queue full");
    println!(
        "{:<74} {:>12} {:>5} {:>12} {:>5} {:>6}",
        "benchmark (receipts/s; \"taken\": accepted by each queue per second)",
        "ours",
        "acc",
        "baseline",
        "acc",
        "ratio"
    );
    let mut json = Vec::new();
    for r in records {
        let ((ours, ours_rate), (base, base_rate)) = (r.ours, r.baseline);
        let ratio = ours / base;
        println!(
            "{:<74} {:>12.0} {:>5.3} {:>12.0} {:>5.3} {:>6.2}",
            r.name, ours, ours_rate.accepted, base, base_rate.accepted, ratio
        );
        json.push(serde_json::json!({
            "name": r.name, "unit": r.unit, "ours": ours, "baseline": base, "ratio": ratio,
            "ours_offers_per_s": ours_rate.offers_per_s,
            "baseline_offers_per_s": base_rate.offers_per_s,
            "ours_accepted_fraction": ours_rate.accepted,
            "baseline_accepted_fraction": base_rate.accepted,
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

//! `cargo xtask bench vk`: requests per second for a realistic `message_new`
//! (secret check, dedup, typed decoding, a handler) against a bare hyper
//! server that parses the same JSON and answers `ok`, both measured in the
//! same run by an in-process hyper client on loopback. Writes
//! `$MSGKIT_BENCH_DIR/vk.json`.
//!
//! Each server runs on its own single-threaded runtime and OS thread; the
//! load generator runs on another, so the two cores are split as a pinned
//! server and client would split them. Every request carries a fresh
//! `event_id`, as VK's do, so deduplication does its real work.
//!
//! The machine is shared and noisy, so the two servers are measured in many
//! short rounds, back to back, alternating which goes first; each ratio is
//! the median of the rounds' paired ratios. Besides req/s it reports each
//! server thread's CPU time per request (`/proc` schedstat, nanoseconds),
//! and `Callback::handle` alone against the bare server's answer, in process
//! without sockets.

#![allow(clippy::print_stdout, reason = "a benchmark prints its table")]

#[path = "vk/attack.rs"]
mod attack;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use vk_callback::{Callback, Server};

const CONNECTIONS: usize = 32;
const ROUNDS: usize = 24;
const ROUND: Duration = Duration::from_secs(1);
const WARMUP: Duration = Duration::from_secs(1);
const SECRET: &str = "aQ3f9Kx2Lm8Pz4Rt7Vw1Yb6N";

/// A `message_new` like VK's, split around its `event_id`.
struct Template {
    head: String,
    tail: String,
}

impl Template {
    /// VK's field order: `type` first, `secret` last.
    fn new() -> Self {
        let object = json!({
            "message": {
                "date": 1763780000, "from_id": 553287195, "id": 1822, "out": 0, "version": 10002371,
                "attachments": [], "conversation_message_id": 941, "fwd_messages": [],
                "important": false, "is_hidden": false, "peer_id": 553287195, "random_id": 0,
                "text": "Привет! Подскажите, пожалуйста, как оформить заказ?",
                "payload": "{\"command\":\"start\"}"
            },
            "client_info": {
                "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback", "intent_subscribe", "intent_unsubscribe"],
                "keyboard": true, "inline_keyboard": true, "carousel": true, "lang_id": 0
            }
        });
        Self {
            head: r#"{"type":"message_new","object":"#.to_owned()
                + &object.to_string()
                + r#","group_id":218375169,"event_id":""#,
            tail: format!(r#"","v":"5.199","secret":"{SECRET}"}}"#),
        }
    }

    fn body(&self, id: u64) -> Bytes {
        Bytes::from(format!("{}{id:016x}{}", self.head, self.tail))
    }
}

/// A server under test: its address, its thread's id, how to stop it.
struct Running {
    addr: SocketAddr,
    tid: Option<String>,
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

/// User and system CPU time a thread of this process has used, from
/// `/proc` (Linux only).
fn thread_cpu(tid: Option<&str>) -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{}/stat", tid?)).ok()?;
    // Fields after the command name (which is in parentheses).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    // The kernel reports clock ticks; USER_HZ is 100 on Linux.
    Some((Duration::from_millis(user * 10), Duration::from_millis(system * 10)))
}

/// Runs a server on its own thread and single-threaded runtime.
fn spawn_server<F, Fut>(serve: F) -> Running
where
    F: FnOnce(TcpListener, oneshot::Receiver<()>) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel();
    let thread = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        rt.block_on(async move {
            let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { return };
            let Ok(addr) = listener.local_addr() else { return };
            let tid = std::fs::read_link("/proc/thread-self")
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
            let _ = addr_tx.send((addr, tid));
            serve(listener, stop_rx).await;
        });
    });
    let (addr, tid) = addr_rx.recv().unwrap_or_else(|_| panic!("server thread failed to start"));
    Running { addr, tid, stop: stop_tx, thread }
}

/// The server under test: secret, confirmation, dedup (default), one
/// `message_new` handler that reads the message.
fn callback() -> Callback {
    static HANDLED: AtomicUsize = AtomicUsize::new(0);
    Callback::builder()
        .secret(SECRET)
        .confirmation("3e4b2c1a")
        .message_new(|ctx, new| async move {
            let work = new.message.text.len() + usize::from(ctx.retry_counter() == 0);
            HANDLED.fetch_add(work, Ordering::Relaxed);
        })
        .build()
}

async fn ours(listener: TcpListener, stop: oneshot::Receiver<()>) {
    Server::from_listener(listener, callback())
        .run_until(async move {
            let _ = stop.await;
        })
        .await;
}

/// The bare server's whole answer to one request body: parse it into a
/// `serde_json::Value`, answer `ok` (or 400).
async fn bare_answer<B: hyper::body::Body>(request: Request<B>) -> Response<Full<Bytes>> {
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let text = match serde_json::from_slice::<Value>(&body) {
        Ok(_) => "ok",
        Err(_) => "Bad Request\n",
    };
    Response::new(Full::new(Bytes::from_static(text.as_bytes())))
}

async fn bare(listener: TcpListener, mut stop: oneshot::Receiver<()>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = &mut stop => return,
        };
        let _ = stream.set_nodelay(true);
        let service = service_fn(|request: Request<Incoming>| async move {
            Ok::<_, Infallible>(bare_answer(request).await)
        });
        tokio::spawn(
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service),
        );
    }
}

/// Drives `addr` with `CONNECTIONS` keep-alive connections for `length`.
/// Returns requests per second and the p50 and p99 latency in ms.
async fn drive(
    addr: SocketAddr,
    template: Arc<Template>,
    ids: Arc<AtomicU64>,
    length: Duration,
) -> (f64, f64, f64) {
    let start = Instant::now();
    let deadline = start + length;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (template, ids) = (template.clone(), ids.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
                    return latencies;
                };
                let _ = stream.set_nodelay(true);
                let Ok((mut sender, conn)) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
                else {
                    return latencies;
                };
                tokio::spawn(conn);
                while Instant::now() < deadline {
                    let body = template.body(ids.fetch_add(1, Ordering::Relaxed));
                    let Ok(request) = Request::post("/").body(Full::new(body)) else { break };
                    let sent = Instant::now();
                    let Ok(response) = sender.send_request(request).await else { break };
                    let ok = response.status() == 200;
                    let Ok(body) = response.into_body().collect().await else { break };
                    assert!(ok && body.to_bytes() == "ok", "the server must answer ok");
                    latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap_or_default());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    (all.len() as f64 / elapsed, pick(0.5), pick(0.99))
}

/// Timed batches per side in the in-process comparison (after one warm-up
/// batch each), and requests per batch.
const SETS: usize = 101;
const BATCH: usize = 1_000;

/// The request handling alone, without sockets or hyper's connection code:
/// nanoseconds per request of `Callback::handle` and of the bare server's
/// `bare_answer`, on fresh bodies (new `event_id`s) built before each timed
/// batch. Sides alternate batch by batch; medians over `SETS` batches.
fn in_process(template: &Template, ids: &AtomicU64) -> (f64, f64) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        panic!("no runtime");
    };
    let callback = callback();
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    rt.block_on(async {
        for set in 0..=SETS {
            for (side, times) in times.iter_mut().enumerate() {
                let requests: Vec<_> = (0..BATCH)
                    .filter_map(|_| {
                        let body = template.body(ids.fetch_add(1, Ordering::Relaxed));
                        Request::post("/")
                            .header(hyper::header::CONTENT_LENGTH, body.len())
                            .body(Full::new(body))
                            .ok()
                    })
                    .collect();
                let start = Instant::now();
                for request in requests {
                    let response = if side == 0 {
                        callback.handle(request).await
                    } else {
                        bare_answer(request).await
                    };
                    assert_eq!(response.status(), 200, "the request must be answered ok");
                    std::hint::black_box(response);
                }
                if set > 0 {
                    times.push(start.elapsed().as_secs_f64() * 1e9 / BATCH as f64);
                }
            }
        }
    });
    let [ours, bare] = times;
    (median(ours), median(bare))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// One measured round: requests per second, p50 and p99 latency in ms,
/// the server thread's CPU time per request in µs, and the user-space part
/// of it (NaN off Linux). The kernel part is mostly loopback sends and waking
/// the client, the same work for both servers.
type Sample = (f64, f64, f64, f64, f64);

/// CPU time a server thread has used: the total in nanoseconds from
/// `schedstat` (precise) and the user part from `stat` (10 ms ticks).
fn cpu_now(server: &Running) -> Option<(f64, f64)> {
    let tid = server.tid.as_deref()?;
    let sched = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    let total: f64 = sched.split_whitespace().next()?.parse().ok()?;
    let (user, _) = thread_cpu(Some(tid))?;
    Some((total / 1e3, user.as_secs_f64() * 1e6))
}

async fn round(
    server: &Running,
    template: &Arc<Template>,
    ids: &Arc<AtomicU64>,
    length: Duration,
) -> Sample {
    let before = cpu_now(server);
    let (rps, p50, p99) = drive(server.addr, template.clone(), ids.clone(), length).await;
    let requests = rps * length.as_secs_f64();
    let (cpu, user) = match (before, cpu_now(server)) {
        (Some((t0, u0)), Some((t1, u1))) => ((t1 - t0) / requests, (u1 - u0) / requests),
        _ => (f64::NAN, f64::NAN),
    };
    (rps, p50, p99, cpu, user)
}

const NAMES: [&str; 2] = ["vk-callback", "bare hyper"];

fn main() {
    if attack::serve_if_child() {
        return;
    }
    let template = Arc::new(Template::new());
    let ids = Arc::new(AtomicU64::new(0));
    let (alone_ours, alone_bare) = in_process(&template, &ids);
    println!(
        "in process: Callback::handle {alone_ours:.0} ns/req, bare answer {alone_bare:.0} ns/req"
    );
    let servers = [spawn_server(ours), spawn_server(bare)];
    let Ok(client) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        panic!("no runtime");
    };
    let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
    client.block_on(async {
        for server in &servers {
            round(server, &template, &ids, WARMUP).await;
        }
        for n in 0..ROUNDS {
            // Alternate which server goes first, so a drift in the
            // machine's load falls on both alike.
            let order = if n % 2 == 0 { [0, 1] } else { [1, 0] };
            for index in order {
                let sample = round(&servers[index], &template, &ids, ROUND).await;
                println!(
                    "round {:>2} {:<11} {:>9.0} req/s  p50 {:.3} ms  p99 {:.3} ms  server cpu {:.1} µs/req ({:.1} user)",
                    n + 1,
                    NAMES[index],
                    sample.0,
                    sample.1,
                    sample.2,
                    sample.3,
                    sample.4,
                );
                samples[index].push(sample);
            }
        }
    });
    for server in servers {
        let _ = server.stop.send(());
        let _ = server.thread.join();
    }

    // Ratios are medians of the rounds' paired ratios (each round's two
    // measurements ran back to back); the values are medians over rounds.
    let column = |i: usize, f: fn(&Sample) -> f64| median(samples[i].iter().map(f).collect());
    let paired = |f: fn(&Sample) -> f64| {
        median(samples[0].iter().zip(&samples[1]).map(|(a, b)| f(a) / f(b)).collect())
    };
    let network =
        |name, unit, f: fn(&Sample) -> f64| (name, unit, column(0, f), column(1, f), paired(f));
    let records = [
        network("message_new requests per second", "req/s", |s| s.0),
        network("message_new p50 latency", "ms", |s| s.1),
        network("message_new p99 latency", "ms", |s| s.2),
        network("message_new server cpu per request", "us", |s| s.3),
        network("message_new server user cpu per request", "us", |s| s.4),
        (
            "message_new handling alone, in process",
            "ns",
            alone_ours,
            alone_bare,
            alone_ours / alone_bare,
        ),
    ];
    // The slow-body attack, each server in its own process.
    let attacked = NAMES.map(|name| {
        let reading = attack::run(if name == NAMES[0] { "ours" } else { "bare" });
        println!(
            "slow-body attack {name:<11} RSS {:.1} MiB before, peak {:.1}, {:.1} two seconds after ({:.1} s)",
            reading.before, reading.peak, reading.after, reading.seconds
        );
        reading
    });
    let [ours_attacked, bare_attacked] = &attacked;
    let attack = |name, f: fn(&attack::Reading) -> f64| {
        let (ours, bare) = (f(ours_attacked), f(bare_attacked));
        (name, "MiB", ours, bare, ours / bare)
    };
    let records = [
        attack("slow-body attack: RSS before", |r| r.before),
        attack("slow-body attack: peak RSS", |r| r.peak),
        attack("slow-body attack: RSS 2 s after", |r| r.after),
    ]
    .into_iter()
    .chain(records);
    println!();
    println!(
        "{:<40} {:>12} {:>12} {:>8}",
        format!("vk ({CONNECTIONS} connections, medians of {ROUNDS})"),
        NAMES[0],
        NAMES[1],
        "ratio"
    );
    let mut json_records = Vec::new();
    for (name, unit, ours, baseline, ratio) in records {
        println!("{name:<40} {ours:>12.2} {baseline:>12.2} {ratio:>8.3}  {unit}");
        json_records.push(
            json!({"name": name, "unit": unit, "ours": ours, "baseline": baseline, "ratio": ratio}),
        );
    }
    let dir = std::env::var("MSGKIT_BENCH_DIR").unwrap_or_else(|_| "target/bench".into());
    let path = std::path::Path::new(&dir).join("vk.json");
    let text = serde_json::to_string_pretty(&json_records).unwrap_or_default();
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
        panic!("cannot write {}: {e}", path.display());
    }
    println!("wrote {}", path.display());
}

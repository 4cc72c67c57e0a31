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

#![allow(clippy::print_stdout, reason = "a benchmark prints its table")]

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
const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_secs(2);
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

async fn ours(listener: TcpListener, stop: oneshot::Receiver<()>) {
    static HANDLED: AtomicUsize = AtomicUsize::new(0);
    let callback = Callback::builder()
        .secret(SECRET)
        .confirmation("3e4b2c1a")
        .message_new(|ctx, new| async move {
            let work = new.message.text.len() + usize::from(ctx.retry_counter() == 0);
            HANDLED.fetch_add(work, Ordering::Relaxed);
        })
        .build();
    Server::from_listener(listener, callback)
        .run_until(async move {
            let _ = stop.await;
        })
        .await;
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
            let body =
                request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let text = match serde_json::from_slice::<Value>(&body) {
                Ok(_) => "ok",
                Err(_) => "Bad Request\n",
            };
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(text.as_bytes()))))
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

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// One measured round: requests per second, p50 and p99 latency in ms,
/// the server thread's CPU time per request in µs, and the user-space part
/// of it (NaN off Linux). The kernel part is mostly loopback sends and waking
/// the client, the same work for both servers.
type Sample = (f64, f64, f64, f64, f64);

async fn round(
    server: &Running,
    template: &Arc<Template>,
    ids: &Arc<AtomicU64>,
    length: Duration,
) -> Sample {
    let cpu_before = thread_cpu(server.tid.as_deref());
    let (rps, p50, p99) = drive(server.addr, template.clone(), ids.clone(), length).await;
    let requests = rps * length.as_secs_f64();
    let (cpu, user) = match (cpu_before, thread_cpu(server.tid.as_deref())) {
        (Some((u0, s0)), Some((u1, s1))) => {
            let user = (u1 - u0).as_secs_f64() * 1e6 / requests;
            (user + (s1 - s0).as_secs_f64() * 1e6 / requests, user)
        }
        _ => (f64::NAN, f64::NAN),
    };
    (rps, p50, p99, cpu, user)
}

fn main() {
    let template = Arc::new(Template::new());
    let ids = Arc::new(AtomicU64::new(0));
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
            for (index, server) in servers.iter().enumerate() {
                let sample = round(server, &template, &ids, ROUND).await;
                println!(
                    "round {} {:<11} {:>9.0} req/s  p50 {:.3} ms  p99 {:.3} ms  server cpu {:.1} µs/req ({:.1} user)",
                    n + 1,
                    ["vk-callback", "bare hyper"][index],
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

    let column = |i: usize, f: fn(&Sample) -> f64| median(samples[i].iter().map(f).collect());
    let records = [
        ("message_new requests per second", "req/s", column(0, |s| s.0), column(1, |s| s.0)),
        ("message_new p50 latency", "ms", column(0, |s| s.1), column(1, |s| s.1)),
        ("message_new p99 latency", "ms", column(0, |s| s.2), column(1, |s| s.2)),
        ("message_new server cpu per request", "us", column(0, |s| s.3), column(1, |s| s.3)),
        ("message_new server user cpu per request", "us", column(0, |s| s.4), column(1, |s| s.4)),
    ];
    println!();
    println!(
        "{:<40} {:>12} {:>12} {:>8}",
        format!("vk ({CONNECTIONS} connections, median of {ROUNDS})"),
        "vk-callback",
        "bare hyper",
        "ratio"
    );
    let mut json_records = Vec::new();
    for (name, unit, ours, baseline) in records {
        let ratio = ours / baseline;
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

//! `cargo xtask bench fcm`: 10,000 device tokens sent to the loopback fake
//! FCM over h2c, contenders in the same run against the same server:
//! - ours: the plugin's send path, `Dispatcher::run` (serialising each
//!   `Message`, token cache, permits, retry policy, one outcome per
//!   message) over `FcmClient`;
//! - baseline: a bare hyper HTTP/2 client (`hyper::client::conn::http2`,
//!   one connection) posting the same bodies, prepared before timing, with
//!   the same number in flight;
//! - two breakdown rows that say where ours loses to the baseline:
//!   `FcmClient::send` from 100 workers (no dispatcher), and hyper-util's
//!   pooled client (what `FcmClient` sends with) posting the prepared
//!   bodies;
//! - peer (when `MSGKIT_FCM_PEER_PYTHON` names a Python with
//!   `firebase-admin`, which `cargo xtask bench fcm` installs into a cached
//!   venv): the official Python Admin SDK's `send_each` in batches of 500
//!   (its maximum), endpoints pointed at the fake.
//!
//! The contenders take turns (each in each position), `ROUNDS` rounds
//! each; the table gives the median messages/s and the median of the
//! paired ratios (each against the baseline of its own round). Peak RSS is
//! the whole bench process (fake server included) from `/proc`.
//! Writes `$MSGKIT_BENCH_DIR/fcm.json`.

#![allow(clippy::print_stdout, reason = "a bench prints its table")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use push_fcm::testkit::FakeFcm;
use push_fcm::{
    AndroidConfig, AndroidPriority, DispatchConfig, Dispatcher, FcmClient, Job, Message, Outcome,
    Owner, ProtoDuration, RetryPolicy, Target,
};

/// Device tokens (messages) per round.
const TOKENS: usize = 10_000;
/// Timed rounds per contender.
const ROUNDS: usize = 9;
/// Requests in flight, both sides.
const CONCURRENCY: usize = 100;

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A Tinode-like message to one token.
fn message(i: usize) -> Message {
    let mut message =
        Message::new(Target::Token(format!("bench-token-{i:05}-{}", "x".repeat(140))));
    message.data = BTreeMap::from([
        ("what".to_owned(), "msg".to_owned()),
        ("topic".to_owned(), "grpQuickBrownFox".to_owned()),
        ("ts".to_owned(), "2024-01-02T03:04:05.678Z".to_owned()),
        ("xfrom".to_owned(), "usrAlice".to_owned()),
        ("seq".to_owned(), (i + 1).to_string()),
        ("mime".to_owned(), "text/plain".to_owned()),
        (
            "content".to_owned(),
            format!("message number {i}: the quick brown fox jumps over the lazy dog"),
        ),
    ]);
    message.android = Some(AndroidConfig {
        priority: Some(AndroidPriority::High),
        ttl: Some(ProtoDuration(Duration::from_secs(3600))),
        ..AndroidConfig::default()
    });
    message
}

async fn ours(dispatcher: &Dispatcher, messages: &[Message]) -> BoxResult<f64> {
    let jobs: Vec<Job> = messages
        .iter()
        .map(|m| Job { receipt: 1, owner: Owner::User("usrBob".into()), message: m.clone() })
        .collect();
    let start = Instant::now();
    let outcomes = dispatcher.run(jobs).await;
    let elapsed = start.elapsed().as_secs_f64();
    let delivered = outcomes.iter().filter(|o| **o == Outcome::Delivered).count();
    if delivered != messages.len() {
        return Err(format!("ours: {delivered} of {} delivered", messages.len()).into());
    }
    Ok(messages.len() as f64 / elapsed)
}

/// `FcmClient::send` from `CONCURRENCY` worker tasks (no dispatcher):
/// splits the client's cost from the dispatcher's.
async fn client_only(client: &FcmClient, messages: &Arc<Vec<Message>>) -> BoxResult<f64> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, next, messages) = (client.clone(), Arc::clone(&next), Arc::clone(messages));
        workers.spawn(async move {
            let mut ok = 0usize;
            while let Some(message) = messages.get(next.fetch_add(1, Ordering::Relaxed)) {
                ok += usize::from(client.send(message).await.is_ok());
            }
            ok
        });
    }
    let mut ok = 0;
    while let Some(done) = workers.join_next().await {
        ok += done?;
    }
    if ok != messages.len() {
        return Err(format!("client: {ok} of {} delivered", messages.len()).into());
    }
    Ok(messages.len() as f64 / start.elapsed().as_secs_f64())
}

/// hyper-util's pooled legacy client (what `FcmClient` uses) posting the
/// prepared bodies: splits the pool's cost from the rest of the client.
async fn legacy(bare: &Bare, bodies: &Arc<Vec<Bytes>>) -> BoxResult<f64> {
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.set_nodelay(true);
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build(http);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, next, bodies) = (client.clone(), Arc::clone(&next), Arc::clone(bodies));
        let (uri, bearer) = (bare.uri.clone(), bare.bearer.clone());
        workers.spawn(async move {
            let mut ok = 0usize;
            while let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) {
                let mut request = Request::new(Full::new(body.clone()));
                *request.method_mut() = hyper::Method::POST;
                *request.uri_mut() = uri.clone();
                request.headers_mut().insert(hyper::header::AUTHORIZATION, bearer.clone());
                let response = client.request(request).await?;
                let status = response.status();
                response.into_body().collect().await?;
                ok += usize::from(status == hyper::StatusCode::OK);
            }
            Ok::<_, BoxError>(ok)
        });
    }
    let mut ok = 0;
    while let Some(done) = workers.join_next().await {
        ok += done??;
    }
    if ok != bodies.len() {
        return Err(format!("legacy: {ok} of {} delivered", bodies.len()).into());
    }
    Ok(bodies.len() as f64 / start.elapsed().as_secs_f64())
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A bare HTTP/2 connection with a bearer token.
struct Bare {
    sender: hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    uri: hyper::Uri,
    bearer: hyper::header::HeaderValue,
}

async fn bare_connect(fake: &FakeFcm) -> BoxResult<Bare> {
    let stream = tokio::net::TcpStream::connect(fake.addr()).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let account = fake.service_account();
    let iat = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
        account.assertion(push_fcm::FCM_SCOPE, iat)?
    );
    let request = Request::post(fake.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form)))?;
    let answer = sender.send_request(request).await?.into_body().collect().await?.to_bytes();
    let token: serde_json::Value = serde_json::from_slice(&answer)?;
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap_or(""));
    let uri = format!("{}/v1/projects/{}/messages:send", fake.base_url(), account.project_id())
        .parse()?;
    Ok(Bare { sender, uri, bearer: bearer.parse()? })
}

async fn baseline(bare: &Bare, bodies: &Arc<Vec<Bytes>>) -> BoxResult<f64> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (mut sender, next, bodies) =
            (bare.sender.clone(), Arc::clone(&next), Arc::clone(bodies));
        let (uri, bearer) = (bare.uri.clone(), bare.bearer.clone());
        workers.spawn(async move {
            let mut ok = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { return Ok::<_, hyper::Error>(ok) };
                let mut request = Request::new(Full::new(body.clone()));
                *request.method_mut() = hyper::Method::POST;
                *request.uri_mut() = uri.clone();
                let headers = request.headers_mut();
                headers.insert(hyper::header::AUTHORIZATION, bearer.clone());
                headers.insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/json"),
                );
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let status = response.status();
                response.into_body().collect().await?;
                ok += usize::from(status == hyper::StatusCode::OK);
            }
        });
    }
    let mut ok = 0;
    while let Some(done) = workers.join_next().await {
        ok += done??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    if ok != bodies.len() {
        return Err(format!("baseline: {ok} of {} delivered", bodies.len()).into());
    }
    Ok(bodies.len() as f64 / elapsed)
}

/// The Python Admin SDK peer: messages/s as the script measured it.
fn peer(fake: &FakeFcm, python: &str) -> BoxResult<f64> {
    let dir = std::env::temp_dir().join(format!("msgkit-fcm-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let key = dir.join("key.json");
    std::fs::write(&key, push_fcm::testkit::service_account_json(fake.token_url()))?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/fcm_peer.py");
    let output = std::process::Command::new(python)
        .args([script, &key.display().to_string(), fake.base_url(), &TOKENS.to_string()])
        .output()?;
    std::fs::remove_dir_all(&dir)?;
    if !output.status.success() {
        return Err(format!("peer failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("messages_per_s "))
        .ok_or("peer printed no rate")?;
    Ok(line.trim().parse()?)
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).unwrap_or("0 kB");
    line.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> BoxResult<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(run())
}

async fn run() -> BoxResult<()> {
    let fake = FakeFcm::start().await?;
    fake.stop_recording();
    let messages: Vec<Message> = (0..TOKENS).map(message).collect();
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        messages
            .iter()
            .map(|m| serde_json::to_vec(&serde_json::json!({"message": m})).map(Bytes::from))
            .collect::<Result<_, _>>()?,
    );
    let config = push_fcm::ClientConfig { concurrency: CONCURRENCY, ..fake.client_config() };
    let client = FcmClient::new(fake.service_account(), config)?;
    let dispatch = DispatchConfig {
        policy: RetryPolicy::standard(),
        concurrency: CONCURRENCY,
        validate_only: false,
        seed: 1,
    };
    let dispatcher = Dispatcher::new(client.clone(), None, dispatch, None);
    let shared_messages = Arc::new(messages.clone());
    let bare = bare_connect(&fake).await?;
    // Warm-up: connections, the token, allocator.
    ours(&dispatcher, &messages[..1000]).await?;
    baseline(&bare, &Arc::new(bodies[..1000].to_vec())).await?;
    let rss_before = peak_rss_kib();
    let (mut our_rates, mut base_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut client_rates, mut client_ratios) = (Vec::new(), Vec::new());
    let (mut legacy_rates, mut legacy_ratios) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Each contender takes each position in turn (the machine is shared).
        let (mut o, mut b, mut c, mut l) = (0.0, 0.0, 0.0, 0.0);
        for slot in 0..4 {
            match (round + slot) % 4 {
                0 => o = ours(&dispatcher, &messages).await?,
                1 => b = baseline(&bare, &bodies).await?,
                2 => l = legacy(&bare, &bodies).await?,
                _ => c = client_only(&client, &shared_messages).await?,
            }
        }
        legacy_rates.push(l);
        legacy_ratios.push(l / b);
        println!(
            "round {}/{ROUNDS}: ours {o:.0} msg/s, bare hyper {b:.0} msg/s, ratio {:.3}; FcmClient::send alone {c:.0}; legacy pool, prepared bodies {l:.0}",
            round + 1,
            o / b
        );
        client_rates.push(c);
        client_ratios.push(c / b);
        our_rates.push(o);
        base_rates.push(b);
        ratios.push(o / b);
    }
    let (ours_med, base_med, ratio_med) =
        (median(&mut our_rates), median(&mut base_rates), median(&mut ratios));
    let peak = peak_rss_kib();
    let peer_rate = match std::env::var("MSGKIT_FCM_PEER_PYTHON") {
        Ok(python) if !python.is_empty() => {
            println!("peer: firebase-admin (Python) send_each, {TOKENS} messages ...");
            Some(peer(&fake, &python)?)
        }
        _ => {
            println!(
                "peer: skipped (MSGKIT_FCM_PEER_PYTHON not set; `cargo xtask bench fcm` sets it)"
            );
            None
        }
    };
    println!();
    println!(
        "fcm: {TOKENS} tokens per round over h2c to the loopback fake, {CONCURRENCY} in flight, median of {ROUNDS} rounds"
    );
    println!("{:<58} {:>10} {:>10} {:>7}", "benchmark (messages/s)", "ours", "baseline", "ratio");
    println!(
        "{:<58} {ours_med:>10.0} {base_med:>10.0} {ratio_med:>7.3}",
        "send 10k: Dispatcher vs bare hyper h2 (same bodies)"
    );
    let (client_med, client_ratio) = (median(&mut client_rates), median(&mut client_ratios));
    println!(
        "{:<58} {client_med:>10.0} {base_med:>10.0} {client_ratio:>7.3}",
        "breakdown: FcmClient::send x100 workers"
    );
    let mut json = vec![serde_json::json!({
        "name": "send 10k tokens, Dispatcher vs bare hyper HTTP/2 client", "unit": "messages/s",
        "ours": ours_med, "baseline": base_med, "ratio": ratio_med,
        "ours_rounds": our_rates, "baseline_rounds": base_rates, "paired_ratios": ratios,
        "concurrency": CONCURRENCY, "tokens": TOKENS,
    })];
    let (legacy_med, legacy_ratio) = (median(&mut legacy_rates), median(&mut legacy_ratios));
    println!(
        "{:<58} {legacy_med:>10.0} {base_med:>10.0} {legacy_ratio:>7.3}",
        "breakdown: hyper-util pooled client, prepared bodies"
    );
    json.push(serde_json::json!({
        "name": "breakdown: hyper-util legacy pooled client posting the prepared bodies vs bare hyper HTTP/2 client", "unit": "messages/s",
        "ours": legacy_med, "baseline": base_med, "ratio": legacy_ratio, "ours_rounds": legacy_rates,
    }));
    json.push(serde_json::json!({
        "name": "send 10k tokens, FcmClient::send from 100 workers vs bare hyper HTTP/2 client", "unit": "messages/s",
        "ours": client_med, "baseline": base_med, "ratio": client_ratio, "ours_rounds": client_rates,
    }));
    if let Some(rate) = peer_rate {
        println!(
            "{:<58} {ours_med:>10.0} {rate:>10.0} {:>7.1}",
            "send 10k: Dispatcher vs firebase-admin Python send_each",
            ours_med / rate
        );
        json.push(serde_json::json!({
            "name": "send 10k tokens, Dispatcher vs firebase-admin (Python) send_each", "unit": "messages/s",
            "ours": ours_med, "baseline": rate, "ratio": ours_med / rate,
        }));
    }
    println!(
        "peak RSS of the bench process (client, bare client and fake server): {} KiB (after warm-up: {rss_before} KiB)",
        peak
    );
    json.push(serde_json::json!({"name": "peak RSS (bench process incl. fake server)", "unit": "KiB", "ours": peak, "baseline": rss_before, "ratio": peak as f64 / rss_before.max(1) as f64}));
    if let Some(dir) = std::env::var_os("MSGKIT_BENCH_DIR") {
        let path = std::path::Path::new(&dir).join("fcm.json");
        std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

//! The server under hostile clients, through real sockets on 127.0.0.1:
//! slow headers, slow bodies, header floods, pipelining, lying or missing
//! lengths, oversized chunked bodies, gzip, a redelivery storm and panicking
//! handlers. Each test asserts the answer the attacker gets and that a
//! normal request is still served afterwards.

#![allow(clippy::unwrap_used, reason = "a test fails loudly")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use support::{Answer, TestServer, envelope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use vk_callback::{Callback, CallbackBuilder};

/// Generous bound for anything that should happen "at once" on a loaded
/// 2-core machine.
const SOON: Duration = Duration::from_secs(20);

fn builder() -> CallbackBuilder {
    Callback::builder().secret("s3cr3t").confirmation("c0de").message_new(|_, _| async {})
}

/// A normal request still gets its normal answer.
async fn still_served(server: &TestServer) {
    let confirm = json!({"type": "confirmation", "group_id": 1, "secret": "s3cr3t"});
    let answer = tokio::time::timeout(SOON, server.post_json(&confirm)).await;
    answer.expect("a normal request is answered").is(200, "c0de");
}

/// Writes `bytes`, then reads until the server closes (or `SOON` passes).
async fn exchange(server: &TestServer, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    read_all(&mut stream).await
}

async fn read_all(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    // A reset after the answer still leaves the answer in `response`.
    let _ = tokio::time::timeout(SOON, stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// `n` clients at once, each writing `first`, then `slow` one byte every
/// `every_ms`, then reading the answer.
fn dribble(
    server: &TestServer,
    n: usize,
    first: &[u8],
    slow: &[u8],
    every_ms: u64,
) -> JoinSet<String> {
    let mut clients = JoinSet::new();
    for _ in 0..n {
        let (addr, first, slow) = (server.addr, first.to_vec(), slow.to_vec());
        clients.spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            stream.write_all(&first).await.unwrap();
            for byte in slow {
                if stream.write_all(&[byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(every_ms)).await;
            }
            read_all(&mut stream).await
        });
    }
    clients
}

fn head(length: usize, extra: &str) -> String {
    format!("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {length}\r\n{extra}\r\n")
}

#[tokio::test]
async fn slowloris_headers_are_dropped_and_others_served() {
    let callback = builder().header_read_timeout(Duration::from_millis(300)).build();
    let server = TestServer::start(callback).await;
    // One header byte every 50 ms: the head never completes in time.
    let mut clients =
        dribble(&server, 50, b"", b"POST / HTTP/1.1\r\nhost: slowloris.example\r\n", 50);
    still_served(&server).await;
    while let Some(answer) = clients.join_next().await {
        let answer = answer.unwrap();
        assert!(!answer.contains(" 200 "), "a slow head is never answered 200: {answer}");
    }
    server.stop().await;
}

#[tokio::test]
async fn slow_bodies_get_408_and_others_are_served() {
    let callback = builder().body_read_timeout(Duration::from_millis(400)).build();
    let server = TestServer::start(callback).await;
    // 40 of 100,000 body bytes, one every 20 ms.
    let mut clients = dribble(&server, 50, head(100_000, "").as_bytes(), &[b'x'; 40], 20);
    still_served(&server).await;
    while let Some(answer) = clients.join_next().await {
        let answer = answer.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{answer}");
    }
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn header_floods_are_refused() {
    let server = TestServer::start(builder().build()).await;
    // Too many headers, then one header too long for hyper's buffer.
    let many: String = (0..2_000).map(|i| format!("x-flood-{i}: {i}\r\n")).collect();
    let answer = exchange(&server, head(0, &many).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    let long = format!("x-long: {}\r\n", "a".repeat(1 << 20));
    let answer = exchange(&server, head(0, &long).as_bytes()).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431 "), "{answer}");
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_pipelined_batch_is_answered_in_order() {
    let server = TestServer::start(builder().build()).await;
    let mut batch = String::new();
    for i in 0..200 {
        let body = envelope("message_new", &format!("p{i}"), "s3cr3t", json!({"message": {}}));
        let body = body.to_string();
        batch += &head(body.len(), "");
        batch += &body;
    }
    batch += &head(0, "connection: close\r\n");
    let answer = exchange(&server, batch.as_bytes()).await;
    assert_eq!(answer.matches("HTTP/1.1 200 OK\r\n").count(), 200, "{answer}");
    assert_eq!(answer.matches("\r\n\r\nok").count(), 200);
    // The last (empty) request is a 400 and closes the connection.
    assert!(answer.ends_with("Bad Request\n"), "{answer}");
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn wrong_or_missing_content_lengths_never_deliver_a_wrong_body() {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let callback = Callback::builder()
        .message_new(move |_, _| {
            seen.fetch_add(1, Ordering::SeqCst);
            async {}
        })
        .build();
    let server = TestServer::start(callback).await;
    let body = envelope("message_new", "cl", "", json!({"message": {}})).to_string();

    // Shorter than the body: the cut JSON is a 400, the rest a bad request.
    let answer = exchange(&server, format!("{}{body}", head(body.len() - 5, "")).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{answer}");
    // Longer than the body, then the client stops writing: 400, not a hang.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(format!("{}{body}", head(body.len() + 50, "")).as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    let answer = read_all(&mut stream).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 400 "), "{answer}");
    // Missing: an HTTP/1.1 request without a length has an empty body.
    let request = format!("POST / HTTP/1.1\r\nhost: x\r\n\r\n{body}");
    let answer = exchange(&server, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{answer}");
    // Not a number, negative, two different values.
    for bad in ["content-length: abc\r\n", "content-length: -1\r\n", "content-length: 3, 4\r\n"] {
        let request = format!("POST / HTTP/1.1\r\nhost: x\r\n{bad}\r\n{body}");
        let answer = exchange(&server, request.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 400 "), "{bad}: {answer}");
    }
    assert_eq!(count.load(Ordering::SeqCst), 0, "no cut or padded body reached a handler");
    server.post(body).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_413_and_the_client_reads_it() {
    let server = TestServer::start(builder().max_body_bytes(64 << 10).build()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 16 << 10, "a".repeat(16 << 10));
    // 2 MiB written before anything is read, as most HTTP libraries do.
    for _ in 0..128 {
        stream.write_all(chunk.as_bytes()).await.expect("the server keeps reading");
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let answer = read_all(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), "{answer}");
    assert!(answer.contains("connection: close\r\n"), "{answer}");
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_client_writing_its_whole_body_first_reads_the_413() {
    let server = TestServer::start(builder().build()).await;
    for size in [4_200_000, 5_000_000, 10 << 20] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(head(size, "").as_bytes()).await.unwrap();
        let body = vec![b'a'; size];
        stream.write_all(&body).await.expect("the whole body is accepted (lingering close)");
        let answer = read_all(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), "{size}: {answer}");
        assert!(answer.ends_with("\r\n\r\nRequest Entity Too Large\n"), "{answer}");
    }
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn lingering_is_bounded_in_bytes_and_time() {
    let callback =
        builder().max_body_bytes(1 << 10).lingering_close(1 << 20, Duration::from_millis(300));
    let server = TestServer::start(callback.build()).await;
    // Bytes: a client sending far more than the bound is cut off.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let size = 256 << 20;
    stream.write_all(head(size, "").as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let mut written = 0;
    while written < size {
        if stream.write_all(&chunk).await.is_err() {
            break;
        }
        written += chunk.len();
    }
    assert!(written < size, "the server stops reading after its lingering bound");
    // Time: a client that goes quiet is closed after the linger time.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(head(1 << 20, "").as_bytes()).await.unwrap();
    stream.write_all(&[b'a'; 4096]).await.unwrap();
    let started = tokio::time::Instant::now();
    let answer = read_all(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(started.elapsed() < SOON, "closed after the linger time, not the test bound");
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn expect_continue_over_the_cap_gets_413_without_the_body() {
    let server = TestServer::start(builder().build()).await;
    let answer = exchange(&server, head(10 << 20, "expect: 100-continue\r\n").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn gzip_bodies_are_not_inflated() {
    let server = TestServer::start(builder().build()).await;
    // `{"type":"confirmation","group_id":1}` gzipped: VK never compresses,
    // and the server inflates nothing (no decompression bombs).
    let gzip = "1f8b0800000000000203ab562aa92c4855b2524acecf4bcb2cca4d2cc9cccf53d2514a2fca2f2d88cf4c51b232ac0500a8cbabf524000000";
    let bytes: Vec<u8> = (0..gzip.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&gzip[i..i + 2], 16).unwrap())
        .collect();
    let answer: Answer = server.post_with(bytes, &[("content-encoding", "gzip")]).await;
    answer.is(400, "Bad Request\n");
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_redelivery_storm_of_one_event_runs_its_handler_once() {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let callback = Callback::builder()
        .secret("s3cr3t")
        .confirmation("c0de")
        .message_new(move |_, _| {
            seen.fetch_add(1, Ordering::SeqCst);
            async {}
        })
        .build();
    let server = Arc::new(TestServer::start(callback).await);
    let body = envelope("message_new", "storm", "s3cr3t", json!({"message": {}})).to_string();
    let mut clients = JoinSet::new();
    for _ in 0..20 {
        let (server, body) = (server.clone(), body.clone());
        clients.spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..100 {
                statuses.push(server.post(body.clone()).await.status.as_u16());
            }
            statuses
        });
    }
    while let Some(statuses) = clients.join_next().await {
        for status in statuses.unwrap() {
            assert!(status == 200 || status == 503, "{status}");
        }
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
    still_served(&server).await;
    Arc::into_inner(server).unwrap().stop().await;
}

#[tokio::test]
async fn panicking_handlers_answer_500_and_the_server_lives_on() {
    let callback =
        builder().on_event("wall_post_new", |_, _| async { panic!("handler bug") }).build();
    let server = TestServer::start(callback).await;
    for i in 0..50 {
        let body = envelope("wall_post_new", &format!("w{i}"), "s3cr3t", json!({}));
        server.post_json(&body).await.is(500, "Internal Server Error\n");
    }
    still_served(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn duplicate_and_case_variant_envelope_keys_follow_the_last_one() {
    let callback = builder().group_secret(2, "two").group_confirmation(2, "c0de-2").build();
    let server = TestServer::start(callback).await;
    let post = |body: &'static str| server.post(body);
    // secret: vksdk (Go) takes the last key, whatever its case.
    post(r#"{"type":"confirmation","group_id":1,"secret":"s3cr3t","SECRET":"wrong"}"#)
        .await
        .is(403, "Bad Secret\n");
    post(r#"{"type":"confirmation","group_id":1,"SECRET":"wrong","secret":"s3cr3t"}"#)
        .await
        .is(200, "c0de");
    post(r#"{"type":"confirmation","group_id":1,"secret":"wrong","\u017fecret":"s3cr3t"}"#)
        .await
        .is(200, "c0de");
    // group_id picks the group whose secret and code apply.
    post(r#"{"type":"confirmation","group_id":1,"Group_Id":2,"secret":"two"}"#)
        .await
        .is(200, "c0de-2");
    post(r#"{"type":"confirmation","group_id":2,"GROUP_ID":1,"secret":"two"}"#)
        .await
        .is(403, "Bad Secret\n");
    // type: the last one decides whether this is a confirmation.
    post(r#"{"type":"message_new","TYPE":"confirmation","group_id":1,"secret":"s3cr3t"}"#)
        .await
        .is(200, "c0de");
    post(r#"{"type":"confirmation","Type":"group_leave","group_id":1,"secret":"s3cr3t","object":{}}"#)
        .await
        .is(200, "ok");
    still_served(&server).await;
    server.stop().await;
}

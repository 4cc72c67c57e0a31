//! The wire contract through real HTTP on 127.0.0.1: secrets first,
//! confirmations, exact bodies, lenient parsing, limits and shutdown.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use support::{TestServer, envelope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vk_callback::Callback;

fn counting() -> (Callback, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let callback = Callback::builder()
        .message_new(move |_, _| {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        })
        .secret("global")
        .group_secret(2, "two")
        .group_secret(3, "")
        .confirmation("conf-global")
        .group_confirmation(2, "conf-two")
        .group_confirmation(3, "")
        .build();
    (callback, count)
}

#[tokio::test]
async fn secrets_are_checked_first_per_group_then_global() {
    let (callback, count) = counting();
    let server = TestServer::start(callback).await;
    let confirm = |group: i64, secret: Option<&str>| {
        let mut body = json!({"type": "confirmation", "group_id": group});
        if let Some(secret) = secret {
            body["secret"] = json!(secret);
        }
        body
    };
    server.post_json(&confirm(1, Some("global"))).await.is(200, "conf-global");
    server.post_json(&confirm(1, None)).await.is(403, "Bad Secret\n");
    server.post_json(&confirm(1, Some("two"))).await.is(403, "Bad Secret\n");
    server.post_json(&confirm(2, Some("two"))).await.is(200, "conf-two");
    server.post_json(&confirm(2, Some("global"))).await.is(403, "Bad Secret\n");
    // group 3: an empty secret entry turns the check off; empty confirmation falls back
    server.post_json(&confirm(3, None)).await.is(200, "conf-global");
    server.post_json(&confirm(3, Some("anything"))).await.is(200, "conf-global");

    let message = |secret: &str| envelope("message_new", "e1", secret, json!({"message": {}}));
    server.post_json(&message("wrong")).await.is(403, "Bad Secret\n");
    assert_eq!(count.load(Ordering::SeqCst), 0, "rejected before any handler");
    server.post_json(&message("global")).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test]
async fn the_secret_is_checked_even_for_unparseable_objects_and_unknown_types() {
    let (callback, count) = counting();
    let server = TestServer::start(callback).await;
    let bad_object = envelope("message_new", "e1", "nope", json!("not an object"));
    server.post_json(&bad_object).await.is(403, "Bad Secret\n");
    server.post_json(&envelope("brand_new", "e2", "nope", json!({}))).await.is(403, "Bad Secret\n");
    server.post_json(&envelope("brand_new", "e2", "global", json!({}))).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test]
async fn confirmation_codes_are_sent_verbatim() {
    let callback = Callback::builder().confirmation("ab%dcd\u{fffd}").build();
    let server = TestServer::start(callback).await;
    server.post(r#"{"type":"confirmation","group_id":5}"#).await.is(200, "ab%dcd\u{fffd}");
    let empty = Callback::builder().build();
    let server2 = TestServer::start(empty).await;
    server2.post(r#"{"type":"confirmation"}"#).await.is(200, "");
    server.stop().await;
    server2.stop().await;
}

#[tokio::test]
async fn unparseable_bodies_are_400_bad_request() {
    let (callback, _) = counting();
    let server = TestServer::start(callback).await;
    for body in [
        "",
        "{",
        r#"{"type":"message_new","#,
        "[1,2]",
        r#""hi""#,
        r#"{"group_id":"1","secret":"global"}"#,
        r#"{"group_id":1.5}"#,
        r#"{"v":5.199}"#,
        "\u{feff}{}",
    ] {
        let answer = server.post(body).await;
        answer.is(400, "Bad Request\n");
    }
    server.stop().await;
}

#[tokio::test]
async fn lenient_parsing_matches_vksdk() {
    let callback = Callback::builder().confirmation("c").build();
    let server = TestServer::start(callback).await;
    server.post("null").await.is(200, "ok");
    server.post(r#"{"type":"confirmation"} trailing garbage"#).await.is(200, "c");
    server.post(r#"{"TYPE":"confirmation"}"#).await.is(200, "c");
    server.post(r#"{"type":""}"#).await.is(200, "ok");
    server.post(r#"{}"#).await.is(200, "ok");
    server.stop().await;
}

#[tokio::test]
async fn a_secret_check_on_null_envelopes_still_applies() {
    let callback = Callback::builder().secret("s").build();
    let server = TestServer::start(callback).await;
    server.post("null").await.is(403, "Bad Secret\n");
    server.stop().await;
}

#[tokio::test]
async fn invalid_utf8_is_decoded_lossily_not_rejected() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let callback = Callback::builder()
        .message_new(move |_, new| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(new.message.text);
            }
        })
        .build();
    let server = TestServer::start(callback).await;
    let mut body =
        br#"{"type":"message_new","event_id":"u1","object":{"message":{"text":"hi "#.to_vec();
    body.extend_from_slice(&[0xc3, 0x28, 0xff]);
    body.extend_from_slice(br#" there"}}}"#);
    server.post(body).await.is(200, "ok");
    assert_eq!(rx.recv().await.unwrap(), "hi \u{fffd}(\u{fffd} there");
    server.stop().await;
}

#[tokio::test]
async fn bodies_over_the_cap_are_413_declared_or_streamed() {
    let callback = Callback::builder().max_body_bytes(64).build();
    let server = TestServer::start(callback).await;
    let big = format!(r#"{{"type":"x","object":"{}"}}"#, "a".repeat(100));
    server.post(big.clone()).await.is(413, "Request Entity Too Large\n");
    // chunked, so no Content-Length to reject up front
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let chunked = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    stream.write_all(chunked.as_bytes()).await.unwrap();
    let mut response = vec![0; 4096];
    let n = stream.read(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response[..n]);
    assert!(response.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nRequest Entity Too Large\n"), "{response}");
    server.post(r#"{"type":"x"}"#).await.is(200, "ok");
    server.stop().await;
}

#[tokio::test]
async fn slow_bodies_time_out_with_408_and_slow_headers_are_dropped() {
    let callback = Callback::builder()
        .body_read_timeout(Duration::from_millis(200))
        .header_read_timeout(Duration::from_millis(200))
        .build();
    let server = TestServer::start(callback).await;

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 50\r\n\r\n{\"ty")
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{response}");
    assert!(response.contains("\r\n\r\nRequest Timeout\n"), "{response}");

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"POST / HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response));
    read.await.expect("the server closes a connection whose headers never finish").ok();
    assert!(!String::from_utf8_lossy(&response).contains("200 OK"));
    server.stop().await;
}

#[tokio::test]
async fn any_path_and_method_reach_the_endpoint() {
    let callback = Callback::builder().confirmation("c").build();
    let server = TestServer::start(callback).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let body = r#"{"type":"confirmation"}"#;
    let request = format!(
        "PUT /some/where?x=1 HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n") && response.ends_with("\r\n\r\nc"));
    server.stop().await;
}

/// Sends one request on a kept-alive connection and reads its answer.
async fn exchange(stream: &mut TcpStream, body: &str) -> String {
    let head = format!("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n", body.len());
    stream.write_all(format!("{head}{body}").as_bytes()).await.expect("request sent");
    let mut answer = Vec::new();
    let mut buf = [0; 1024];
    while !answer.ends_with(b"\r\n\r\nok") {
        let n = stream.read(&mut buf).await.expect("answer read");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(answer).expect("an ascii answer")
}

#[tokio::test]
async fn the_header_deadline_restarts_after_each_answer_and_closes_idle_connections() {
    let callback = Callback::builder().header_read_timeout(Duration::from_millis(300)).build();
    let server = TestServer::start(callback).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // Eight requests 100 ms apart: 800 ms in all, never 300 ms without a head.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let answer = exchange(&mut stream, r#"{"type":"x"}"#).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    }
    // Idle after an answer: closed once the deadline passes.
    let started = tokio::time::Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest));
    read.await.expect("the idle connection is closed").ok();
    assert!(rest.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
    server.stop().await;
}

#[tokio::test]
async fn a_handler_slower_than_the_header_timeout_is_answered() {
    let callback = Callback::builder()
        .header_read_timeout(Duration::from_millis(100))
        .message_new(|_, _| tokio::time::sleep(Duration::from_millis(400)))
        .build();
    let server = TestServer::start(callback).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let body = serde_json::to_string(&envelope("message_new", "g1", "", json!({}))).unwrap();
    let answer = exchange(&mut stream, &body).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    // The same connection still takes a request right away.
    let answer = exchange(&mut stream, r#"{"type":"x"}"#).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn an_unbounded_header_timeout_is_accepted() {
    let callback = Callback::builder().header_read_timeout(Duration::MAX).build();
    let server = TestServer::start(callback).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let answer = exchange(&mut stream, r#"{"type":"x"}"#).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_idle_kept_alive_connections_at_once() {
    let server = TestServer::start(Callback::builder().build()).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        exchange(&mut stream, r#"{"type":"x"}"#).await;
        idle.push(stream);
    }
    let stopping = tokio::time::timeout(Duration::from_secs(5), server.stop());
    stopping.await.expect("shutdown does not wait for idle connections");
    for mut stream in idle {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest));
        read.await.expect("idle connections are closed").ok();
        assert!(rest.is_empty());
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let started_tx = std::sync::Mutex::new(Some(started_tx));
    let callback = Callback::builder()
        .message_new(move |_, _| {
            let started = started_tx.lock().unwrap().take();
            async move {
                if let Some(started) = started {
                    let _ = started.send(());
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
        .build();
    let server = TestServer::start(callback).await;
    let addr = server.addr;
    let in_flight = tokio::spawn(async move {
        let body = serde_json::to_vec(&envelope("message_new", "g1", "", json!({}))).unwrap();
        support::post(addr, body.into(), &[]).await
    });
    started_rx.await.unwrap();
    server.stop().await;
    in_flight.await.unwrap().is(200, "ok");
    assert!(TcpStream::connect(addr).await.is_err(), "no longer listening");
}

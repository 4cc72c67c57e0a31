//! Heap bytes under slow-body clients, counted by `dhat` as the global
//! allocator: connections sending valid bodies one byte per write hold at
//! most a small constant each plus twice the bytes received, and the heap
//! returns to its baseline once they leave.
//!
//! Before bodies were copied into one buffer, every one-byte piece kept one
//! of hyper's 8 KiB read buffers alive until the body completed: this test's
//! 16 connections at 1,500 bytes each then held about 200 MB.

#![allow(clippy::unwrap_used, reason = "a test fails loudly")]

mod support;

use std::time::Duration;

use serde_json::json;
use support::TestServer;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use vk_callback::Callback;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const CONNECTIONS: usize = 16;
/// Bytes each connection sends of its 100,000-byte body, one per write.
const SENT: usize = 1_500;
/// What a connection may hold besides the bytes it sent: hyper's
/// connection state and read buffer, the task, the socket, the client side.
const PER_CONNECTION: usize = 64 << 10;

fn heap() -> usize {
    dhat::HeapStats::get().curr_bytes
}

#[test]
fn slow_bodies_hold_their_bytes_not_a_buffer_per_piece() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let callback = Callback::builder()
            .secret("s3cr3t")
            .confirmation("c0de")
            .body_read_timeout(Duration::from_secs(120))
            .message_new(|_, _| async {})
            .build();
        let server = TestServer::start(callback).await;
        let confirm = json!({"type": "confirmation", "group_id": 1, "secret": "s3cr3t"});
        server.post_json(&confirm).await.is(200, "c0de");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let baseline = heap();

        let (sent, mut all_sent) = mpsc::channel::<()>(CONNECTIONS);
        let (release_tx, release) = tokio::sync::watch::channel(false);
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            let (addr, sent, mut release) = (server.addr, sent.clone(), release.clone());
            clients.push(tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let head = "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n";
                stream.write_all(head.as_bytes()).await.unwrap();
                let body = br#"{"type":"message_new","group_id":1,"secret":"s3cr3t","object":{"message":{"text":""#;
                for i in 0..SENT {
                    let byte = body.get(i).copied().unwrap_or(b'a');
                    stream.write_all(&[byte]).await.unwrap();
                    // Let the server read this byte on its own.
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                sent.send(()).await.unwrap();
                let _ = release.wait_for(|go| *go).await;
                drop(stream);
            }));
        }
        for _ in 0..CONNECTIONS {
            all_sent.recv().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let held = heap().saturating_sub(baseline);
        let bound = CONNECTIONS * (PER_CONNECTION + 2 * SENT);
        assert!(held <= bound, "{held} heap bytes held for {CONNECTIONS} slow bodies (bound {bound})");

        release_tx.send(true).unwrap();
        for client in clients {
            client.await.unwrap();
        }
        // The server answers each cut body and drops its connection.
        let mut after = heap();
        for _ in 0..200 {
            if after <= baseline + PER_CONNECTION {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            after = heap();
        }
        assert!(
            after <= baseline + PER_CONNECTION,
            "{after} heap bytes after the clients left (baseline {baseline})"
        );
        server.post_json(&confirm).await.is(200, "c0de");
        server.stop().await;
    });
}

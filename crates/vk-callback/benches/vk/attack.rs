//! The slow-body attack as a record: connections sending a valid
//! 100,000-byte `message_new` one byte per write (TCP_NODELAY), as fast as
//! they can, against each server in its own process, whose resident memory
//! is read from `/proc/PID/status`: before, at the peak (`VmHWM`), and two
//! seconds after every answer was read.
//!
//! The server process is this bench binary again, started with
//! `VK_BENCH_ATTACK_SERVER=ours|bare`; it prints its port and serves until
//! its stdin closes.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Attacking connections, and each one's body length.
const CONNECTIONS: usize = 16;
const BODY: usize = 100_000;

const SERVER_ENV: &str = "VK_BENCH_ATTACK_SERVER";

/// The resident-memory readings of one server under the attack, in MiB.
pub(crate) struct Reading {
    pub(crate) before: f64,
    pub(crate) peak: f64,
    pub(crate) after: f64,
    pub(crate) seconds: f64,
}

/// In the server child: serves `ours` or `bare` on the default
/// multi-threaded runtime, as a deployment would. `false` when this process
/// is not a server child.
pub(crate) fn serve_if_child() -> bool {
    let Ok(which) = std::env::var(SERVER_ENV) else { return false };
    let Ok(rt) = tokio::runtime::Runtime::new() else { panic!("no runtime") };
    rt.block_on(async {
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
            panic!("cannot bind")
        };
        let Ok(addr) = listener.local_addr() else { panic!("no address") };
        println!("{}", addr.port());
        let _ = std::io::stdout().flush();
        let (tx, rx) = tokio::sync::oneshot::channel();
        // The parent closes our stdin to stop us.
        std::thread::spawn(move || {
            let _ = std::io::stdin().lines().count();
            let _ = tx.send(());
        });
        if which == "ours" {
            // The body timeout (10 s by default) would cut a slow attack
            // short under load; memory is measured over whole bodies.
            let callback = vk_callback::Callback::builder()
                .secret(super::SECRET)
                .body_read_timeout(Duration::from_secs(300))
                .message_new(|_, new| async move {
                    std::hint::black_box(new.message.text.len());
                })
                .build();
            let stop = async move {
                let _ = rx.await;
            };
            vk_callback::Server::from_listener(listener, callback).run_until(stop).await;
        } else {
            super::bare(listener, rx).await;
        }
    });
    true
}

/// A server child, killed when dropped.
struct ServerChild(Child);

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status_kib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

fn mib(pid: u32, field: &str) -> f64 {
    status_kib(pid, field) / 1024.0
}

/// A valid `message_new` of exactly `BODY` bytes.
fn body() -> Vec<u8> {
    let head = format!(
        r#"{{"type":"message_new","group_id":1,"event_id":"attack","v":"5.199","secret":"{}","object":{{"message":{{"text":""#,
        super::SECRET
    );
    let tail = r#""}}}"#;
    let mut body = head.into_bytes();
    body.resize(BODY - tail.len(), b'a');
    body.extend_from_slice(tail.as_bytes());
    body
}

async fn attack_one(addr: SocketAddr, id: usize, body: &[u8]) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else { return false };
    let _ = stream.set_nodelay(true);
    // A distinct event id per connection (same length), so dedup does not
    // answer the later ones early.
    let mut body = body.to_vec();
    if let Some(at) = body.windows(6).position(|w| w == b"attack") {
        body[at..at + 6].copy_from_slice(format!("{id:06}").as_bytes());
    }
    let head = format!("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n", body.len());
    if stream.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    for byte in &body {
        if stream.write_all(std::slice::from_ref(byte)).await.is_err() {
            return false;
        }
    }
    let mut answer = vec![0; 1024];
    let n = stream.read(&mut answer).await.unwrap_or(0);
    answer[..n].starts_with(b"HTTP/1.1 200")
}

/// Runs the attack against a fresh `which` server process.
pub(crate) fn run(which: &str) -> Reading {
    let Ok(exe) = std::env::current_exe() else { panic!("no current exe") };
    let child = Command::new(exe)
        .env(SERVER_ENV, which)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {which} server: {e}"));
    let mut child = ServerChild(child);
    let mut port = String::new();
    let Some(stdout) = child.0.stdout.take() else { panic!("no stdout") };
    let _ = BufReader::new(stdout).read_line(&mut port);
    let Ok(port) = port.trim().parse::<u16>() else { panic!("the {which} server sent no port") };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let pid = child.0.id();
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        panic!("no runtime")
    };
    let body = body();
    let before = mib(pid, "VmRSS:");
    let started = Instant::now();
    let answered = rt.block_on(async {
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|id| {
                let body = body.clone();
                tokio::spawn(async move { attack_one(addr, id, &body).await })
            })
            .collect();
        let mut answered = 0;
        for task in tasks {
            answered += usize::from(task.await.unwrap_or(false));
        }
        answered
    });
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(answered, CONNECTIONS, "the {which} server answers every attacking body 200");
    std::thread::sleep(Duration::from_secs(2));
    let reading = Reading { before, peak: mib(pid, "VmHWM:"), after: mib(pid, "VmRSS:"), seconds };
    drop(child.0.stdin.take());
    reading
}

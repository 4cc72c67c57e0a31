//! One accepted connection of [`crate::Server`]: hyper's HTTP/1 connection
//! driven with a header-read deadline and graceful shutdown that cost a fixed
//! amount per connection, not per request.
//!
//! hyper's own `header_read_timeout` allocates and registers a new timer for
//! every request of a keep-alive connection, and hyper-util's graceful
//! watcher polls a channel at every wake-up. Here each connection owns one
//! tokio timer, and its service stamps (in an atomic) when the connection
//! last started waiting for a request head: at accept and whenever an answer
//! is ready; while a request is being answered there is no deadline. The
//! timer is only re-armed when it fires before the current deadline, so a
//! busy connection touches it about once per timeout period. A connection
//! whose head does not arrive within the timeout of the stamp is closed
//! without an answer, as hyper does.
//!
//! Shutdown sets a flag and wakes each connection once; the connection then
//! asks hyper to finish gracefully (idle keep-alive connections close at
//! once, a request in flight is answered first).
//!
//! This module does not read or parse requests (hyper does) and does not
//! time request bodies ([`Callback`]'s body-read timeout does).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::callback::Callback;
use crate::response::CallbackResponse;

/// Why a connection ended badly.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectionError {
    /// hyper gave up on the connection (I/O error, malformed request...).
    #[error("http error")]
    Http(#[source] hyper::Error),
    /// No complete request head within the header-read timeout.
    #[error("request head not received within {0:?}")]
    HeaderTimeout(Duration),
}

/// The shutdown signal shared by the server and its connections.
#[derive(Debug)]
pub(crate) struct Shutdown {
    started: AtomicBool,
    /// The wakers of the connections to wake when shutdown starts, by id.
    wakers: Mutex<Wakers>,
    /// Each connection holds a receiver; [`Shutdown::finished`] waits for
    /// all of them to be dropped.
    live: watch::Sender<()>,
}

#[derive(Debug, Default)]
struct Wakers {
    next: u64,
    by_id: HashMap<u64, Waker>,
}

impl Shutdown {
    pub(crate) fn new() -> Arc<Self> {
        let (live, _) = watch::channel(());
        Arc::new(Self { started: AtomicBool::new(false), wakers: Mutex::default(), live })
    }

    fn wakers(&self) -> std::sync::MutexGuard<'_, Wakers> {
        self.wakers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn started(&self) -> bool {
        self.started.load(Ordering::Acquire)
    }

    /// Starts the shutdown: every connection finishes gracefully.
    pub(crate) fn start(&self) {
        self.started.store(true, Ordering::Release);
        let wakers = std::mem::take(&mut self.wakers().by_id);
        for waker in wakers.into_values() {
            waker.wake();
        }
    }

    /// Waits until every connection has ended.
    pub(crate) async fn finished(&self) {
        self.live.closed().await;
    }
}

/// When the connection started waiting for a request head, in nanoseconds
/// since `epoch`; [`Clock::ANSWERING`] while a request is being answered.
#[derive(Debug)]
struct Clock {
    epoch: Instant,
    waiting_since: AtomicU64,
}

impl Clock {
    const ANSWERING: u64 = u64::MAX;

    fn stamp(&self, now: Instant) -> u64 {
        u64::try_from(now.duration_since(self.epoch).as_nanos()).unwrap_or(Self::ANSWERING - 1)
    }

    /// The deadline for the head being waited for, `None` while answering.
    fn deadline(&self, timeout: Duration) -> Option<Instant> {
        match self.waiting_since.load(Ordering::Acquire) {
            Self::ANSWERING => None,
            since => Some(after(self.epoch + Duration::from_nanos(since), timeout)),
        }
    }
}

/// `at + delay`, or about 30 years after `at` for a delay too long to add
/// (a header-read timeout of `Duration::MAX` means none).
fn after(at: Instant, delay: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);
    at.checked_add(delay.min(FAR)).unwrap_or(at)
}

/// The per-connection service: the callback, plus the head-wait stamps.
struct Stamped {
    callback: Callback,
    clock: Arc<Clock>,
}

impl Service<Request<Incoming>> for Stamped {
    type Response = CallbackResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<CallbackResponse, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.clock.waiting_since.store(Clock::ANSWERING, Ordering::Release);
        let answer = self.callback.clone().answer_request(request);
        let clock = self.clock.clone();
        Box::pin(async move {
            let response = answer.await;
            clock.waiting_since.store(clock.stamp(Instant::now()), Ordering::Release);
            Ok(response)
        })
    }
}

/// Removes the connection's waker when the connection ends; holds its
/// `live` receiver until then.
struct Registration {
    shutdown: Arc<Shutdown>,
    id: u64,
    _live: watch::Receiver<()>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shutdown.wakers().by_id.remove(&self.id);
    }
}

/// Serves one connection until it ends.
pub(crate) async fn serve(
    stream: TcpStream,
    callback: Callback,
    builder: &http1::Builder,
    shutdown: Arc<Shutdown>,
) -> Result<(), ConnectionError> {
    let timeout = callback.inner.limits.header_read_timeout;
    let now = Instant::now();
    let clock = Arc::new(Clock { epoch: now, waiting_since: AtomicU64::new(0) });
    let service = Stamped { callback, clock: clock.clone() };
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut timer = pin!(tokio::time::sleep_until(after(now, timeout)));
    let registration = {
        let mut wakers = shutdown.wakers();
        wakers.next += 1;
        Registration {
            id: wakers.next,
            _live: shutdown.live.subscribe(),
            shutdown: shutdown.clone(),
        }
    };
    // The waker registered for shutdown (a task keeps its waker).
    let mut registered: Option<Waker> = None;
    let mut stopping = false;
    poll_fn(|cx| {
        if !stopping && shutdown.started() {
            stopping = true;
            conn.as_mut().graceful_shutdown();
        }
        if let Poll::Ready(result) = conn.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(ConnectionError::Http));
        }
        if !stopping && !registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            registered = Some(cx.waker().clone());
            shutdown.wakers().by_id.insert(registration.id, cx.waker().clone());
            // Shutdown may have started before the waker was in place.
            if shutdown.started() {
                cx.waker().wake_by_ref();
            }
        }
        // The timer fired: time out, or move it to the current deadline.
        while timer.as_mut().poll(cx).is_ready() {
            let now = Instant::now();
            match clock.deadline(timeout) {
                Some(deadline) if deadline <= now => {
                    return Poll::Ready(Err(ConnectionError::HeaderTimeout(timeout)));
                }
                Some(deadline) => timer.as_mut().reset(deadline),
                None => timer.as_mut().reset(after(now, timeout)),
            }
        }
        Poll::Pending
    })
    .await
}

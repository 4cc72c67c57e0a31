//! Test writers: a writer whose writes can be held at a gate and which can
//! split lines into small chunks, and a writer that fails on demand.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::io::AsyncWrite;

/// What a [`GateWriter`] saw, shared with the test.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    closed: AtomicBool,
    waker: Mutex<Option<Waker>>,
    bytes: Mutex<Vec<u8>>,
    mid_line: AtomicBool,
    started: AtomicUsize,
    /// Writes that fail before any byte is taken, counted down.
    failures: AtomicUsize,
}

impl Seen {
    pub(crate) fn hold(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    pub(crate) fn release(&self) {
        self.closed.store(false, Ordering::SeqCst);
        if let Some(waker) = self.waker.lock().unwrap_or_else(PoisonError::into_inner).take() {
            waker.wake();
        }
    }

    pub(crate) fn fail_next(&self, writes: usize) {
        self.failures.store(writes, Ordering::SeqCst);
    }

    /// Lines begun (including one held at the gate).
    pub(crate) fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    /// Complete lines written.
    pub(crate) fn completed(&self) -> usize {
        self.text().matches('\n').count()
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }
}

/// An in-memory writer that takes at most `chunk` bytes per write.
#[derive(Debug)]
pub(crate) struct GateWriter {
    seen: Arc<Seen>,
    chunk: usize,
}

impl GateWriter {
    pub(crate) fn new(chunk: usize) -> (Self, Arc<Seen>) {
        let seen = Arc::new(Seen::default());
        (Self { seen: Arc::clone(&seen), chunk }, seen)
    }
}

impl AsyncWrite for GateWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let seen = &self.seen;
        if !seen.mid_line.swap(true, Ordering::SeqCst) {
            seen.started.fetch_add(1, Ordering::SeqCst);
        }
        if seen.closed.load(Ordering::SeqCst) {
            *seen.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
            // Re-check: `release` may have run before the waker was stored.
            if seen.closed.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
        let failing =
            seen.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            seen.mid_line.store(false, Ordering::SeqCst);
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::BrokenPipe, "told to fail")));
        }
        let taken = &buf[..buf.len().min(self.chunk)];
        if taken.ends_with(b"\n") {
            seen.mid_line.store(false, Ordering::SeqCst);
        }
        seen.bytes.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(taken);
        Poll::Ready(Ok(taken.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

//! Reading a request body within the limits, at a cost proportional to the
//! bytes received, and the lingering close after a refused body.
//!
//! hyper hands a body over in the pieces the socket delivered, and each
//! piece is a slice of the connection's read buffer: a client writing one
//! byte at a time makes hyper allocate a fresh read buffer per byte, and a
//! collector that keeps the pieces keeps every one of those buffers alive
//! (about 4 KiB resident per byte received, measured). [`read`] keeps the
//! first piece as it is (the usual body arrives whole, and is then never
//! copied) and copies every later piece into one buffer, growing it by
//! doubling up to the declared length or the cap, then drops the piece, so
//! hyper reuses its buffer and a body costs at most twice its received
//! bytes plus a constant.
//!
//! [`linger`] is what mature servers do after answering early (413): keep
//! reading and discarding for a bounded number of bytes and a bounded time,
//! so a client that writes its whole body before reading gets the answer
//! instead of a connection reset.
//!
//! This module does not parse the body and does not choose the answers
//! ([`crate::service`] does).

use std::error::Error as StdError;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http_body_util::BodyExt;
use hyper::body::Body;

use crate::policy::Limits;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// More bytes than the cap, declared or received.
    TooLarge,
    /// The whole body did not arrive within the body-read timeout.
    Timeout,
    /// The connection failed while reading (reset, malformed chunking...).
    Read(Box<dyn StdError + Send + Sync>),
}

/// Reads the whole body, refusing more than `limits.max_body_bytes` and
/// waiting at most `limits.body_read_timeout` from the first wait.
pub(crate) async fn read<B>(
    mut body: Pin<&mut B>,
    declared: Option<u64>,
    limits: &Limits,
) -> Result<Bytes, BodyError>
where
    B: Body,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let cap = limits.max_body_bytes;
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(BodyError::TooLarge);
    }
    // The declared length bounds the buffer's growth (never past the cap).
    let expected = declared.map_or(cap, |n| usize::try_from(n).unwrap_or(cap));
    let mut collector = Collector { first: None, rest: Vec::new(), expected, cap };
    // A body that is already complete (the usual case: it came with the
    // head) needs no timer; the deadline starts at the first wait.
    let mut poll = |cx: &mut Context<'_>| collector.poll(body.as_mut(), cx);
    match poll_fn(|cx| Poll::Ready(poll(cx))).await {
        Poll::Ready(read) => read,
        Poll::Pending => tokio::time::timeout(limits.body_read_timeout, poll_fn(poll))
            .await
            .unwrap_or(Err(BodyError::Timeout)),
    }
}

/// The bytes received so far: the first piece as hyper gave it, the rest
/// copied into one buffer.
struct Collector {
    first: Option<Bytes>,
    rest: Vec<u8>,
    /// Where growth stops: the declared length, or the cap.
    expected: usize,
    cap: usize,
}

impl Collector {
    fn poll<B>(
        &mut self,
        mut body: Pin<&mut B>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Bytes, BodyError>>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        loop {
            match body.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(self.finish())),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(BodyError::Read(e.into()))),
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers carry nothing the envelope needs.
                    if let Ok(data) = frame.into_data() {
                        self.push(data)?;
                    }
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.first.as_ref().map_or(0, Bytes::len) + self.rest.len()
    }

    fn push(&mut self, mut data: impl Buf) -> Result<(), BodyError> {
        let incoming = data.remaining();
        if incoming == 0 {
            return Ok(());
        }
        let total = self.len().saturating_add(incoming);
        if total > self.cap {
            return Err(BodyError::TooLarge);
        }
        match self.first.take() {
            None if self.rest.is_empty() => {
                self.first = Some(data.copy_to_bytes(incoming));
                return Ok(());
            }
            // From the second piece on, everything lives in one buffer.
            first => {
                self.grow(total);
                if let Some(first) = first {
                    self.rest.extend_from_slice(&first);
                }
            }
        }
        while data.has_remaining() {
            let chunk = data.chunk();
            self.rest.extend_from_slice(chunk);
            let n = chunk.len();
            data.advance(n);
        }
        Ok(())
    }

    /// Makes room for `total` bytes: doubling, but never past what the
    /// body is expected to hold (unless it holds more).
    fn grow(&mut self, total: usize) {
        if total <= self.rest.capacity() {
            return;
        }
        let target = total.max(self.rest.capacity() * 2).min(self.expected.max(total));
        self.rest.reserve_exact(target - self.rest.len());
    }

    fn finish(&mut self) -> Bytes {
        match self.first.take() {
            Some(first) => first,
            None => Bytes::from(std::mem::take(&mut self.rest)),
        }
    }
}

/// Reads and discards what is left of a refused body, for at most
/// `max_bytes` bytes and `max_time`, then drops it (and hyper closes the
/// connection).
pub(crate) async fn linger<B>(mut body: B, max_bytes: u64, max_time: Duration)
where
    B: Body + Unpin,
{
    let drain = async {
        let mut seen: u64 = 0;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                seen = seen.saturating_add(data.remaining() as u64);
                if seen >= max_bytes {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(max_time, drain).await;
}

#[cfg(test)]
mod tests;

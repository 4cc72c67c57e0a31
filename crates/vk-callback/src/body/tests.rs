//! The body reader over bodies made of many small pieces.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};

use super::*;

/// A body handing over its pieces one per poll, with `Pending` in between
/// (as a slow client's body does), optionally stalling for good at the end.
struct Pieces {
    pieces: VecDeque<Bytes>,
    ready: bool,
    stall: bool,
}

impl Pieces {
    fn new(pieces: impl IntoIterator<Item = Bytes>) -> Self {
        Self { pieces: pieces.into_iter().collect(), ready: false, stall: false }
    }
}

impl Body for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        match self.pieces.pop_front() {
            Some(piece) => Poll::Ready(Some(Ok(Frame::data(piece)))),
            None if self.stall => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}

fn limits(cap: usize) -> Limits {
    Limits { max_body_bytes: cap, ..Limits::default() }
}

fn bytes_of(text: &str) -> Vec<Bytes> {
    text.bytes().map(|b| Bytes::copy_from_slice(&[b])).collect()
}

#[tokio::test]
async fn one_byte_pieces_make_the_same_body() {
    let text = "{\"type\":\"message_new\",\"object\":{}}";
    let body = pin!(Pieces::new(bytes_of(text)));
    let read = read(body, Some(text.len() as u64), &limits(1 << 20)).await.unwrap();
    assert_eq!(read, text.as_bytes());
}

#[tokio::test]
async fn a_whole_body_is_not_copied() {
    let whole = Bytes::from_static(b"{\"type\":\"confirmation\"}");
    let body = pin!(Pieces::new([whole.clone()]));
    let read = read(body, None, &limits(1 << 20)).await.unwrap();
    assert_eq!(read.as_ptr(), whole.as_ptr(), "the single piece is handed on as it is");
}

#[tokio::test]
async fn the_buffer_grows_to_the_declared_length_not_past_it() {
    let pieces: Vec<Bytes> = (0..100).map(|_| Bytes::from(vec![b'x'; 1000])).collect();
    let mut collector =
        Collector { first: None, rest: Vec::new(), expected: 100_000, cap: 1 << 20 };
    for piece in pieces {
        collector.push(piece).unwrap();
        let len = collector.len();
        assert!(collector.rest.capacity() <= (2 * len).max(2000), "{len}");
    }
    assert_eq!(collector.rest.capacity(), 100_000);
    assert_eq!(collector.finish().len(), 100_000);
}

#[tokio::test]
async fn more_than_the_cap_is_too_large_declared_or_received() {
    let body = pin!(Pieces::new(bytes_of("0123456789")));
    assert!(matches!(read(body, Some(11), &limits(10)).await, Err(BodyError::TooLarge)));
    let body = pin!(Pieces::new(bytes_of("0123456789a")));
    assert!(matches!(read(body, None, &limits(10)).await, Err(BodyError::TooLarge)));
    // A lying Content-Length does not let more through.
    let body = pin!(Pieces::new(bytes_of("0123456789a")));
    assert!(matches!(read(body, Some(3), &limits(10)).await, Err(BodyError::TooLarge)));
    let body = pin!(Pieces::new(bytes_of("0123456789")));
    assert_eq!(read(body, None, &limits(10)).await.unwrap().len(), 10);
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_times_out() {
    let mut pieces = Pieces::new(bytes_of("{\"type\""));
    pieces.stall = true;
    let body = pin!(pieces);
    let limits = Limits { body_read_timeout: Duration::from_secs(3), ..limits(100) };
    assert!(matches!(read(body, None, &limits).await, Err(BodyError::Timeout)));
}

#[tokio::test(start_paused = true)]
async fn lingering_stops_at_its_byte_and_time_bounds() {
    let many = Pieces::new((0..1000).map(|_| Bytes::from(vec![0u8; 1000])));
    let started = tokio::time::Instant::now();
    linger(many, 10_000, Duration::from_secs(60)).await;
    assert!(started.elapsed() < Duration::from_secs(1), "stops after 10 000 bytes");
    let mut endless = Pieces::new([Bytes::from_static(b"x")]);
    endless.stall = true;
    linger(endless, 10_000, Duration::from_secs(5)).await;
    assert_eq!(started.elapsed(), Duration::from_secs(5), "stops at the time bound");
}

//! Runs a handler future to completion, catching panics, without paying for
//! a task when it finishes on its first poll.
//!
//! The future is polled once in place. If it is done (handlers that do no
//! I/O), that is the result. If it is still pending it moves onto a spawned
//! task, so from then on it survives the request being dropped (a client
//! that hangs up does not cancel half-done work), and the caller awaits it.
//! A panic on either side is reported as `Err(())`.

use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::Poll;

use tracing::Instrument;

/// Runs `work`; `Err(())` if it panicked.
pub(crate) async fn run(mut work: Pin<Box<dyn Future<Output = ()> + Send>>) -> Result<(), ()> {
    let first =
        poll_fn(|cx| Poll::Ready(catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx))))).await;
    match first {
        Ok(Poll::Ready(())) => Ok(()),
        Ok(Poll::Pending) => tokio::spawn(work.in_current_span()).await.map_err(|_| ()),
        Err(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ready_pending_and_panicking_work() {
        assert_eq!(run(Box::pin(async {})).await, Ok(()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let waiting = tokio::spawn(run(Box::pin(async move {
            let _ = rx.await;
        })));
        tx.send(()).unwrap();
        assert_eq!(waiting.await.unwrap(), Ok(()));
        assert_eq!(run(Box::pin(async { panic!("at once") })).await, Err(()));
        let later = run(Box::pin(async {
            tokio::task::yield_now().await;
            panic!("after a pending poll")
        }));
        assert_eq!(later.await, Err(()));
    }

    #[tokio::test]
    async fn pending_work_survives_the_caller_being_dropped() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let caller = run(Box::pin(async move {
            let _ = rx.await;
            let _ = done_tx.send(());
        }));
        let mut caller = Box::pin(caller);
        // poll once so the work moves onto its own task, then drop the caller
        assert!(futures_poll_once(caller.as_mut()).await.is_none());
        drop(caller);
        tx.send(()).unwrap();
        done_rx.await.unwrap();
    }

    async fn futures_poll_once<F: Future + Unpin>(mut f: F) -> Option<F::Output> {
        poll_fn(|cx| {
            Poll::Ready(match Pin::new(&mut f).poll(cx) {
                Poll::Ready(v) => Some(v),
                Poll::Pending => None,
            })
        })
        .await
    }
}

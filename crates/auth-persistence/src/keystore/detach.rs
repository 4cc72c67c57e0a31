//! [`Detachable`]: runs a future inline, and if the caller drops it before
//! it finishes, hands the rest of it to the runtime to finish.
//!
//! Commits use it so a caller that stops waiting (a timeout, a cancelled
//! task) cannot leave a half-applied commit or a held lock behind, without
//! paying for a spawned task on every commit. Outside a tokio runtime a
//! dropped future is simply dropped (nothing could be running it anyway).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

pub(crate) struct Detachable<T: Send + 'static> {
    future: Option<Boxed<T>>,
}

impl<T: Send + 'static> Detachable<T> {
    pub(crate) fn new(future: impl Future<Output = T> + Send + 'static) -> Self {
        Self { future: Some(Box::pin(future)) }
    }
}

impl<T: Send + 'static> Future for Detachable<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let Some(future) = self.future.as_mut() else {
            // polled after completion: a caller bug; never resolve again
            return Poll::Pending;
        };
        let output = std::task::ready!(future.as_mut().poll(cx));
        self.future = None;
        Poll::Ready(output)
    }
}

impl<T: Send + 'static> Drop for Detachable<T> {
    fn drop(&mut self) {
        if let Some(rest) = self.future.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                drop(rest.await);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_dropped_future_is_finished_by_the_runtime() {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let work = Detachable::new(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            flag.store(true, Ordering::SeqCst);
        });
        assert!(tokio::time::timeout(Duration::from_secs(1), work).await.is_err());
        assert!(!done.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(done.load(Ordering::SeqCst), "the rest ran after the caller left");
    }

    #[tokio::test]
    async fn a_completed_future_returns_its_output_inline() {
        assert_eq!(Detachable::new(async { 7 }).await, 7);
    }
}

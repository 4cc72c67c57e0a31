//! The stdout handler's config: Tinode's defaults, and errors that name
//! the problem.

mod support;

use std::sync::Arc;
use std::time::Duration;

use push_core::conformance::sample_receipt;
use push_core::{Handler, HandlerError, Offer};
use push_stdout::{Config, DEFAULT_BUFFER, StdoutHandler};
use serde_json::{Value, json};
use support::GateWriter;

fn queue_size(config: Value) -> usize {
    Config::from_json(&config).expect("valid").queue_size()
}

#[test]
fn zero_negative_or_missing_buffer_means_32() {
    assert_eq!(DEFAULT_BUFFER, 32);
    assert_eq!(queue_size(json!({"enabled": true, "buffer": 0})), 32);
    assert_eq!(queue_size(json!({"enabled": true, "buffer": -5})), 32);
    assert_eq!(queue_size(json!({"enabled": true})), 32);
    assert_eq!(queue_size(json!({"enabled": true, "buffer": 3})), 3);
    assert_eq!(queue_size(json!({"enabled": true, "buffer": i64::MAX})), i64::MAX as usize);
    assert_eq!(Config::from_json(&json!({})).expect("valid"), Config { enabled: false, buffer: 0 });
}

#[tokio::test]
async fn the_default_queue_really_holds_32() {
    let (writer, seen) = GateWriter::new(usize::MAX);
    seen.hold();
    let handler = Arc::new(StdoutHandler::with_writer(writer));
    assert!(matches!(handler.init(&json!({"enabled": true, "buffer": 0})).await, Ok(true)));
    handler.push(&Arc::new(sample_receipt(0)));
    tokio::time::timeout(Duration::from_secs(10), async {
        while seen.started() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("first line starts");
    let offers: Vec<Offer> =
        (1..=40).map(|seq| handler.push(&Arc::new(sample_receipt(seq)))).collect();
    assert!(offers[..32].iter().all(|o| o.is_accepted()));
    assert!(offers[32..].iter().all(|o| *o == Offer::Full));
    seen.release();
    handler.stop(Duration::from_secs(10)).await;
    assert_eq!(seen.completed(), 33);
}

#[tokio::test]
async fn a_missing_enabled_means_disabled_and_a_second_init_is_refused() {
    let handler = StdoutHandler::with_writer(tokio::io::sink());
    assert!(matches!(handler.init(&json!({"buffer": 8})).await, Ok(false)));
    assert!(!handler.is_ready());
    let again = handler.init(&json!({"enabled": true})).await;
    assert!(matches!(again, Err(HandlerError::AlreadyInitialized)), "{again:?}");
    assert_eq!(again.expect_err("refused").to_string(), "already initialized");
}

#[test]
fn enabled_outside_a_runtime_is_a_typed_error() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let handler = StdoutHandler::with_writer(tokio::io::sink());
    let config = json!({"enabled": true});
    let mut init = std::pin::pin!(handler.init(&config));
    // Polled by hand, with no tokio runtime anywhere.
    match init.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => {
            assert!(matches!(result, Err(HandlerError::NoRuntime)), "{result:?}")
        }
        Poll::Pending => panic!("init does not wait for anything"),
    }
    assert!(!handler.is_ready());
}

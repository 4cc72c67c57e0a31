//! The Handler conformance suite against the test handler, and the
//! DeviceStore suite against `MemoryDeviceStore`.

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use push_core::conformance::{Harness, Subject, device_store_suite, handler_suite};
use push_core::{Handler, MemoryDeviceStore};
use serde_json::{Value, json};
use support::TestHandler;

struct TestSubject(Arc<TestHandler>);

impl Subject for TestSubject {
    fn handler(&self) -> Arc<dyn Handler> {
        Arc::clone(&self.0) as Arc<dyn Handler>
    }
    fn hold(&self) {
        self.0.gate.hold();
    }
    fn release(&self) {
        self.0.gate.release();
    }
    fn started(&self) -> usize {
        self.0.gate.started.load(Ordering::SeqCst)
    }
    fn completed(&self) -> usize {
        self.0.gate.completed.load(Ordering::SeqCst)
    }
}

struct TestHarness;

impl Harness for TestHarness {
    fn subject(&self) -> Box<dyn Subject> {
        Box::new(TestSubject(TestHandler::new("test")))
    }
    fn enabled_config(&self, buffer: usize) -> Value {
        json!({"enabled": true, "buffer": buffer})
    }
    fn disabled_config(&self) -> Value {
        json!({"enabled": false})
    }
    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        vec![
            (json!({"enabled": true, "buffer": 0}), "buffer 0 is outside"),
            (json!({"enabled": true, "buffer": -1}), "invalid value"),
            (json!({"enabled": true, "buffer": (1_u64 << 20) + 1}), "is outside"),
            (json!({"buffer": 3}), "missing field `enabled`"),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_handler_conforms_on_a_multi_thread_runtime() {
    handler_suite(&TestHarness).await;
}

#[tokio::test(start_paused = true)]
async fn test_handler_conforms_in_virtual_time() {
    handler_suite(&TestHarness).await;
}

#[tokio::test]
async fn memory_device_store_conforms() {
    device_store_suite(&MemoryDeviceStore::new()).await;
}

//! The push-core Handler conformance suite against `StdoutHandler`.

mod support;

use std::sync::Arc;

use push_core::Handler;
use push_core::conformance::{Harness, Subject, handler_suite};
use push_stdout::StdoutHandler;
use serde_json::{Value, json};
use support::{GateWriter, Seen};

struct StdoutSubject {
    handler: Arc<StdoutHandler>,
    seen: Arc<Seen>,
}

impl Subject for StdoutSubject {
    fn handler(&self) -> Arc<dyn Handler> {
        Arc::clone(&self.handler) as Arc<dyn Handler>
    }
    fn hold(&self) {
        self.seen.hold();
    }
    fn release(&self) {
        self.seen.release();
    }
    fn started(&self) -> usize {
        self.seen.started()
    }
    fn completed(&self) -> usize {
        self.seen.completed()
    }
}

struct StdoutHarness;

impl Harness for StdoutHarness {
    fn subject(&self) -> Box<dyn Subject> {
        let (writer, seen) = GateWriter::new(usize::MAX);
        Box::new(StdoutSubject { handler: Arc::new(StdoutHandler::with_writer(writer)), seen })
    }
    fn enabled_config(&self, buffer: usize) -> Value {
        json!({"enabled": true, "buffer": buffer})
    }
    fn disabled_config(&self) -> Value {
        json!({"enabled": false, "buffer": 8})
    }
    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        vec![
            (json!({"enabled": true, "buffer": "32"}), "invalid type: string \"32\""),
            (json!({"enabled": true, "buffer": 1.5}), "invalid type: floating point"),
            (
                json!({"enabled": true, "buffer": 2_000_000}),
                "buffer 2000000 is outside 1..=1048576",
            ),
            (json!({"enabled": 1}), "invalid type: integer `1`, expected a boolean"),
            (json!({"enabled": true, "Buffer": 8}), "unknown field `Buffer`"),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_handler_conforms() {
    handler_suite(&StdoutHarness).await;
}

#[tokio::test(start_paused = true)]
async fn stdout_handler_conforms_in_virtual_time() {
    handler_suite(&StdoutHarness).await;
}

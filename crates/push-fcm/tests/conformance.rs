//! The push-core Handler conformance suite against `FcmHandler`, talking
//! h2c to the loopback fake (its gate holds deliveries), on real and on
//! virtual time; plus the plugin's own bad configs, each naming the field.

use std::sync::Arc;

use push_core::conformance::{Harness, Subject, handler_suite};
use push_core::{Device, DeviceStore, Handler, MemoryDeviceStore, Platform, Timestamp};
use push_fcm::FcmHandler;
use push_fcm::testkit::{FakeFcm, service_account_json};
use serde_json::{Value, json};

struct FcmSubject {
    handler: Arc<FcmHandler>,
    fake: Arc<FakeFcm>,
    started: usize,
    completed: usize,
}

impl Subject for FcmSubject {
    fn handler(&self) -> Arc<dyn Handler> {
        Arc::clone(&self.handler) as Arc<dyn Handler>
    }
    fn hold(&self) {
        self.fake.hold();
    }
    fn release(&self) {
        self.fake.release();
    }
    fn started(&self) -> usize {
        self.fake.started() - self.started
    }
    fn completed(&self) -> usize {
        self.fake.completed() - self.completed
    }
}

struct FcmHarness {
    fake: Arc<FakeFcm>,
}

impl FcmHarness {
    fn new() -> Self {
        let fake = FakeFcm::start_in_runtime().unwrap_or_else(|e| panic!("fake FCM: {e}"));
        Self { fake: Arc::new(fake) }
    }

    fn credentials(&self) -> Value {
        serde_json::from_str(&service_account_json(self.fake.token_url())).unwrap_or_default()
    }
}

impl Harness for FcmHarness {
    fn subject(&self) -> Box<dyn Subject> {
        self.fake.release();
        let store = Arc::new(MemoryDeviceStore::new());
        let device = Device {
            token: "tokBob".into(),
            platform: Platform::Android,
            last_seen: Timestamp::UNIX_EPOCH,
            lang: "en".into(),
        };
        // The memory store answers at once; block_in_place is not needed.
        let registered = futures_ready(store.update("usrBob", None, device));
        assert!(registered.is_ok(), "device registered");
        Box::new(FcmSubject {
            handler: Arc::new(FcmHandler::new(store)),
            fake: Arc::clone(&self.fake),
            started: self.fake.started(),
            completed: self.fake.completed(),
        })
    }
    fn enabled_config(&self, buffer: usize) -> Value {
        json!({
            "enabled": true,
            "buffer": buffer,
            "credentials": self.credentials(),
            "fcm_base_url": self.fake.base_url(),
            "iid_base_url": self.fake.base_url(),
            "http_version": "http2",
            // The suite's drop-on-full rules count one receipt in flight
            // beside the queue: the plugin takes a receipt from the queue
            // only while a send slot is free, so one slot gives exactly
            // that (more slots, more receipts in flight: tests/plugin.rs).
            "concurrency": 1,
        })
    }
    fn disabled_config(&self) -> Value {
        json!({"enabled": false, "buffer": 8})
    }
    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        let mut no_project = self.credentials();
        no_project["project_id"] = json!("");
        let with = |key: &str, value: Value| {
            let mut config = self.enabled_config(8);
            config[key] = value;
            config
        };
        vec![
            (json!({"enabled": true}), "`credentials`: missing"),
            (
                with("credentials", no_project),
                "`credentials`: service account key: field `project_id` is empty",
            ),
            (
                with("credentials", json!("key.json")),
                "`credentials`: must be a service-account key object",
            ),
            (
                json!({"enabled": true, "credentials_file": "/nonexistent/key.json"}),
                "`credentials_file`: service account key file /nonexistent/key.json",
            ),
            (with("time_to_live", json!("1h")), "`time_to_live`: invalid type: string \"1h\""),
            (with("http_version", json!("h3")), "`http_version`: `h3` is not auto, http1 or http2"),
            (with("android", json!({"enabled": "yes"})), "`android`: invalid type"),
            (with("apns", json!({"titel": "x"})), "`apns`: unknown field `titel`"),
            (with("fcm_base_url", json!("ftp://x")), "`fcm_base_url`"),
            (with("buffer", json!(2_000_000)), "buffer 2000000 is outside 1..=1048576"),
            (with("concurrency", json!(-1)), "`concurrency`: must be positive"),
            (with("dry_run", json!(1)), "`dry_run`: invalid type: integer `1`"),
        ]
    }
}

/// Polls a future that is ready at once (the memory store's).
fn futures_ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => unreachable!("the memory store never waits"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fcm_handler_conforms() {
    handler_suite(&FcmHarness::new()).await;
}

#[tokio::test(start_paused = true)]
async fn fcm_handler_conforms_in_virtual_time() {
    handler_suite(&FcmHarness::new()).await;
}

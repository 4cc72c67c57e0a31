//! push-fcm in the compositions: [`fcm_registry`] builds a push registry
//! with push-stdout (into a [`SharedBuffer`]) next to push-fcm talking h2c
//! to the testkit's loopback fake FCM, the recipients' devices in a
//! `MemoryDeviceStore` (some of them dead tokens the fake answers
//! `UNREGISTERED`), and every per-device outcome kept.
//!
//! It does not talk to Google: the fake verifies the JWT, issues the access
//! token and records what it received.

use std::sync::{Arc, Mutex, PoisonError};

use push_core::{Device, DeviceStore, MemoryDeviceStore, Platform, Registry, Timestamp};
use push_fcm::testkit::{FakeFcm, service_account_json};
use push_fcm::{FcmHandler, OutcomeRecord};
use push_stdout::StdoutHandler;

use crate::push::SharedBuffer;

/// One registered device: user, token, platform, and whether FCM
/// considers the token dead.
#[derive(Debug, Clone, Copy)]
pub struct DemoDevice {
    /// The owner (`usr…`).
    pub user: &'static str,
    /// The registration token.
    pub token: &'static str,
    /// `android`, `ios`, `web` or empty.
    pub platform: &'static str,
    /// The fake answers `UNREGISTERED` for it.
    pub dead: bool,
}

/// A registry with `stdout` and `fcm`, and what is needed to look inside.
pub struct FcmRig {
    /// `stdout` then `fcm`, both enabled.
    pub registry: Arc<Registry>,
    /// What push-stdout wrote.
    pub buffer: SharedBuffer,
    /// The fake FCM (dropping the rig stops it).
    pub fake: FakeFcm,
    /// The device store push-fcm reads and removes dead tokens from.
    pub store: Arc<MemoryDeviceStore>,
    /// The push-fcm handler (for its outcome totals).
    pub fcm: Arc<FcmHandler>,
    outcomes: Arc<Mutex<Vec<OutcomeRecord>>>,
}

impl FcmRig {
    /// Every outcome so far, sorted by receipt, then target.
    pub fn outcomes(&self) -> Vec<OutcomeRecord> {
        let mut all = self.outcomes.lock().unwrap_or_else(PoisonError::into_inner).clone();
        all.sort_by(|a, b| (a.receipt, &a.target).cmp(&(b.receipt, &b.target)));
        all
    }

    /// The tokens `user` still has, in registration order.
    pub async fn tokens(&self, user: &str) -> Result<Vec<String>, String> {
        let mut devices = self.store.get_all(&[user]).await.map_err(|e| e.to_string())?;
        Ok(devices.remove(user).unwrap_or_default().into_iter().map(|d| d.token).collect())
    }
}

/// Builds the rig: the fake FCM, `devices` registered, both handlers
/// initialised from a Tinode-style config with queues of `buffer`.
pub async fn fcm_registry(devices: &[DemoDevice], buffer: usize) -> Result<FcmRig, String> {
    let fake = FakeFcm::start().await.map_err(|e| e.to_string())?;
    let store = Arc::new(MemoryDeviceStore::new());
    for d in devices {
        let device = Device {
            token: d.token.to_owned(),
            platform: Platform::from(d.platform),
            last_seen: Timestamp::UNIX_EPOCH,
            lang: "en".to_owned(),
        };
        store.update(d.user, None, device).await.map_err(|e| e.to_string())?;
        if d.dead {
            fake.kill_token(d.token);
        }
    }
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&outcomes);
    let fcm = Arc::new(
        FcmHandler::new(Arc::clone(&store) as Arc<dyn DeviceStore>).with_outcome_callback(
            Arc::new(move |record: &OutcomeRecord| {
                sink.lock().unwrap_or_else(PoisonError::into_inner).push(record.clone());
            }),
        ),
    );
    let buffer_out = SharedBuffer::new();
    let mut registry = Registry::new();
    let stdout = Arc::new(StdoutHandler::with_writer(buffer_out.clone()));
    registry.register(push_stdout::NAME, stdout).map_err(|e| e.to_string())?;
    registry.register(push_fcm::NAME, fcm.clone()).map_err(|e| e.to_string())?;
    let credentials: serde_json::Value =
        serde_json::from_str(&service_account_json(fake.token_url())).map_err(|e| e.to_string())?;
    let config = serde_json::json!([
        {"name": "stdout", "config": {"enabled": true, "buffer": buffer}},
        {"name": "fcm", "config": {
            "enabled": true,
            "buffer": buffer,
            "credentials": credentials,
            "fcm_base_url": fake.base_url(),
            "iid_base_url": fake.base_url(),
            "http_version": "http2",
            "android": {"enabled": true, "title": "New message", "body": "$content"},
            "apns": {"enabled": true, "title": "New message", "body": "$content"},
            "webpush": {"enabled": true},
        }},
    ]);
    let started = registry.init(&config.to_string()).await.map_err(|e| e.to_string())?;
    if started != ["stdout", "fcm"] {
        return Err(format!("enabled handlers: {started:?}, expected [stdout, fcm]"));
    }
    Ok(FcmRig { registry: Arc::new(registry), buffer: buffer_out, fake, store, fcm, outcomes })
}

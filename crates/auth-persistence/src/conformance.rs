//! The backend-neutral conformance suite (feature `conformance`).
//!
//! Every backend crate runs [`run_all`] against its backend through a
//! [`Subject`] that opens storage "slots" (a directory, a database file…).
//! The checks are research §10 tests 1–11, 16, 22 and 23 written against the
//! port, basic round trips, and a seeded model-based check of concurrent
//! transactions with injected failures; each panics with a message naming the
//! rule it checks, like any test assertion. [`Probe`] (counting, failure
//! injection) is public so backends can write their own checks too.
//!
//! ```
//! use std::sync::Arc;
//! use auth_persistence::conformance::{MemorySubject, run_all};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! run_all(&MemorySubject::default()).await;
//! # }
//! ```

mod basics;
pub mod crash;
mod dispatch;
mod keystore;
mod model;
mod probe;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

pub use self::basics::{
    concurrent_creds_saves_leave_one_input, concurrent_save_and_delete_never_tear,
    creds_round_trip_losslessly, falsy_values_delete_and_missing_deletes_are_ok,
    keys_round_trip_and_list, realistic_ids,
};
pub use self::dispatch::{
    context_dispatch_follows_precedence, context_free_backend_is_called_without_context,
};
pub use self::keystore::{
    cache_loads_each_id_once, clear_removes_ids_of_a_previous_process,
    failed_commit_restores_every_touched_id, failing_body_commits_nothing,
    missing_pre_key_deletion_makes_no_delete_call, nested_transaction_reuses_outer_buffer,
    retries_stop_after_the_configured_attempts, same_key_transactions_are_serialised,
};
pub use self::model::transactions_match_a_model;
pub use self::probe::{Counts, Injected, Probe};
use crate::{KeyStore, KeyStoreConfig, MemoryPersistence, Persistence};

/// Opens the backend under test.
#[async_trait]
pub trait Subject: Send + Sync {
    /// A backend over storage `slot`. Opening a slot again must see
    /// everything written through earlier openings (like a restarted
    /// process); different slots are independent and start empty.
    async fn open(&self, slot: &str) -> Arc<dyn Persistence>;
}

/// [`MemoryPersistence`] as a [`Subject`]: one shared store per slot.
#[derive(Default)]
pub struct MemorySubject {
    slots: Mutex<HashMap<String, MemoryPersistence>>,
}

#[async_trait]
impl Subject for MemorySubject {
    async fn open(&self, slot: &str) -> Arc<dyn Persistence> {
        let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::new(slots.entry(slot.to_owned()).or_default().clone())
    }
}

/// A key store configured for quick tests: 3 attempts, 1 ms apart.
pub fn quick_store(backend: Arc<dyn Persistence>) -> KeyStore {
    KeyStore::with_config(
        backend,
        KeyStoreConfig {
            max_commit_attempts: 3,
            retry_delay: Duration::from_millis(1),
            ..KeyStoreConfig::default()
        },
    )
}

/// Runs every backend-neutral check, each on its own slot.
pub async fn run_all(subject: &dyn Subject) {
    keys_round_trip_and_list(subject).await;
    creds_round_trip_losslessly(subject).await;
    context_free_backend_is_called_without_context(subject).await;
    cache_loads_each_id_once(subject).await;
    same_key_transactions_are_serialised(subject).await;
    failing_body_commits_nothing(subject).await;
    failed_commit_restores_every_touched_id(subject).await;
    retries_stop_after_the_configured_attempts(subject).await;
    missing_pre_key_deletion_makes_no_delete_call(subject).await;
    nested_transaction_reuses_outer_buffer(subject).await;
    clear_removes_ids_of_a_previous_process(subject).await;
    falsy_values_delete_and_missing_deletes_are_ok(subject).await;
    concurrent_creds_saves_leave_one_input(subject).await;
    concurrent_save_and_delete_never_tear(subject).await;
    for seed in 1..=2 {
        transactions_match_a_model(subject, seed).await;
    }
}

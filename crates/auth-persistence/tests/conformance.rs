//! The backend-neutral conformance suite against the in-memory backend.

use std::sync::Arc;

use auth_persistence::conformance::{MemorySubject, context_dispatch_follows_precedence, run_all};
use auth_persistence::{ContextPersistence, MemoryPersistence, Persistence};

#[tokio::test]
async fn memory_backend_passes_the_suite() {
    run_all(&MemorySubject::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_backend_passes_the_suite_on_a_multi_thread_runtime() {
    run_all(&MemorySubject::default()).await;
}

#[tokio::test]
async fn memory_backend_context_dispatch_follows_precedence() {
    let memory = MemoryPersistence::new();
    let aware: Arc<dyn ContextPersistence<String>> = Arc::new(memory.clone());
    let free: Arc<dyn Persistence> = Arc::new(memory);
    context_dispatch_follows_precedence(
        aware,
        free,
        "account-a".to_owned(),
        "account-b".to_owned(),
    )
    .await;
}

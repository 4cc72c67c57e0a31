//! Seeded concurrency stress on the in-memory backend: the conformance
//! suite's model check (overlapping, nested, aborted and cancelled
//! transactions with 15 % injected write failures, ending equal to a model
//! `BTreeMap`) over more seeds and on both runtime flavours.

use auth_persistence::conformance::{MemorySubject, transactions_match_a_model};

#[tokio::test(start_paused = true)]
async fn concurrent_transactions_with_injected_failures_end_equal_to_the_model() {
    let subject = MemorySubject::default();
    for seed in 1..=12 {
        transactions_match_a_model(&subject, seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_holds_on_a_multi_thread_runtime() {
    let subject = MemorySubject::default();
    for seed in 100..=105 {
        transactions_match_a_model(&subject, seed).await;
    }
}

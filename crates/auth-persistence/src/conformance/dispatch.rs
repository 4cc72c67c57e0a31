//! Research §10 tests 1–3: which implementation [`Dispatch`] calls.

use std::sync::Arc;

use serde_json::json;

use super::{Probe, Subject};
use crate::{AuthCreds, ContextPersistence, Dispatch, KeyFamily, KeyWrite, Persistence};

/// Test 1: with no context configured, the context-free implementation is
/// called (and does the work).
pub async fn context_free_backend_is_called_without_context(subject: &dyn Subject) {
    let backend = subject.open("dispatch-free").await;
    let probe = Probe::new(backend.clone());
    let resolved = Dispatch::<()>::new().context_free(probe.clone()).resolve();
    let family = KeyFamily::PreKey;
    resolved.save_key(&family, "1", &json!({"k": 1})).await.expect("save through dispatch");
    let loaded = resolved.load_key(&family, "1").await.expect("load through dispatch");
    assert_eq!(loaded, Some(json!({"k": 1})), "test 1: the context-free backend answers");
    let counts = probe.counts();
    assert_eq!(
        (counts.save_key, counts.load_key),
        (1, 1),
        "test 1: the context-free backend is called"
    );
    assert_eq!(
        backend.load_key(&family, "1").await.expect("direct load"),
        Some(json!({"k": 1})),
        "test 1: the write reached the backend"
    );
}

/// Tests 2 and 3 for a backend with a context-aware form: with a context
/// configured, the context-aware implementation gets exactly that context;
/// without one the context-free implementation is used; a context-only
/// backend without a context answers every operation with `Unsupported`.
/// `other` must name a different, empty context.
pub async fn context_dispatch_follows_precedence<C>(
    aware: Arc<dyn ContextPersistence<C>>,
    free: Arc<dyn Persistence>,
    ctx: C,
    other: C,
) where
    C: Clone + Send + Sync + 'static,
{
    let family = KeyFamily::Session;
    let value = json!({"v": "ctx"});
    let with_ctx = Dispatch::new()
        .context_free(free.clone())
        .context_aware(aware.clone())
        .context(ctx.clone())
        .resolve();
    with_ctx.save_key(&family, "a.0", &value).await.expect("save with context");
    assert_eq!(
        aware.load_key(&ctx, &family, "a.0").await.expect("load ctx"),
        Some(value.clone()),
        "test 2: the context-aware implementation got the configured context"
    );
    assert_eq!(
        aware.load_key(&other, &family, "a.0").await.expect("load other"),
        None,
        "test 2: exactly that context"
    );
    assert_eq!(
        free.load_key(&family, "a.0").await.expect("load free"),
        None,
        "test 2: not the context-free one"
    );

    let without_ctx =
        Dispatch::new().context_free(free.clone()).context_aware(aware.clone()).resolve();
    without_ctx.save_key(&family, "b.0", &json!(2)).await.expect("save without context");
    assert_eq!(
        free.load_key(&family, "b.0").await.expect("load free"),
        Some(json!(2)),
        "no context: context-free"
    );
    assert_eq!(
        aware.load_key(&ctx, &family, "b.0").await.expect("load ctx"),
        None,
        "no context: not the aware one"
    );

    let only_aware = Dispatch::<C>::new().context_aware(aware).resolve();
    let creds = AuthCreds::fresh().expect("fresh creds");
    let results = [
        only_aware.load_credentials().await.map(drop),
        only_aware.save_credentials(&creds).await,
        only_aware.load_key(&family, "x").await.map(drop),
        only_aware.save_key(&family, "x", &json!(1)).await,
        only_aware.delete_key(&family, "x").await,
        only_aware.list_ids(&family).await.map(drop),
        only_aware.list_families().await.map(drop),
        only_aware.write_batch(&[KeyWrite::delete(family.clone(), "x")]).await,
        only_aware.flush().await,
    ];
    for result in results {
        let error = result.expect_err("test 3: a context-only backend without context must fail");
        assert!(error.is_unsupported(), "test 3: typed Unsupported, got {error}");
    }
}

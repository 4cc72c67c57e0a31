//! Research §10 tests 1–3 with recording fakes: which implementation
//! `Dispatch` calls, with which context.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use auth_persistence::{
    AuthCreds, ContextPersistence, Dispatch, Error, KeyFamily, KeyWrite, MemoryPersistence,
    Persistence, Result,
};
use serde_json::{Value, json};

/// Records every call as `(operation, context)`; `None` = context-free.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(&'static str, Option<u32>)>>,
    data: MemoryPersistence,
}

impl Recorder {
    fn record(&self, op: &'static str, ctx: Option<u32>) {
        self.calls.lock().expect("calls").push((op, ctx));
    }

    fn calls(&self) -> Vec<(&'static str, Option<u32>)> {
        self.calls.lock().expect("calls").clone()
    }
}

#[async_trait]
impl Persistence for Recorder {
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        self.record("load_credentials", None);
        Persistence::load_credentials(&self.data).await
    }
    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()> {
        self.record("save_credentials", None);
        Persistence::save_credentials(&self.data, creds).await
    }
    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        self.record("load_key", None);
        Persistence::load_key(&self.data, family, id).await
    }
    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()> {
        self.record("save_key", None);
        Persistence::save_key(&self.data, family, id, value).await
    }
    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()> {
        self.record("delete_key", None);
        Persistence::delete_key(&self.data, family, id).await
    }
}

#[async_trait]
impl ContextPersistence<u32> for Recorder {
    async fn load_credentials(&self, ctx: &u32) -> Result<Option<AuthCreds>> {
        self.record("load_credentials", Some(*ctx));
        Ok(None)
    }
    async fn save_credentials(&self, ctx: &u32, _: &AuthCreds) -> Result<()> {
        self.record("save_credentials", Some(*ctx));
        Ok(())
    }
    async fn load_key(&self, ctx: &u32, _: &KeyFamily, _: &str) -> Result<Option<Value>> {
        self.record("load_key", Some(*ctx));
        Ok(None)
    }
    async fn save_key(&self, ctx: &u32, _: &KeyFamily, _: &str, _: &Value) -> Result<()> {
        self.record("save_key", Some(*ctx));
        Ok(())
    }
    async fn delete_key(&self, ctx: &u32, _: &KeyFamily, _: &str) -> Result<()> {
        self.record("delete_key", Some(*ctx));
        Ok(())
    }
    async fn list_ids(&self, ctx: &u32, _: &KeyFamily) -> Result<Vec<String>> {
        self.record("list_ids", Some(*ctx));
        Ok(Vec::new())
    }
}

/// Calls every operation once; returns each result's error, if any.
async fn exercise(backend: &dyn Persistence) -> Vec<Option<Error>> {
    let creds = AuthCreds::fresh().expect("fresh");
    let family = KeyFamily::PreKey;
    vec![
        backend.load_credentials().await.err(),
        backend.save_credentials(&creds).await.err(),
        backend.load_key(&family, "1").await.err(),
        backend.save_key(&family, "1", &json!(1)).await.err(),
        backend.delete_key(&family, "1").await.err(),
        backend.list_ids(&family).await.err(),
        backend.write_batch(&[KeyWrite::delete(family.clone(), "2")]).await.err(),
        backend.flush().await.err(),
    ]
}

#[tokio::test]
async fn test_1_context_free_backend_is_called_when_no_context_is_configured() {
    for also_aware in [false, true] {
        let recorder = Arc::new(Recorder::default());
        let mut dispatch = Dispatch::<u32>::new().context_free(recorder.clone());
        if also_aware {
            dispatch = dispatch.context_aware(recorder.clone());
        }
        let errors = exercise(dispatch.resolve().as_ref()).await;
        // list_ids is not implemented by the context-free form: Unsupported
        assert!(errors[5].as_ref().is_some_and(Error::is_unsupported));
        assert!(errors.iter().enumerate().all(|(i, e)| i == 5 || e.is_none()), "{errors:?}");
        let calls = recorder.calls();
        assert!(!calls.is_empty());
        assert!(calls.iter().all(|(_, ctx)| ctx.is_none()), "only context-free calls: {calls:?}");
    }
}

#[tokio::test]
async fn test_2_context_aware_backend_gets_exactly_the_configured_context() {
    let recorder = Arc::new(Recorder::default());
    let backend = Dispatch::new()
        .context_free(recorder.clone())
        .context_aware(recorder.clone())
        .context(7u32)
        .resolve();
    let errors = exercise(backend.as_ref()).await;
    assert!(errors.iter().all(Option::is_none), "{errors:?}");
    let calls = recorder.calls();
    let expected: Vec<(&str, Option<u32>)> = [
        "load_credentials",
        "save_credentials",
        "load_key",
        "save_key",
        "delete_key",
        "list_ids",
        "delete_key", // write_batch's default goes key by key
    ]
    .into_iter()
    .map(|op| (op, Some(7)))
    .collect();
    assert_eq!(calls, expected);
}

#[tokio::test]
async fn test_3_context_only_backend_without_context_is_unsupported_not_a_panic() {
    let recorder = Arc::new(Recorder::default());
    let backend = Dispatch::<u32>::new().context_aware(recorder.clone()).resolve();
    for error in exercise(backend.as_ref()).await {
        let error = error.expect("every operation fails");
        assert!(error.is_unsupported(), "{error}");
        assert!(error.to_string().contains("no context is configured"), "{error}");
    }
    assert!(recorder.calls().is_empty(), "the backend is never called");
    let nothing = Dispatch::<u32>::new().resolve();
    let error = nothing.load_credentials().await.expect_err("nothing configured");
    assert!(error.to_string().contains("no backend is configured"), "{error}");
}

//! The vk section: a callback server on loopback answering a confirmation,
//! a wrong secret, an event, its redelivery and malformed JSON.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use integration_tests::Table;
use integration_tests::vk::{VkServer, envelope, message_new};
use serde_json::json;
use vk_callback::Callback;

use crate::{CONFIRMATION, Checks, GROUP, SECRET, heading};

pub(crate) async fn vk(checks: &mut Checks) -> Result<(), String> {
    heading("vk: VK Callback API server (vk-callback, in-memory dedup)");
    let runs = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&runs);
    let callback = Callback::builder()
        .confirmation(CONFIRMATION)
        .secret(SECRET)
        .message_new(move |_ctx, _new| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {}
        })
        .build();
    let server = VkServer::start(callback).await?;
    println!("listening on {} (secret and confirmation code set)", server.addr());
    let message =
        envelope("message_new", GROUP, "evt-1", SECRET, message_new(7, 1001, "hi", 1_700_000_000));
    let mut table = Table::new("requests", &["#", "request", "status", "body", "handler runs"]);
    let cases = [
        (
            "confirmation",
            200,
            CONFIRMATION,
            Some(envelope("confirmation", GROUP, "", SECRET, json!({}))),
            0,
        ),
        (
            "message_new, wrong secret",
            403,
            "Bad Secret\n",
            Some(envelope("message_new", GROUP, "evt-0", "guess", json!({}))),
            0,
        ),
        ("message_new evt-1", 200, "ok", Some(message.clone()), 0),
        ("evt-1 again (X-Retry-Counter: 1)", 200, "ok", Some(message), 1),
        ("malformed JSON", 400, "Bad Request\n", None, 0),
    ];
    for (i, (what, status, body, request, retry)) in cases.into_iter().enumerate() {
        let answer = match request {
            Some(request) => server.post(&request, retry).await?,
            None => server.post_raw("{\"type\": \"message_new\",").await?,
        };
        table.row([
            (i + 1).to_string(),
            what.to_owned(),
            answer.status.to_string(),
            answer.body_escaped(),
            runs.load(Ordering::SeqCst).to_string(),
        ]);
        checks.check(
            format!("vk: {what} answers {status}"),
            answer.status == status && answer.body == body,
        );
    }
    println!("{table}");
    checks.check(
        "vk: the handler ran once (the retry was deduplicated)",
        runs.load(Ordering::SeqCst) == 1,
    );
    server.stop().await
}

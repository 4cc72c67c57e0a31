//! The push section: three receipts through a registry with push-stdout
//! (into a buffer, printed afterwards) and a collector; per-handler counters.

use std::time::Duration;

use integration_tests::Table;
use integration_tests::push::registry;
use push_core::{Action, Payload, Receipt, Recipient, Timestamp};
use serde_json::json;

use crate::{Checks, heading};

pub(crate) fn receipts() -> Result<Vec<Receipt>, String> {
    let ts = |secs| Timestamp::from_unix(secs, 0).map_err(|e| e.to_string());
    let mut msg =
        Receipt::new(Payload::new(Action::Msg, "grpDemo", "usrAlice", ts(1_700_000_000)?));
    msg.payload.seq = 17;
    msg.payload.mime = "text/plain".into();
    msg.payload.content = Some(json!("lunch at noon?"));
    msg.to.insert("usrBob".into(), Recipient { unread: 3, ..Recipient::default() });
    msg.to.insert("usrCarol".into(), Recipient { delivered: 1, ..Recipient::default() });
    let mut sub =
        Receipt::new(Payload::new(Action::Sub, "grpDemo", "usrAlice", ts(1_700_000_060)?));
    sub.payload.want = "JRWPS".into();
    sub.payload.given = "JRWPS".into();
    sub.to.insert("usrDave".into(), Recipient::default());
    let mut read =
        Receipt::new(Payload::new(Action::Read, "grpDemo", "usrBob", ts(1_700_000_120)?));
    read.payload.seq = 17;
    read.payload.silent = true;
    read.to.insert("usrBob".into(), Recipient::default());
    Ok(vec![msg, sub, read])
}

pub(crate) async fn push(checks: &mut Checks) -> Result<(), String> {
    heading("push: plugin registry (push-core, push-stdout into a buffer)");
    let (registry, collector, buffer) = registry(true).await?;
    let receipts = receipts()?;
    let mut offered = Table::new("pushes", &["receipt", "to", "handlers accepted"]);
    for receipt in &receipts {
        let accepted = registry.push(receipt.clone());
        let to: Vec<&str> = receipt.to.keys().map(String::as_str).collect();
        offered.row([receipt.payload.what.as_str().to_owned(), to.join(","), accepted.to_string()]);
        checks.check(
            format!("push: {} accepted by both handlers", receipt.payload.what.as_str()),
            accepted == 2,
        );
    }
    println!("{offered}");
    registry.stop(Duration::from_secs(2)).await;
    println!("push-stdout wrote (one JSON line per receipt):");
    for line in buffer.text().lines() {
        println!("  {line}");
    }
    let mut counters = Table::new(
        "\nper-handler counters",
        &["handler", "accepted", "dropped", "delivered", "failed", "abandoned"],
    );
    for (name, c) in registry.counters() {
        counters.row([
            name.to_owned(),
            c.accepted.to_string(),
            c.dropped.to_string(),
            c.delivered.to_string(),
            c.failed.to_string(),
            c.abandoned.to_string(),
        ]);
        checks.check(format!("push: {name} delivered all 3"), c.accepted == 3 && c.delivered == 3);
    }
    println!("{counters}");
    checks.check("push: stdout lines read back as the receipts", buffer.receipts()? == receipts);
    let collected: Vec<Receipt> = collector.receipts().iter().map(|r| (**r).clone()).collect();
    checks.check("push: the collector got the receipts in order", collected == receipts);
    Ok(())
}

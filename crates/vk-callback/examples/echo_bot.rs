//! An echo bot on the VK Callback API.
//!
//! ```text
//! VK_CONFIRMATION=3e4b2c1a VK_SECRET=s3cr3t VK_TOKEN=<community token> \
//!     cargo run -p vk-callback --example echo_bot
//! ```
//!
//! It listens on `VK_ADDR` (default `127.0.0.1:8080`; put a TLS proxy in
//! front for VK), answers VK's confirmation with `VK_CONFIRMATION`, checks
//! `VK_SECRET`, and answers every new message with its own text through
//! `messages.send` when `VK_TOKEN` is set (otherwise it only logs). The
//! `random_id` comes from the event id, so a redelivered event can never
//! send a second reply. Ctrl-C shuts it down gracefully.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;
use tracing::{info, warn};
use vk_callback::{Callback, VkApi};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A stable `random_id` for an event: VK drops a second send with the same one.
fn random_id(group_id: i64, event_id: &str) -> i32 {
    let mut hasher = DefaultHasher::new();
    (group_id, event_id).hash(&mut hasher);
    (hasher.finish() & 0x7fff_ffff) as i32
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,vk_callback=debug".into()),
        )
        .init();
    let addr = env("VK_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let confirmation = env("VK_CONFIRMATION").ok_or("set VK_CONFIRMATION")?;
    let secret = env("VK_SECRET").unwrap_or_default();
    if secret.is_empty() {
        warn!("VK_SECRET is empty: requests are not authenticated");
    }
    let api = match env("VK_TOKEN") {
        Some(token) => Some(Arc::new(VkApi::new(token)?)),
        None => {
            warn!("VK_TOKEN is not set: messages are only logged");
            None
        }
    };

    let callback = Callback::builder()
        .confirmation(&confirmation)
        .secret(&secret)
        .message_new(move |ctx, new| {
            let api = api.clone();
            async move {
                let message = new.message;
                info!(from = message.from_id, retry = ctx.retry_counter(), text = %message.text, "message");
                let Some(api) = api else { return };
                if message.text.is_empty() {
                    return;
                }
                let params = [
                    ("peer_id", message.peer_id.to_string()),
                    ("message", message.text.clone()),
                    ("random_id", random_id(ctx.group_id(), ctx.event_id()).to_string()),
                ];
                if let Err(e) = api.call::<Value>("messages.send", &params).await {
                    warn!(error = %e, "cannot send the echo");
                }
            }
        })
        .on_unknown(|_, envelope| async move {
            info!(kind = envelope.event_type(), "an event this crate does not type yet");
        })
        .build();
    info!(%addr, "echo bot listening");
    callback.serve(addr).await?;
    Ok(())
}

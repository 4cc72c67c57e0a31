//! A VK Callback API server on hyper: confirmation, secret check, typed
//! events, retry handling, deduplication and AutoSetting.
//!
//! It keeps SevereCloud/vksdk's wire contract byte for byte (`ok`,
//! `Bad Secret\n` with 403, `Bad Request\n` with 400, `remove`, the verbatim
//! confirmation code, the secret checked before anything else) and adds what
//! vksdk leaves out: constant-time secret comparison, typed `Retry-After`,
//! deduplication of VK's redeliveries, bounded background handling, panic
//! isolation, body and time limits, and graceful shutdown.
//!
//! What it deliberately does not do: wrap the VK API beyond the calls
//! AutoSetting needs, long polling, or routing other paths — mount
//! [`Callback`] (a hyper `Service`) in your own router for that.
//!
//! ```
//! use vk_callback::Callback;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let callback = Callback::builder()
//!     .confirmation("3e4b2c1a")
//!     .secret("s3cr3t")
//!     .message_new(|ctx, new| async move {
//!         tracing::info!(group = ctx.group_id(), text = %new.message.text, "message");
//!     })
//!     .build();
//!
//! // The same value is a hyper Service; here it answers one request directly.
//! let body = r#"{"type":"confirmation","group_id":1,"secret":"s3cr3t"}"#;
//! let request = hyper::Request::post("/").body(http_body_util::Full::new(body.as_bytes()))?;
//! let response = callback.handle(request).await;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```
//!
//! To run it on its own: `callback.serve("0.0.0.0:8080").await?`, or
//! [`Server::bind`] then [`Server::run_until`] for your own shutdown signal.

mod api;
mod body;
mod builder;
mod callback;
mod connection;
mod context;
mod dedup;
mod dispatch;
mod envelope;
mod error;
pub mod events;
mod handlers;
mod inline;
mod keys;
mod policy;
mod response;
mod server;
mod service;
mod setup;

pub use api::{API_VERSION, DEFAULT_BASE_URL, VkApi};
pub use builder::CallbackBuilder;
pub use callback::Callback;
pub use context::{Context, MAX_RETRY_DELAY};
pub use dedup::{Claimed, DedupStore, EventKey, MemoryDedup};
pub use envelope::{Envelope, MAX_JSON_DEPTH};
pub use error::{ApiError, EnvelopeError, ReplyError, ServeError, SetupError};
pub use keys::Keys;
pub use policy::{DecodePolicy, DecodeReport};
pub use response::CallbackResponse;
pub use server::Server;
pub use setup::{AutoSetting, MAX_TITLE_CHARS, Setup};

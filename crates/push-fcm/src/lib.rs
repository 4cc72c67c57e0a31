//! Firebase Cloud Messaging HTTP v1 for msgkit, in two public layers:
//!
//! - an FCM client usable on its own ([`FcmClient`]): the v1 [`Message`]
//!   with the Admin SDKs' wire JSON, `send` / `validate` (dry run), topic
//!   `subscribe` / `unsubscribe` of token batches, OAuth2 access tokens
//!   minted from a service-account key (RS256 on ring, cached, one refresh
//!   in flight, refreshed before expiry, refreshed once on a 401), HTTP/2
//!   over rustls with bounded concurrency;
//! - a sans-IO retry policy ([`Backoff`], [`Verdict`]) that classifies
//!   FCM's errors (dead token, transient with `Retry-After`, permanent),
//!   and a [`Dispatcher`] that drives it over batches with bounded
//!   concurrency, deletes dead tokens from push-core's `DeviceStore` and
//!   records exactly one [`Outcome`] per message (counters and callback);
//! - the push-core plugin [`FcmHandler`] (registered as `fcm`) with
//!   Tinode's config and Tinode's receipt → message expansion.
//!
//! ```
//! use push_fcm::{Backoff, FcmClient, Message, RetryPolicy, Target, Verdict, testkit::{FakeFcm, Reply}};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakeFcm::start().await?;
//! fake.script("tok1", [Reply::unavailable(None)]);
//! let client = FcmClient::new(fake.service_account(), fake.client_config())?;
//! let mut backoff = Backoff::new(RetryPolicy { base_delay: std::time::Duration::from_millis(1), ..RetryPolicy::standard() }, 1);
//! let (verdict, attempts, _) =
//!     client.send_with_retry(&Message::new(Target::Token("tok1".into())), false, &mut backoff).await;
//! assert_eq!((verdict, attempts), (Verdict::Delivered, 2));
//! # Ok(())
//! # }
//! ```
//!
//! What it deliberately does not do: the legacy `/fcm/send` or `/batch`
//! APIs (both shut down), APNs or web push directly, or storing devices.
//! With the `testkit` feature, [`testkit`] holds a loopback fake of the
//! token endpoint and FCM for tests and benchmarks.

mod client;
mod credentials;
mod dispatch;
mod error;
mod message;
mod outcome;
mod plugin;
mod policy;
#[cfg(feature = "testkit")]
pub mod testkit;
mod token;
mod transport;

pub use client::{
    ClientConfig, ClientError, FCM_BASE_URL, FcmClient, IID_BASE_URL, MAX_TOPIC_BATCH,
    SendResponse, TopicResults,
};
pub use credentials::{ASSERTION_LIFETIME_SECS, FCM_SCOPE, GOOGLE_TOKEN_URI, ServiceAccount};
pub use dispatch::{DispatchConfig, Dispatcher, Job, Started};
pub use error::{ApiError, BoxError, CredentialsError, SendError, TokenError};
pub use message::{
    AndroidConfig, AndroidNotification, AndroidPriority, ApnsConfig, ApnsFcmOptions, ApnsPayload,
    Aps, ApsAlert, FcmOptions, MAX_PAYLOAD_BYTES, MAX_TOPIC_PAYLOAD_BYTES, Message, Notification,
    NotificationPriority, ProtoDuration, Target, Visibility, WebpushConfig, WebpushFcmOptions,
};
pub use outcome::{Outcome, OutcomeCallback, OutcomeRecord, OutcomeTotals, Owner};
pub use plugin::{
    DEFAULT_BUFFER, DEFAULT_CONCURRENCY, DEFAULT_TIME_TO_LIVE, FcmConfig, FcmHandler, NAME,
    PlatformConfig, Texts, UserChannels,
};
pub use policy::{Backoff, Class, RetryPolicy, Verdict, classify};
pub use token::AccessToken;
pub use transport::{HttpVersion, Roots};

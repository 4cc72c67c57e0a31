//! The push-notification plugin system, modelled on tinode/chat
//! `server/push`: Tinode-compatible receipt types, the [`Handler`] port
//! plugins implement, the [`Registry`] that initialises them from a JSON
//! config and fans every receipt out to them without waiting, the
//! [`Mailbox`] that gives a plugin its bounded queue, worker, counters and
//! graceful stop ([`Plugin`] turns that into a [`Handler`]), and the [`DeviceStore`] port with an in-memory
//! implementation.
//!
//! ```
//! use push_core::{Action, Payload, Receipt, Recipient, Registry, Timestamp};
//!
//! let mut receipt = Receipt::new(Payload::new(Action::Msg, "grpX", "usrA", Timestamp::now()));
//! receipt.to.insert("usrB".into(), Recipient { unread: 1, ..Recipient::default() });
//!
//! // With no handler registered, pushing is a no-op.
//! let registry = Registry::new();
//! assert_eq!(registry.push(receipt), 0);
//! ```
//!
//! What it deliberately does not do: talk to any push service (FCM and
//! stdout are the plugin crates `push-fcm` and `push-stdout`), store devices
//! durably, or build receipts from chat events. With the `conformance`
//! feature, the `conformance` module holds the suites every plugin and device store
//! runs in its tests.

mod channel;
mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
mod device;
mod error;
mod handler;
mod hub;
mod mailbox;
mod memory_store;
mod plugin;
mod receipt;
mod registry;
mod timestamp;

pub use channel::{ChannelReq, ChannelTarget};
pub use config::parse_config;
pub use device::{Device, DeviceStore, Platform};
pub use error::{
    ChannelReqError, DeliveryError, DeviceStoreError, HandlerError, RegistryError, TimestampError,
};
pub use handler::{Counters, Handler, Offer};
pub use mailbox::{Deliver, MAX_BUFFER, Mailbox, Pending};
pub use memory_store::MemoryDeviceStore;
pub use plugin::Plugin;
pub use receipt::{Action, MAX_PAYLOAD_CHARS, Payload, Receipt, Recipient};
pub use registry::{HandlerConfig, Registry};
pub use timestamp::Timestamp;

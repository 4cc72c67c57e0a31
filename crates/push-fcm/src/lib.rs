//! A `push-core` handler that sends receipts through Firebase Cloud
//! Messaging HTTP v1.
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it will do: mint OAuth2 access tokens from a service-account key
//! (RS256 on ring), send one message per device over HTTPS, and remove
//! tokens FCM reports as dead through the `DeviceStore` port.
//!
//! What it deliberately does not do: store devices or talk to other push
//! services.

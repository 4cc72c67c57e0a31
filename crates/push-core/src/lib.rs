//! The push-notification plugin system: the `Handler` port, the `Registry`
//! that fans receipts out to handlers, Tinode-compatible receipt types and the
//! `DeviceStore` port.
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it deliberately does not do: talk to any push service; FCM and
//! stdout are separate plugin crates (`push-fcm`, `push-stdout`).

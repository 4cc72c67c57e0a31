//! A VK Callback API server on hyper.
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it will do: answer VK's confirmation request, check the secret in
//! constant time, decode every event type into typed objects, deduplicate
//! VK's retries and configure the group's callback server (AutoSetting).
//!
//! What it deliberately does not do: wrap the rest of the VK API or
//! long polling; it has no dependency on any other workspace crate.

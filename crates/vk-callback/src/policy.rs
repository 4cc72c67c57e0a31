//! Server policies: what a typed-decode failure answers, how handlers run,
//! and the request limits.

use std::time::Duration;

use crate::events::EventType;

/// What to answer when an event's `object` does not decode into its type
/// (wrong JSON type somewhere inside, or no `object` at all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DecodePolicy {
    /// `400 Bad Request\n`, as vksdk does. VK retries the event, which is
    /// right when a fixed deployment can then accept it, but a retry of the
    /// same bytes fails the same way.
    #[default]
    Reject,
    /// `ok`, after reporting the failure to the
    /// [`on_decode_error`](crate::CallbackBuilder::on_decode_error) hooks and
    /// the log; raw (`on_event`) handlers still run. No retry loop.
    Acknowledge,
}

/// A typed decode failure, given to the `on_decode_error` hooks.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeReport {
    /// The event's type.
    pub event_type: EventType,
    /// The community.
    pub group_id: i64,
    /// VK's event id.
    pub event_id: String,
    /// What did not fit; `None` when the envelope had no `object`.
    pub error: Option<serde_json::Error>,
}

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_body_bytes: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    /// After a 413, how many more body bytes are read and discarded...
    pub(crate) linger_bytes: u64,
    /// ...and for how long, so the client can read the answer.
    pub(crate) linger_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 << 20,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
            linger_bytes: 16 << 20,
            linger_time: Duration::from_secs(5),
        }
    }
}

//! The line format: a receipt is its Tinode JSON (`{"to", "channel",
//! "payload"}`), a channel request is `{"Uid", "DeviceID", "Channel",
//! "Unsub"}`, one per line. [`parse_line`] reads either back.
//!
//! It does not add timestamps, prefixes or any other decoration, so every
//! line is exactly one JSON value.

use std::sync::Arc;

use push_core::{ChannelReq, Receipt};
use serde::Serialize;

/// One line of the handler's output, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A receipt.
    Receipt(Box<Receipt>),
    /// A channel subscription request.
    Channel(ChannelReq),
}

/// Reads one output line (without or with its newline): an object with a
/// `payload` is a receipt, any other object a channel request.
///
/// ```
/// use push_stdout::{Line, parse_line};
///
/// let line = parse_line(r#"{"Uid":"usrA","DeviceID":"tok","Channel":"","Unsub":true}"#)?;
/// assert!(matches!(line, Line::Channel(req) if req.unsub()));
/// assert!(parse_line(r#"{"Uid":"usrA","DeviceID":"tok","Channel":"chnX"}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn parse_line(line: &str) -> Result<Line, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(line)?;
    if value.get("payload").is_some() {
        serde_json::from_value(value).map(|r| Line::Receipt(Box::new(r)))
    } else {
        serde_json::from_value(value).map(Line::Channel)
    }
}

/// Writes `item` as one JSON line into `buf` (cleared first).
pub(crate) fn encode<T: Serialize>(item: &Arc<T>, buf: &mut Vec<u8>) -> serde_json::Result<()> {
    buf.clear();
    serde_json::to_writer(&mut *buf, item.as_ref())?;
    buf.push(b'\n');
    Ok(())
}

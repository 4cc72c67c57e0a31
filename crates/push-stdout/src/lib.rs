//! A `push-core` handler that writes one JSON line per receipt and per
//! channel request, to stdout or to any writer given in code; Tinode's
//! `stdout` push plugin, but with lines a program can read back
//! ([`parse_line`]).
//!
//! ```
//! use std::{sync::Arc, time::Duration};
//! use push_core::{Action, Payload, Receipt, Registry, Timestamp};
//! use push_stdout::{Line, StdoutHandler, parse_line};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (writer, mut reader) = tokio::io::duplex(64 * 1024);
//! let mut registry = Registry::new();
//! registry.register(push_stdout::NAME, Arc::new(StdoutHandler::with_writer(writer)))?;
//! registry.init(r#"[{"name": "stdout", "config": {"enabled": true}}]"#).await?;
//!
//! let receipt = Receipt::new(Payload::new(Action::Msg, "grpX", "usrA", Timestamp::now()));
//! registry.push(receipt.clone());
//! registry.stop(Duration::from_secs(1)).await;
//! drop(registry); // closes the writer, so the reader sees the end
//!
//! let mut out = String::new();
//! tokio::io::AsyncReadExt::read_to_string(&mut reader, &mut out).await?;
//! assert_eq!(parse_line(out.trim_end())?, Line::Receipt(Box::new(receipt)));
//! # Ok(())
//! # }
//! ```
//!
//! What it deliberately does not do: deliver anything to a device, format
//! for humans, or rotate files; it is for debugging, tests and piping into
//! other tools. A failed write (a closed pipe) is counted as `failed` and
//! the handler keeps going.

mod config;
mod handler;
mod line;
mod sink;

pub use config::{Config, DEFAULT_BUFFER};
pub use handler::StdoutHandler;
pub use line::{Line, parse_line};

/// The name Tinode registers this plugin under, used in the `push` config.
pub const NAME: &str = "stdout";

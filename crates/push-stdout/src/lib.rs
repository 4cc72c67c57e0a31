//! A `push-core` handler that writes one JSON line per receipt and per
//! channel request to stdout or any writer.
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it deliberately does not do: deliver anything to a device; it is for
//! debugging, tests and piping into other tools.

//! Engine tests: the research §7 scenarios, driven without tokio.

mod channels;
mod common;
mod harness;
mod model;

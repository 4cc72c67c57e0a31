//! Where lines go: the process's stdout, or a writer given in code. One
//! line is written whole, then flushed, before the next begins.
//!
//! Stdout is written under the standard library's stdout lock on the
//! blocking pool, so lines never interleave with `println!` from other
//! threads either. A blocking write cannot be cancelled: if `stop`'s grace
//! runs out while stdout itself is blocked (a full pipe), that one line may
//! still appear after `stop` returns; a writer given in code has no such
//! gap. It does not buffer lines across receipts.

use std::fmt;
use std::io::{self, Write};

use tokio::io::{AsyncWrite, AsyncWriteExt};

/// A line destination.
pub(crate) enum Sink {
    /// The process's standard output.
    Stdout,
    /// Any async writer.
    Writer(Box<dyn AsyncWrite + Send + Unpin>),
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sink::Stdout => "Stdout",
            Sink::Writer(_) => "Writer",
        })
    }
}

impl Sink {
    /// Writes `line` (which ends in a newline) whole, and flushes. Returns
    /// the buffer for reuse.
    pub(crate) async fn write_line(&mut self, line: Vec<u8>) -> (Vec<u8>, io::Result<()>) {
        match self {
            Sink::Writer(writer) => {
                let mut result = writer.write_all(&line).await;
                if result.is_ok() {
                    result = writer.flush().await;
                }
                (line, result)
            }
            Sink::Stdout => {
                let written = tokio::task::spawn_blocking(move || {
                    let mut out = io::stdout().lock();
                    let result = out.write_all(&line).and_then(|()| out.flush());
                    (line, result)
                })
                .await;
                written.unwrap_or_else(|e| (Vec::new(), Err(io::Error::other(e))))
            }
        }
    }
}

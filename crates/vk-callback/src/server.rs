//! [`Server`]: a ready HTTP/1.1 server for a [`Callback`] (VK posts over
//! HTTP/1.1; mount the service in your own server for anything else), with
//! a header-read timeout and graceful shutdown.
//!
//! Shutdown stops accepting, lets in-flight requests finish (idle keep-alive
//! connections are closed), then waits for background handlers, all within
//! the builder's `shutdown_timeout`. Each connection is driven by
//! [`crate::connection`], which keeps the header-read deadline and the
//! shutdown signal at a fixed cost per connection.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use tokio::net::{TcpListener, ToSocketAddrs};
use tracing::{debug, info, warn};

use crate::callback::Callback;
use crate::connection::{self, Shutdown};
use crate::error::ServeError;

/// A bound server. Run it with [`Server::run_until`].
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    callback: Callback,
}

impl Server {
    /// Binds `addr` (use port 0 for any free port).
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn bind(addr: impl ToSocketAddrs, callback: Callback) -> Result<Self, ServeError> {
        let listener = TcpListener::bind(addr).await.map_err(ServeError::Bind)?;
        Ok(Self { listener, callback })
    }

    /// Serves on an already bound listener.
    pub fn from_listener(listener: TcpListener, callback: Callback) -> Self {
        Self { listener, callback }
    }

    /// The bound address.
    ///
    /// # Errors
    /// The socket cannot report it.
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(ServeError::Bind)
    }

    /// Serves until `shutdown` completes, then shuts down gracefully.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        let limits = self.callback.inner.limits;
        // The header-read timeout is the connection driver's, not hyper's.
        let mut builder = http1::Builder::new();
        builder.header_read_timeout(None);
        let builder = Arc::new(builder);
        let graceful = Shutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Usually out of file descriptors: back off briefly.
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let (callback, builder, graceful) =
                (self.callback.clone(), builder.clone(), graceful.clone());
            tokio::spawn(async move {
                if let Err(e) = connection::serve(stream, callback, &builder, graceful).await {
                    debug!(%peer, error = %e, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        info!("shutting down");
        let finish = async {
            graceful.start();
            graceful.finished().await;
            self.callback.drain_background().await;
        };
        if tokio::time::timeout(limits.shutdown_timeout, finish).await.is_err() {
            warn!("shutdown timeout elapsed with work still running");
        }
    }
}

impl Callback {
    /// Serves on `addr` until Ctrl-C, then shuts down gracefully.
    ///
    /// # Errors
    /// The address cannot be bound, or Ctrl-C cannot be listened for.
    pub async fn serve(self, addr: impl ToSocketAddrs) -> Result<(), ServeError> {
        let server = Server::bind(addr, self).await?;
        info!(addr = ?server.local_addr().ok(), "serving vk callback");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let signal = tokio::spawn(async move {
            let result = tokio::signal::ctrl_c().await;
            let _ = tx.send(());
            result
        });
        server.run_until(async { rx.await.unwrap_or(()) }).await;
        match signal.await {
            Ok(result) => result.map_err(ServeError::Signal),
            Err(_) => Ok(()),
        }
    }
}

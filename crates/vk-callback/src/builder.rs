//! [`CallbackBuilder`]: keys, policies, limits and handler registration.
//!
//! Every typed event has its own method (`message_new`, `wall_post_new`,
//! ...) taking an async closure `|ctx, object|`; [`CallbackBuilder::event`]
//! takes any [`EventType`] and hands over the [`Event`] enum;
//! [`CallbackBuilder::on_event`] registers a raw handler for any type name;
//! [`CallbackBuilder::on_unknown`] catches types this crate does not type.
//! Handlers of one event run in registration order: raw ones first.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::callback::{Callback, Inner, Mode};
use crate::context::Context;
use crate::dedup::{Dedup, DedupStore, MemoryDedup};
use crate::envelope::Envelope;
use crate::events::{self, Event, EventType, with_events};
use crate::handlers::{self, Handlers};
use crate::keys::Keys;
use crate::policy::{DecodePolicy, DecodeReport, Limits};

/// Builds a [`Callback`]. Start with [`Callback::builder`].
#[must_use]
pub struct CallbackBuilder {
    keys: Keys,
    handlers: Handlers,
    policy: DecodePolicy,
    background: Option<usize>,
    dedup: Option<Dedup>,
    limits: Limits,
}

impl Default for CallbackBuilder {
    fn default() -> Self {
        Self {
            keys: Keys::new(),
            handlers: Handlers::default(),
            policy: DecodePolicy::default(),
            background: None,
            dedup: Some(Dedup::Memory(MemoryDedup::default())),
            limits: Limits::default(),
        }
    }
}

impl CallbackBuilder {
    /// The global secret (VK's "secret key"); empty means no check.
    pub fn secret(self, secret: &str) -> Self {
        self.keys.set_secret(secret);
        self
    }

    /// A group's secret, replacing the global one for that group (empty
    /// turns the check off for it).
    pub fn group_secret(self, group_id: i64, secret: &str) -> Self {
        self.keys.set_group_secret(group_id, secret);
        self
    }

    /// The global confirmation code.
    pub fn confirmation(self, code: &str) -> Self {
        self.keys.set_confirmation(code);
        self
    }

    /// A group's confirmation code.
    pub fn group_confirmation(self, group_id: i64, code: &str) -> Self {
        self.keys.set_group_confirmation(group_id, code);
        self
    }

    /// Uses an existing [`Keys`] handle (keys set before are dropped).
    pub fn keys(mut self, keys: Keys) -> Self {
        self.keys = keys;
        self
    }

    /// What a typed-decode failure answers (default: 400, as vksdk).
    pub fn decode_policy(mut self, policy: DecodePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Background mode: answer `ok` at once and run handlers on tasks, at
    /// most `max_in_flight` events at a time (at least 1). When all slots are
    /// busy the answer waits for one, which slows VK down instead of
    /// dropping events. Default: synchronous.
    pub fn background(mut self, max_in_flight: usize) -> Self {
        self.background = Some(max_in_flight.max(1));
        self
    }

    /// The store deduplicating redeliveries (default: [`MemoryDedup::default`]).
    pub fn dedup(mut self, store: impl DedupStore) -> Self {
        self.dedup = Some(Dedup::new(store));
        self
    }

    /// Turns deduplication off: every delivery runs the handlers.
    pub fn without_dedup(mut self) -> Self {
        self.dedup = None;
        self
    }

    /// Larger bodies are answered 413 (default 4 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_body_bytes = bytes;
        self
    }

    /// Time allowed to receive a request's headers (default 10 s); only for
    /// the built-in [`Server`](crate::Server).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// Time allowed to receive a request's body (default 10 s), answered 408.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_read_timeout = timeout;
        self
    }

    /// How long a graceful shutdown waits for in-flight requests and
    /// background handlers (default 30 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.limits.shutdown_timeout = timeout;
        self
    }

    /// After answering 413 before the whole body arrived, keep reading and
    /// discarding up to `max_bytes` more for at most `max_time` (default
    /// 16 MiB, 5 s), then close. A client that writes its whole body before
    /// reading (most HTTP libraries) then reads the 413 instead of a
    /// connection reset. Only the discarded bytes' time is spent: nothing is
    /// kept. `(0, Duration::ZERO)` closes at once. Applies to the
    /// [`Service`](hyper::service::Service) impl and the built-in
    /// [`Server`](crate::Server), not to [`Callback::handle`].
    pub fn lingering_close(mut self, max_bytes: u64, max_time: Duration) -> Self {
        self.limits.linger_bytes = max_bytes;
        self.limits.linger_time = max_time;
        self
    }

    /// A handler for any typed event, receiving the [`Event`] enum.
    pub fn event<F, Fut>(mut self, kind: EventType, f: F) -> Self
    where
        F: Fn(Context, Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.handlers.typed.entry(kind).or_default().push(handlers::typed(f));
        self
    }

    /// A raw handler for the type `name` (typed or not), receiving the
    /// envelope. It runs before typed handlers.
    pub fn on_event<F, Fut>(mut self, name: &str, f: F) -> Self
    where
        F: Fn(Context, Arc<Envelope>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.handlers.raw.entry(name.to_owned()).or_default().push(handlers::raw(f));
        self
    }

    /// The catch-all: receives every event whose type this crate does not
    /// type (new VK events), as a raw envelope.
    pub fn on_unknown<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Context, Arc<Envelope>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.handlers.unknown.push(handlers::raw(f));
        self
    }

    /// A hook told about every typed-decode failure (under either policy).
    pub fn on_decode_error(mut self, f: impl Fn(&DecodeReport) + Send + Sync + 'static) -> Self {
        self.handlers.decode_errors.push(Arc::new(f));
        self
    }

    /// Finishes the server.
    pub fn build(self) -> Callback {
        let mode = match self.background {
            None => Mode::Sync,
            Some(n) => Mode::Background { slots: Arc::new(Semaphore::new(n)), max: n },
        };
        Callback::from_inner(Inner {
            keys: self.keys,
            handlers: self.handlers,
            policy: self.policy,
            mode,
            dedup: self.dedup,
            limits: self.limits,
        })
    }
}

macro_rules! define_methods {
    ($(($variant:ident, $name:literal, $object:ident, $method:ident)),* $(,)?) => {
        /// One method per typed event.
        impl CallbackBuilder {
            $(
                #[doc = concat!("A handler for `", $name, "`, receiving [`events::", stringify!($object), "`].")]
                pub fn $method<F, Fut>(self, f: F) -> Self
                where
                    F: Fn(Context, events::$object) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = ()> + Send + 'static,
                {
                    self.event(EventType::$variant, move |ctx, event| {
                        let run = match event {
                            Event::$variant(object) => Some(f(ctx, object)),
                            _ => None,
                        };
                        async move {
                            if let Some(run) = run {
                                run.await;
                            }
                        }
                    })
                }
            )*
        }
    };
}
with_events!(define_methods);

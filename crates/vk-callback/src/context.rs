//! What a handler knows about its delivery, and how it asks for a
//! non-`ok` answer (`Retry-After` or `remove`).
//!
//! Reply requests are validated here: only 410, 429 and 503, a delay of at
//! most 3 hours, and only in synchronous mode (background mode has already
//! answered `ok`). `remove` wins over any retry; the last retry wins over
//! earlier ones, as in vksdk.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use hyper::StatusCode;

use crate::error::ReplyError;

/// The longest delay VK honours for `Retry-After`.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3 * 60 * 60);

/// The delivery a handler runs for. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    group_id: i64,
    event_id: String,
    api_version: String,
    retry_counter: u32,
    reply: Option<Mutex<Reply>>,
}

/// What the handlers asked to answer instead of `ok`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Reply {
    #[default]
    Ok,
    Retry(StatusCode, SystemTime),
    Remove,
}

impl Context {
    /// A context for one delivery. `synchronous` is false in background
    /// mode, where reply requests fail with [`ReplyError::AlreadyAnswered`].
    pub fn new(
        group_id: i64,
        event_id: impl Into<String>,
        api_version: impl Into<String>,
        retry_counter: u32,
        synchronous: bool,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                group_id,
                event_id: event_id.into(),
                api_version: api_version.into(),
                retry_counter,
                reply: synchronous.then(|| Mutex::new(Reply::Ok)),
            }),
        }
    }

    /// The community the event belongs to.
    pub fn group_id(&self) -> i64 {
        self.inner.group_id
    }

    /// VK's unique id of the event.
    pub fn event_id(&self) -> &str {
        &self.inner.event_id
    }

    /// The API version the object is in (`v`).
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// VK's `X-Retry-Counter`: 0 on first delivery (or when the header is
    /// missing or not a number), then 1, 2, ... on redeliveries.
    pub fn retry_counter(&self) -> u32 {
        self.inner.retry_counter
    }

    /// Asks VK to resend the event after `delay`, answering `status` (410,
    /// 429 or 503) with a `Retry-After` date in GMT.
    ///
    /// # Errors
    /// A status other than 410/429/503, a delay over [`MAX_RETRY_DELAY`], or
    /// background mode.
    pub fn retry_after(&self, status: u16, delay: Duration) -> Result<(), ReplyError> {
        let status = match status {
            410 => StatusCode::GONE,
            429 => StatusCode::TOO_MANY_REQUESTS,
            503 => StatusCode::SERVICE_UNAVAILABLE,
            other => return Err(ReplyError::StatusNotAllowed(other)),
        };
        if delay > MAX_RETRY_DELAY {
            return Err(ReplyError::DelayTooLong(delay));
        }
        self.set(|reply| {
            if *reply != Reply::Remove {
                *reply = Reply::Retry(status, SystemTime::now() + delay);
            }
        })
    }

    /// Answers `remove`, asking VK to delete this callback server.
    ///
    /// # Errors
    /// Background mode.
    pub fn remove(&self) -> Result<(), ReplyError> {
        self.set(|reply| *reply = Reply::Remove)
    }

    fn set(&self, change: impl FnOnce(&mut Reply)) -> Result<(), ReplyError> {
        let slot = self.inner.reply.as_ref().ok_or(ReplyError::AlreadyAnswered)?;
        change(&mut slot.lock().unwrap_or_else(PoisonError::into_inner));
        Ok(())
    }

    pub(crate) fn reply(&self) -> Reply {
        self.inner
            .reply
            .as_ref()
            .map(|slot| *slot.lock().unwrap_or_else(PoisonError::into_inner))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_validates_status_and_delay() {
        let ctx = Context::new(1, "e", "5.199", 0, true);
        assert_eq!(ctx.retry_after(418, Duration::ZERO), Err(ReplyError::StatusNotAllowed(418)));
        assert_eq!(ctx.retry_after(500, Duration::ZERO), Err(ReplyError::StatusNotAllowed(500)));
        let long = MAX_RETRY_DELAY + Duration::from_secs(1);
        assert_eq!(ctx.retry_after(503, long), Err(ReplyError::DelayTooLong(long)));
        assert_eq!(ctx.reply(), Reply::Ok, "refused requests change nothing");
        ctx.retry_after(429, MAX_RETRY_DELAY).unwrap();
        assert!(matches!(ctx.reply(), Reply::Retry(StatusCode::TOO_MANY_REQUESTS, _)));
        ctx.retry_after(410, Duration::from_secs(5)).unwrap();
        assert!(matches!(ctx.reply(), Reply::Retry(StatusCode::GONE, _)), "last retry wins");
    }

    #[test]
    fn remove_wins_over_retry_in_either_order() {
        let ctx = Context::new(1, "e", "5.199", 0, true);
        ctx.remove().unwrap();
        ctx.retry_after(503, Duration::from_secs(1)).unwrap();
        assert_eq!(ctx.reply(), Reply::Remove);
    }

    #[test]
    fn background_contexts_cannot_change_the_answer() {
        let ctx = Context::new(7, "e", "5.199", 2, false);
        assert_eq!(ctx.remove(), Err(ReplyError::AlreadyAnswered));
        assert_eq!(ctx.retry_after(503, Duration::ZERO), Err(ReplyError::AlreadyAnswered));
        assert_eq!((ctx.group_id(), ctx.event_id(), ctx.retry_counter()), (7, "e", 2));
        assert_eq!(ctx.api_version(), "5.199");
    }
}

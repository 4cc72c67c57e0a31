//! The retry policy, sans IO: given the result of attempt *n* of a send,
//! [`Backoff::decide`] says what to do next ([`Verdict`]). No clock, no
//! sockets: the driver ([`FcmClient::send_with_retry`](crate::FcmClient::send_with_retry),
//! the plugin) sleeps and sends; tests call `decide` directly.
//!
//! Rules (research push.md §6.3–§6.4, fixing Tinode's stop-without-retry):
//! - success → [`Verdict::Delivered`];
//! - `UNREGISTERED`, or 404 without an FCM code, on a token target →
//!   [`Verdict::RemoveToken`];
//! - `INVALID_ARGUMENT` whose field violation is `message.token` →
//!   `RemoveToken`; any other `INVALID_ARGUMENT` (a payload problem) is
//!   permanent and never removes the token;
//! - 429, 500, 503 (or `QUOTA_EXCEEDED` / `INTERNAL` / `UNAVAILABLE`), a
//!   transport failure, a timeout, or a transient token-endpoint failure →
//!   [`Verdict::Retry`] after the `Retry-After` delay when the answer has
//!   one (plus up to 10 % jitter so retries do not arrive together), else
//!   after a jittered exponential backoff (base × 2ⁿ⁻¹ × [0.5, 1.5),
//!   capped), until `max_attempts` attempts → [`Verdict::GaveUp`]; a
//!   `Retry-After` longer than `max_retry_after` gives up at once;
//! - anything else (403 `SENDER_ID_MISMATCH`, 401 `THIRD_PARTY_AUTH_ERROR`,
//!   a refused token grant, an unreadable answer) → [`Verdict::Permanent`].

use std::time::Duration;

use crate::error::SendError;

/// How many times and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff (before jitter).
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one gives up.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// 5 attempts, backoff 1 s, 2 s, 4 s, 8 s (jittered), at most 60 s,
    /// `Retry-After` honoured up to 5 minutes.
    pub fn standard() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// FCM accepted the message.
    Delivered,
    /// The token is dead: remove it from the device store.
    RemoveToken,
    /// A failure retrying cannot fix.
    Permanent,
    /// Send again after this delay.
    Retry(Duration),
    /// Transient failures until the attempts (or patience) ran out.
    GaveUp,
}

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The token is dead or malformed.
    DeadToken,
    /// Retrying may succeed; the server's `Retry-After`, if any.
    Transient(Option<Duration>),
    /// Retrying will not help.
    Permanent,
}

/// Classifies an error; `token_target` is false for topic and condition
/// messages, where a 404 cannot mean a dead token.
pub fn classify(error: &SendError, token_target: bool) -> Class {
    match error {
        SendError::Api(api)
            if token_target && (api.is_unregistered() || api.is_invalid_token()) =>
        {
            Class::DeadToken
        }
        SendError::Api(api) if api.is_transient() => Class::Transient(api.retry_after),
        SendError::Transport(_) | SendError::Timeout(_) => Class::Transient(None),
        SendError::Token(token) if token.is_transient() => Class::Transient(None),
        _ => Class::Permanent,
    }
}

/// A [`RetryPolicy`] with the random state of its jitter (seeded, so tests
/// and runs are reproducible).
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    state: u64,
}

impl Backoff {
    /// The policy with jitter drawn from `seed`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use push_fcm::{Backoff, RetryPolicy, SendError, Verdict};
    ///
    /// let mut backoff = Backoff::new(RetryPolicy::standard(), 7);
    /// let timeout: Result<(), SendError> = Err(SendError::Timeout(Duration::from_secs(30)));
    /// let Verdict::Retry(delay) = backoff.decide(1, true, &timeout) else { panic!() };
    /// assert!(delay >= Duration::from_millis(500) && delay < Duration::from_millis(1500));
    /// assert_eq!(backoff.decide(5, true, &timeout), Verdict::GaveUp);
    /// ```
    pub fn new(policy: RetryPolicy, seed: u64) -> Self {
        Self { policy, state: seed }
    }

    /// The policy.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// The verdict after attempt number `attempt` (1-based) ended with
    /// `result`.
    pub fn decide<T>(
        &mut self,
        attempt: u32,
        token_target: bool,
        result: &Result<T, SendError>,
    ) -> Verdict {
        let Err(error) = result else { return Verdict::Delivered };
        match classify(error, token_target) {
            Class::DeadToken => Verdict::RemoveToken,
            Class::Permanent => Verdict::Permanent,
            Class::Transient(_) if attempt >= self.policy.max_attempts => Verdict::GaveUp,
            Class::Transient(Some(after)) if after > self.policy.max_retry_after => Verdict::GaveUp,
            Class::Transient(Some(after)) => {
                Verdict::Retry(after + after.mul_f64(0.1 * self.unit()))
            }
            Class::Transient(None) => {
                let exponent = attempt.saturating_sub(1).min(30);
                let nominal = self.policy.base_delay.saturating_mul(1 << exponent);
                let jittered = nominal.min(self.policy.max_delay).mul_f64(0.5 + self.unit());
                Verdict::Retry(jittered.min(self.policy.max_delay))
            }
        }
    }

    /// A uniform number in [0, 1) (splitmix64).
    fn unit(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

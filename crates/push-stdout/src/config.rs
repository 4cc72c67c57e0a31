//! The handler's config, `{"enabled": bool, "buffer": int}`, read the way
//! Tinode reads it: a missing `enabled` is false, a missing, zero or
//! negative `buffer` is [`DEFAULT_BUFFER`]. Unknown fields are an error.

use push_core::HandlerError;
use serde::Deserialize;

/// The queue size when the config gives none (Tinode's default).
pub const DEFAULT_BUFFER: usize = 32;

/// The stdout handler's config.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Write lines at all.
    #[serde(default)]
    pub enabled: bool,
    /// Queue size; zero or less means [`DEFAULT_BUFFER`].
    #[serde(default)]
    pub buffer: i64,
}

impl Config {
    /// Reads the config from the handler's JSON.
    ///
    /// ```
    /// use push_stdout::Config;
    ///
    /// let config = Config::from_json(&serde_json::json!({"enabled": true, "buffer": 0}))?;
    /// assert_eq!(config.queue_size(), 32);
    /// # Ok::<(), push_core::HandlerError>(())
    /// ```
    pub fn from_json(json: &serde_json::Value) -> Result<Self, HandlerError> {
        push_core::parse_config(json)
    }

    /// The queue size this config asks for.
    pub fn queue_size(&self) -> usize {
        match usize::try_from(self.buffer) {
            Ok(0) | Err(_) if self.buffer <= 0 => DEFAULT_BUFFER,
            Ok(size) => size,
            Err(_) => usize::MAX,
        }
    }
}

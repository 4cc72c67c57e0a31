//! [`parse_config`]: how a plugin reads its own JSON config, with the same
//! rules and error text in every plugin.
//!
//! It does not define any config: each plugin has its own struct (with
//! `#[serde(deny_unknown_fields)]`, so a misspelt option is an error).

use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde_json::Value;

use crate::HandlerError;

/// Reads a handler config: it must be a JSON object, then it is
/// deserialised into `T`; errors name the problem.
///
/// ```
/// use push_core::parse_config;
///
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct Config {
///     #[serde(default)]
///     enabled: bool,
/// }
///
/// assert!(parse_config::<Config>(&serde_json::json!({"enabled": true}))?.enabled);
/// let error = parse_config::<Config>(&serde_json::json!([])).err().map(|e| e.to_string());
/// assert_eq!(error.as_deref(), Some("invalid config: invalid type: sequence, expected a JSON object"));
/// # Ok::<(), push_core::HandlerError>(())
/// ```
pub fn parse_config<T: DeserializeOwned>(config: &Value) -> Result<T, HandlerError> {
    let unexpected = match config {
        Value::Object(_) => return T::deserialize(config).map_err(HandlerError::Config),
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
    };
    Err(HandlerError::Config(serde_json::Error::invalid_type(unexpected, &"a JSON object")))
}

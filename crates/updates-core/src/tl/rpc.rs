//! RPC errors as Telegram reports them (`rpc_error{code, message}`), with
//! the classifications the engine needs (fatal, inaccessible channel,
//! flood wait).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `rpc_error`: a numeric code and an upper-case message such as
/// `CHANNEL_PRIVATE` or `FLOOD_WAIT_30`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[error("rpc error {code}: {message}")]
pub struct RpcError {
    /// HTTP-like code (400, 401, 406, 420, 500...).
    pub code: i32,
    /// The error message.
    pub message: String,
}

impl RpcError {
    /// Builds an error.
    pub fn new(code: i32, message: impl Into<String>) -> RpcError {
        RpcError { code, message: message.into() }
    }

    /// Authorization is gone: the manager must stop (`AUTH_KEY_UNREGISTERED`,
    /// `SESSION_EXPIRED`, `SESSION_REVOKED`, `USER_DEACTIVATED*`, any 401).
    pub fn is_fatal(&self) -> bool {
        self.code == 401
            || matches!(
                self.message.as_str(),
                "AUTH_KEY_UNREGISTERED"
                    | "AUTH_KEY_INVALID"
                    | "AUTH_KEY_PERM_EMPTY"
                    | "SESSION_EXPIRED"
                    | "SESSION_REVOKED"
                    | "USER_DEACTIVATED"
                    | "USER_DEACTIVATED_BAN"
            )
    }

    /// The channel can no longer be read (`CHANNEL_PRIVATE`,
    /// `CHANNEL_INVALID`, `CHANNEL_PUBLIC_GROUP_NA`, `USER_BANNED_IN_CHANNEL`).
    pub fn is_channel_inaccessible(&self) -> bool {
        matches!(
            self.message.as_str(),
            "CHANNEL_PRIVATE"
                | "CHANNEL_INVALID"
                | "CHANNEL_PUBLIC_GROUP_NA"
                | "USER_BANNED_IN_CHANNEL"
        )
    }

    /// `FLOOD_WAIT_X` (or `FLOOD_PREMIUM_WAIT_X`): how long to wait.
    pub fn flood_wait(&self) -> Option<Duration> {
        let rest = self
            .message
            .strip_prefix("FLOOD_WAIT_")
            .or_else(|| self.message.strip_prefix("FLOOD_PREMIUM_WAIT_"))?;
        rest.parse::<u64>().ok().map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_errors() {
        assert!(RpcError::new(401, "AUTH_KEY_UNREGISTERED").is_fatal());
        assert!(RpcError::new(406, "SESSION_REVOKED").is_fatal());
        assert!(!RpcError::new(500, "PERSISTENT_TIMESTAMP_OUTDATED").is_fatal());
        assert!(RpcError::new(406, "CHANNEL_PRIVATE").is_channel_inaccessible());
        assert!(RpcError::new(400, "CHANNEL_INVALID").is_channel_inaccessible());
        assert!(!RpcError::new(500, "PERSISTENT_TIMESTAMP_OUTDATED").is_channel_inaccessible());
        assert_eq!(RpcError::new(420, "FLOOD_WAIT_30").flood_wait(), Some(Duration::from_secs(30)));
        assert_eq!(RpcError::new(420, "FLOOD_WAIT_X").flood_wait(), None);
        assert_eq!(RpcError::new(400, "CHANNEL_PRIVATE").flood_wait(), None);
        assert_eq!(
            RpcError::new(406, "CHANNEL_PRIVATE").to_string(),
            "rpc error 406: CHANNEL_PRIVATE"
        );
    }
}

//! The crate's one error type.
//!
//! Absence is never an error here: a missing credentials record or key is
//! `Ok(None)`. [`Error::Corrupt`] is reserved for stored data that exists
//! but cannot be read, so a caller never mistakes damage for a fresh
//! install and never re-initialises an identity silently.

/// A boxed error from a backend or a caller, kept as a `#[source]`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while loading, storing or committing auth
/// state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Stored data exists but cannot be decoded (torn file, wrong shape,
    /// bad base64). Never treated as "absent".
    #[error("corrupt {what}")]
    Corrupt {
        /// What was being read, e.g. `creds` or `pre-key 7`.
        what: String,
        /// Why it could not be decoded.
        #[source]
        source: BoxError,
    },
    /// The configured backend has no implementation of this operation
    /// (for example a context-only backend used without a context, or a
    /// backend that cannot enumerate ids).
    #[error("unsupported persistence operation `{operation}`: {reason}")]
    Unsupported {
        /// The port operation, e.g. `load_key` or `list_ids`.
        operation: &'static str,
        /// Why it is unsupported.
        reason: &'static str,
    },
    /// The storage engine failed (I/O, database, network).
    #[error("persistence backend failed")]
    Backend(#[source] BoxError),
    /// A commit kept failing and the retries ran out; every attempt was
    /// rolled back, so the store holds its pre-commit values.
    #[error("commit failed after {attempts} attempt(s)")]
    CommitFailed {
        /// How many attempts were made.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        source: Box<Error>,
    },
    /// A commit failed and restoring the snapshot failed too: the touched
    /// ids may hold a mix of old and new values.
    #[error("rollback failed after a failed commit (commit error: {commit})")]
    RollbackFailed {
        /// The commit error that triggered the rollback.
        commit: Box<Error>,
        /// The rollback error.
        #[source]
        source: Box<Error>,
    },
    /// A key id or family that the backend cannot store safely (for
    /// example an id that would name a file outside the store's folder).
    /// Nothing was read or written; retrying cannot help.
    #[error("invalid key {family} {id:?}: {reason}")]
    InvalidKey {
        /// The key family.
        family: String,
        /// The rejected id.
        id: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The system random source failed while generating keys.
    #[error("random source failed")]
    Random(#[source] BoxError),
}

impl Error {
    /// Builds [`Error::Corrupt`] from anything that converts to a
    /// [`BoxError`] (an error value or a message).
    pub fn corrupt(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Corrupt { what: what.into(), source: source.into() }
    }

    /// Builds [`Error::Backend`] from an engine error.
    pub fn backend(source: impl Into<BoxError>) -> Self {
        Self::Backend(source.into())
    }

    /// Whether this is [`Error::Corrupt`].
    pub fn is_corrupt(&self) -> bool {
        matches!(self, Self::Corrupt { .. })
    }

    /// Whether this is [`Error::InvalidKey`].
    pub fn is_invalid_key(&self) -> bool {
        matches!(self, Self::InvalidKey { .. })
    }

    /// Whether this is [`Error::Unsupported`].
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Self::Unsupported { .. })
    }
}

//! [`Durability`] and [`Options`]: how often writes reach the disk, and
//! where in a database the update state lives.

use std::path::Path;

use crate::error::OpenError;
use crate::storage::SledStorage;

/// When a write becomes durable.
///
/// The manager writes a checkpoint only after the handler returned for
/// its batch, so the stored state can lag what the handler finished but
/// never run ahead of it. A lagging store after a crash costs a
/// redelivery of the batches since the last durable write, never a loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// sled's background flush (every 500 ms for a folder opened by this
    /// crate; whatever the `sled::Config` said for a database passed in).
    /// A crash (kill -9, power loss) loses at most the writes of the last
    /// interval: redelivered on the next start. No fsync on the write
    /// path. The default.
    #[default]
    Background,
    /// Every mutating call (one checkpoint is one call) is flushed to disk
    /// — one fsync — before it returns. A crash loses nothing the store
    /// acknowledged; each checkpoint costs one fsync.
    EveryCheckpoint,
}

/// How to open a [`SledStorage`].
///
/// ```
/// # fn main() -> Result<(), updates_storage_sled::OpenError> {
/// use updates_storage_sled::{Durability, Options};
///
/// let dir = std::env::temp_dir().join(format!("updates-sled-doc-{}", std::process::id()));
/// let storage = Options::new().durability(Durability::EveryCheckpoint).open(&dir)?;
/// assert_eq!(storage.durability(), Durability::EveryCheckpoint);
/// # drop(storage);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub(crate) durability: Durability,
    pub(crate) prefix: String,
}

impl Options {
    /// Background durability, no tree prefix.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets when writes become durable.
    pub fn durability(mut self, durability: Durability) -> Options {
        self.durability = durability;
        self
    }

    /// Prefixes this crate's tree names (`<prefix>updates.state`...), for
    /// a database shared with other data or other stores.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Options {
        self.prefix = prefix.into();
        self
    }

    /// Opens (creating it if needed) the sled folder at `path`.
    pub fn open(self, path: impl AsRef<Path>) -> Result<SledStorage, OpenError> {
        SledStorage::open_folder(path.as_ref(), self)
    }

    /// Uses an already open database (shared with the caller's own trees).
    pub fn with_db(self, db: sled::Db) -> Result<SledStorage, OpenError> {
        SledStorage::from_db(db, std::path::PathBuf::new(), self)
    }
}

//! [`SledStorage`]: opening a folder or adopting a `sled::Db`, checking
//! what is stored there (format version, foreign data) before any write.
//!
//! One tree per keyspace: `updates.meta` (format marker), `updates.state`
//! (account → state), `updates.channels` (account ‖ channel → pts),
//! `updates.hashes` (account ‖ channel → access hash), each name behind
//! the configured prefix. It does not migrate: format 1 is the only one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::OpenError;
use crate::options::{Durability, Options};

/// The format this build writes and reads.
pub(crate) const FORMAT: u32 = 1;
const MAGIC: &[u8] = b"msgkit.updates.v";
const FORMAT_KEY: &[u8] = b"format";
/// How long an open waits for a lock held by a handle still closing.
const LOCK_WAIT: Duration = Duration::from_millis(500);
const LOCK_POLL: Duration = Duration::from_millis(10);

/// Update state, channel pts and channel access hashes of any number of
/// accounts in one sled database. Implements
/// [`StateStorage`](updates_core::StateStorage) and
/// [`ChannelAccessHasher`](updates_core::ChannelAccessHasher).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use updates_core::{State, StateStorage};
/// use updates_storage_sled::SledStorage;
///
/// let dir = std::env::temp_dir().join(format!("updates-sled-example-{}", std::process::id()));
/// let storage = SledStorage::open(&dir)?;
/// storage.set_state(1, State { pts: 5, qts: 0, date: 1, seq: 0 }).await?;
/// drop(storage);
/// let reopened = SledStorage::open(&dir)?;
/// assert_eq!(reopened.get_state(1).await?.map(|s| s.pts), Some(5));
/// # drop(reopened);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SledStorage {
    pub(crate) db: sled::Db,
    pub(crate) state: sled::Tree,
    pub(crate) channels: sled::Tree,
    pub(crate) hashes: sled::Tree,
    pub(crate) durability: Durability,
}

impl SledStorage {
    /// Opens (creating it if needed) the folder at `path` with the default
    /// [`Options`] (background durability, no prefix).
    pub fn open(path: impl AsRef<Path>) -> Result<SledStorage, OpenError> {
        Options::new().open(path)
    }

    /// The durability mode in use.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// The underlying database (shared, cheap to clone).
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Flushes every pending write to disk (one fsync). Inside a
    /// multi-threaded tokio runtime the wait is announced with
    /// `block_in_place`, so other tasks move to another worker; elsewhere
    /// it blocks the calling thread for the fsync. (sled's own
    /// `flush_async` stalled on its thread pool in our tests, and a hop
    /// to the blocking pool cost a fifth of the checkpoint rate.)
    pub async fn flush(&self) -> Result<(), updates_core::StorageError> {
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let flushed =
            if multi { tokio::task::block_in_place(|| self.db.flush()) } else { self.db.flush() };
        flushed.map(drop).map_err(crate::error::storage)
    }

    pub(crate) fn open_folder(path: &Path, options: Options) -> Result<SledStorage, OpenError> {
        if path.is_file() {
            return Err(OpenError::Corrupt {
                path: path.to_owned(),
                what: "a file, not a sled folder".into(),
                source: None,
            });
        }
        check_sled_files(path)?;
        let config = sled::Config::new().path(path).flush_every_ms(Some(500));
        // sled releases its file lock a moment after the last handle is
        // dropped (background writes finish on its thread pool), so a
        // reopen right after a close waits briefly before reporting Locked
        let mut waited = Duration::ZERO;
        let db = loop {
            // sled 0.34 can panic on some damaged files instead of
            // returning an error; a panic while opening is corruption.
            match catch_unwind(AssertUnwindSafe(|| config.open())) {
                Ok(Ok(db)) => break db,
                Ok(Err(e)) => {
                    let e = OpenError::from_sled(path.to_owned(), e);
                    if e.is_locked() && waited < LOCK_WAIT {
                        std::thread::sleep(LOCK_POLL);
                        waited += LOCK_POLL;
                        continue;
                    }
                    return Err(e);
                }
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "sled panicked while opening".into());
                    return Err(OpenError::Corrupt { path: path.to_owned(), what, source: None });
                }
            }
        };
        SledStorage::from_db(db, path.to_owned(), options)
    }

    pub(crate) fn from_db(
        db: sled::Db,
        path: PathBuf,
        options: Options,
    ) -> Result<SledStorage, OpenError> {
        let engine = |e| OpenError::from_sled(path.clone(), e);
        let tree = |name: &str| db.open_tree(format!("{}updates.{name}", options.prefix));
        let meta = tree("meta").map_err(engine)?;
        let storage = SledStorage {
            state: tree("state").map_err(engine)?,
            channels: tree("channels").map_err(engine)?,
            hashes: tree("hashes").map_err(engine)?,
            db: db.clone(),
            durability: options.durability,
        };
        match meta.get(FORMAT_KEY).map_err(engine)? {
            Some(v) => check_format(&v)?,
            None => {
                if !(storage.state.is_empty()
                    && storage.channels.is_empty()
                    && storage.hashes.is_empty()
                    && meta.is_empty())
                {
                    return Err(OpenError::Foreign {
                        what: "update trees hold data but no format marker".into(),
                    });
                }
                let mut marker = MAGIC.to_vec();
                marker.extend_from_slice(&FORMAT.to_be_bytes());
                meta.insert(FORMAT_KEY, marker).map_err(engine)?;
                db.flush().map_err(engine)?;
            }
        }
        tracing::debug!(path = %path.display(), durability = ?options.durability, "sled update storage open");
        Ok(storage)
    }
}

/// Refuses a folder whose sled files sled would silently reinitialise: a
/// `conf` of 8 bytes or less, or with a wrong checksum, counts as absent
/// to sled 0.34 (it only logs a warning), which then treats a damaged
/// `db` as an empty log.
fn check_sled_files(path: &Path) -> Result<(), OpenError> {
    let corrupt = |what: String| OpenError::Corrupt { path: path.to_owned(), what, source: None };
    let db_len = std::fs::metadata(path.join("db")).map(|m| m.len()).unwrap_or(0);
    let conf = match std::fs::read(path.join("conf")) {
        Ok(conf) => conf,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if db_len > 0 {
                return Err(corrupt("`db` without `conf`".into()));
            }
            return Ok(());
        }
        Err(e) => return Err(OpenError::from_sled(path.to_owned(), sled::Error::Io(e))),
    };
    let Some(split) = conf.len().checked_sub(4).filter(|&n| n > 4) else {
        return Err(corrupt(format!("`conf` of {} bytes", conf.len())));
    };
    let (body, crc) = conf.split_at(split);
    let stored = u32::from_le_bytes(crc.try_into().unwrap_or_default());
    if crc32fast::hash(body) != stored {
        return Err(corrupt("`conf` checksum mismatch".into()));
    }
    Ok(())
}

fn check_format(v: &[u8]) -> Result<(), OpenError> {
    let version = v
        .strip_prefix(MAGIC)
        .and_then(|rest| <[u8; 4]>::try_from(rest).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| OpenError::Foreign {
            what: format!("format marker {:?} is not this crate's", String::from_utf8_lossy(v)),
        })?;
    if version == 0 {
        return Err(OpenError::Foreign { what: "format marker 0".into() });
    }
    if version > FORMAT {
        return Err(OpenError::NewerFormat { found: version, supported: FORMAT });
    }
    Ok(())
}

//! [`NativeStore`]: this crate's own crash-safe, versioned format.
//!
//! One append-only log (`store.log`, see `native/log.rs`) per folder: a
//! header with format id and version, then one checksummed record per
//! committed batch, so a `write_batch` is atomic (a torn last record is
//! dropped on open) and costs one append and one fsync however many keys
//! the store holds. The whole state is kept in memory (read at open);
//! reads never touch the disk. When overwritten and deleted entries
//! outnumber live ones, the log is compacted: rewritten to a temp file and
//! renamed over the old one, which keeps the amortised cost per write
//! flat. A foreign folder (a Baileys folder, any other file) or a newer
//! version is refused. It takes the owner lock always: two writers would
//! keep two diverging in-memory states.

mod log;

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use async_trait::async_trait;
use auth_persistence::{AuthCreds, Error, KeyFamily, KeyWrite, Persistence, Result};
use serde_json::Value;

pub use self::log::NATIVE_FORMAT_VERSION;
use self::log::{Damage, Record};
use crate::atomic::{self, Durability};
use crate::error::FileError;
use crate::naming::CREDS_FILE;
use crate::owner::{OWNER_LOCK_FILE, OwnerLock};

/// The log file's name in a native folder.
pub const LOG_FILE: &str = "store.log";

/// Keys per record when the log is rewritten.
const COMPACT_CHUNK: usize = 1024;

/// How a [`NativeStore`] is opened.
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeOptions {
    /// fsync every commit (default) or not.
    pub durability: Durability,
}

#[derive(Default)]
struct Index {
    creds: Option<Value>,
    keys: HashMap<KeyFamily, HashMap<String, Value>>,
}

impl Index {
    /// Applies a record; returns how many earlier entries it made dead.
    fn apply(&mut self, record: Record) -> u64 {
        let mut dead = 0;
        if let Some(creds) = record.creds {
            dead += u64::from(self.creds.replace(creds).is_some());
        }
        for (family, id, value) in record.w {
            let family = KeyFamily::from(family);
            let old = match value {
                Some(value) => self.keys.entry(family).or_default().insert(id, value),
                None => self.keys.get_mut(&family).and_then(|ids| ids.remove(&id)),
            };
            dead += u64::from(old.is_some());
        }
        dead
    }

    fn live(&self) -> u64 {
        self.keys.values().map(|ids| ids.len() as u64).sum::<u64>()
            + u64::from(self.creds.is_some())
    }

    /// The whole state as log bytes.
    fn snapshot(&self) -> serde_json::Result<Vec<u8>> {
        let mut out = log::header();
        let mut record = Record { creds: self.creds.clone(), w: Vec::new() };
        for (family, ids) in &self.keys {
            for (id, value) in ids {
                record.w.push((family.to_string(), id.clone(), Some(value.clone())));
                if record.w.len() == COMPACT_CHUNK {
                    log::frame(&std::mem::take(&mut record), &mut out)?;
                }
            }
        }
        if record.creds.is_some() || !record.w.is_empty() {
            log::frame(&record, &mut out)?;
        }
        Ok(out)
    }
}

struct Writer {
    file: File,
    /// Bytes of intact log.
    len: u64,
    /// Entries overwritten or deleted since the last compaction.
    dead: u64,
    /// Set when a failed append could not be undone; writes are refused.
    broken: bool,
}

struct Inner {
    dir: PathBuf,
    options: NativeOptions,
    index: RwLock<Index>,
    writer: Mutex<Writer>,
    _owner: OwnerLock,
}

/// A native auth store in one folder.
///
/// ```
/// use auth_file::NativeStore;
/// use auth_persistence::{KeyFamily, KeyWrite, Persistence};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let store = NativeStore::open(dir.path())?;
/// store
///     .write_batch(&[
///         KeyWrite::save(KeyFamily::PreKey, "1", json!({"k": 1})),
///         KeyWrite::save(KeyFamily::Session, "1.0", json!({"s": 1})),
///     ])
///     .await?; // one record: both or neither survive a crash
/// drop(store);
/// let store = NativeStore::open(dir.path())?;
/// assert_eq!(store.load_key(&KeyFamily::PreKey, "1").await?, Some(json!({"k": 1})));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct NativeStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for NativeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeStore").field("dir", &self.inner.dir).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl NativeStore {
    /// Opens (creating if needed) the native store in `dir`, fsync on.
    ///
    /// # Errors
    /// [`FileError::Foreign`] for a folder holding anything else (a
    /// Baileys folder included), [`FileError::NewerVersion`],
    /// [`FileError::CorruptLog`], [`FileError::Locked`], [`FileError::Io`].
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, FileError> {
        Self::open_with(dir, NativeOptions::default())
    }

    /// Opens the store with `options`.
    ///
    /// # Errors
    /// As for [`NativeStore::open`].
    pub fn open_with(dir: impl AsRef<Path>, options: NativeOptions) -> Result<Self, FileError> {
        let dir = dir.as_ref().to_owned();
        atomic::ensure_private_dir(&dir).map_err(|e| FileError::io("create folder", &dir, e))?;
        let owner = OwnerLock::acquire(&dir)?;
        atomic::sweep_temps(&dir).map_err(|e| FileError::io("sweep temp files", &dir, e))?;
        let path = dir.join(LOG_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => create(&dir, options)?,
            Err(e) => return Err(FileError::io("read", &path, e)),
        };
        let (records, good) = log::read(&bytes).map_err(|damage| match damage {
            Damage::Foreign(found) => {
                FileError::Foreign { path: dir.clone(), expected: "msgkit native", found }
            }
            Damage::Newer(found) => FileError::NewerVersion {
                path: dir.clone(),
                found,
                supported: NATIVE_FORMAT_VERSION,
            },
            Damage::Corrupt { offset, reason } => {
                FileError::CorruptLog { path: path.clone(), offset, reason }
            }
        })?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| FileError::io("open", &path, e))?;
        if good < bytes.len() {
            tracing::warn!(log = %path.display(), dropped = bytes.len() - good, "dropped the torn last record of an interrupted write");
            file.set_len(good as u64)
                .and_then(|()| file.sync_all())
                .map_err(|e| FileError::io("truncate torn record", &path, e))?;
        }
        let mut index = Index::default();
        let mut dead = 0;
        for record in records {
            dead += index.apply(record);
        }
        let writer = Writer { file, len: good as u64, dead, broken: false };
        let store = Self {
            inner: Arc::new(Inner {
                dir,
                options,
                index: RwLock::new(index),
                writer: Mutex::new(writer),
                _owner: owner,
            }),
        };
        Ok(store)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    /// Bytes in the log right now (it shrinks when compacted).
    pub fn log_len(&self) -> u64 {
        lock(&self.inner.writer).len
    }

    async fn commit(&self, record: Record) -> Result<()> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.commit(record)).await.map_err(Error::backend)?
    }
}

/// Whether `dir` holds a native log (its header, whatever the version).
pub(crate) fn is_native(dir: &Path) -> bool {
    let mut magic = [0u8; 8];
    File::open(dir.join(LOG_FILE))
        .and_then(|mut file| io::Read::read_exact(&mut file, &mut magic))
        .is_ok_and(|()| &magic == log::MAGIC)
}

/// Writes the header of a new log; refuses a folder holding anything else.
fn create(dir: &Path, options: NativeOptions) -> Result<Vec<u8>, FileError> {
    let others: Vec<String> = fs::read_dir(dir)
        .map_err(|e| FileError::io("list", dir, e))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name != OWNER_LOCK_FILE)
        .collect();
    if !others.is_empty() {
        let found = if others.iter().any(|n| n == CREDS_FILE) {
            "a Baileys multi-file folder (migrate it with migrate_compat_to_native)".to_owned()
        } else {
            format!("{} other file(s), e.g. {}", others.len(), others[0])
        };
        return Err(FileError::Foreign { path: dir.to_owned(), expected: "msgkit native", found });
    }
    let header = log::header();
    atomic::replace(dir, LOG_FILE, &header, options.durability, None)
        .and_then(|()| atomic::sync_dir(dir))
        .map_err(|e| FileError::io("create", dir.join(LOG_FILE), e))?;
    Ok(header)
}

impl Inner {
    fn log_path(&self) -> PathBuf {
        self.dir.join(LOG_FILE)
    }

    fn commit(&self, record: Record) -> Result<()> {
        let mut bytes = Vec::new();
        log::frame(&record, &mut bytes).map_err(|e| Error::corrupt("record to write", e))?;
        let mut writer = lock(&self.writer);
        if writer.broken {
            return Err(FileError::io(
                "append",
                self.log_path(),
                io::Error::other("an earlier failed append could not be undone; reopen the store"),
            )
            .into());
        }
        let durable = self.options.durability.is_durable();
        let appended = writer
            .file
            .write_all(&bytes)
            .and_then(|()| if durable { writer.file.sync_data() } else { Ok(()) });
        if let Err(e) = appended {
            // cut the partial record off so later appends stay readable
            let len = writer.len;
            if writer.file.set_len(len).and_then(|()| writer.file.sync_all()).is_err() {
                writer.broken = true;
            }
            return Err(FileError::io("append", self.log_path(), e).into());
        }
        writer.len += bytes.len() as u64;
        let dead = self.index.write().unwrap_or_else(PoisonError::into_inner).apply(record);
        writer.dead += dead;
        let live = self.index.read().unwrap_or_else(PoisonError::into_inner).live();
        if writer.dead > live.max(1024) {
            self.compact(&mut writer)?;
        }
        Ok(())
    }

    /// Rewrites the log with only live entries, atomically.
    fn compact(&self, writer: &mut Writer) -> Result<()> {
        let bytes = self
            .index
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .snapshot()
            .map_err(|e| Error::corrupt("snapshot to write", e))?;
        let path = self.log_path();
        atomic::replace(&self.dir, LOG_FILE, &bytes, self.options.durability, None)
            .and_then(|()| {
                if self.options.durability.is_durable() {
                    atomic::sync_dir(&self.dir)
                } else {
                    Ok(())
                }
            })
            .map_err(|e| FileError::io("compact", &path, e))?;
        writer.file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| FileError::io("open", &path, e))?;
        tracing::debug!(
            before = writer.len,
            after = bytes.len(),
            dead = writer.dead,
            "compacted the native log"
        );
        writer.len = bytes.len() as u64;
        writer.dead = 0;
        Ok(())
    }
}

#[async_trait]
impl Persistence for NativeStore {
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        let creds = self.inner.index.read().unwrap_or_else(PoisonError::into_inner).creds.clone();
        creds.map(AuthCreds::from_value).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(dir = %self.inner.dir.display()))]
    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()> {
        self.commit(Record { creds: Some(creds.to_value()?), w: Vec::new() }).await
    }

    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        let index = self.inner.index.read().unwrap_or_else(PoisonError::into_inner);
        Ok(index.keys.get(family).and_then(|ids| ids.get(id)).cloned())
    }

    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()> {
        self.write_batch(&[KeyWrite::save(family.clone(), id, value.clone())]).await
    }

    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()> {
        self.write_batch(&[KeyWrite::delete(family.clone(), id)]).await
    }

    async fn load_keys(&self, family: &KeyFamily, ids: &[String]) -> Result<Vec<Option<Value>>> {
        let index = self.inner.index.read().unwrap_or_else(PoisonError::into_inner);
        let stored = index.keys.get(family);
        Ok(ids.iter().map(|id| stored.and_then(|s| s.get(id)).cloned()).collect())
    }

    async fn list_ids(&self, family: &KeyFamily) -> Result<Vec<String>> {
        let index = self.inner.index.read().unwrap_or_else(PoisonError::into_inner);
        Ok(index.keys.get(family).map(|ids| ids.keys().cloned().collect()).unwrap_or_default())
    }

    async fn list_families(&self) -> Result<Vec<KeyFamily>> {
        let index = self.inner.index.read().unwrap_or_else(PoisonError::into_inner);
        Ok(index.keys.iter().filter(|(_, ids)| !ids.is_empty()).map(|(f, _)| f.clone()).collect())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(writes = writes.len()))]
    async fn write_batch(&self, writes: &[KeyWrite]) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        // a JSON `null` value is a deletion, as the log records it
        let w = writes
            .iter()
            .map(|w| (w.family.to_string(), w.id.clone(), w.value.clone().filter(|v| !v.is_null())))
            .collect();
        self.commit(Record { creds: None, w }).await
    }

    async fn flush(&self) -> Result<()> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            lock(&inner.writer)
                .file
                .sync_data()
                .map_err(|e| FileError::io("sync", inner.log_path(), e).into())
        })
        .await
        .map_err(Error::backend)?
    }
}

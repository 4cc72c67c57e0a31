//! [`CompatFolder`]: the Baileys-compatible multi-file folder.
//!
//! One folder, one file per value, exactly as Baileys'
//! `useMultiFileAuthState` lays it out (`creds.json`,
//! `<family>-<id>.json`, minified JSON, no trailing newline), so a Rust
//! program and Baileys can use one folder in turn. Values are written as
//! the JSON they were given, in the key order they were given, never
//! normalised. Beyond Baileys:
//!
//! - every write is an atomic replacement (see [`crate::Durability`]);
//! - a missing `creds.json` is `Ok(None)` (fresh credentials, nothing
//!   written until the first save); an existing but unreadable or
//!   undecodable one is `Error::Corrupt`, never a new identity;
//! - a `<file>.bak` (written by Baileys' develop branch) is read when the
//!   main file is missing or damaged, never written; deleting a key removes
//!   it too, so a deletion is never resurrected;
//! - one owner per folder ([`crate::FileError::Locked`]), files `0600`,
//!   folder `0700`, ids that could leave the folder rejected.
//!
//! It does not cache: `auth_persistence::KeyStore` does that. A batch is
//! atomic per file, not as a whole (the native and SQLite backends commit
//! whole batches); batches of 64 files or more are written by 8 threads,
//! each file's writes in order, so an interrupted large batch may have
//! landed any subset of its files, each whole.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use auth_persistence::{AuthCreds, BoxError, Error, KeyFamily, KeyWrite, Persistence, Result};
use serde_json::Value;

use crate::atomic::{self, CrashPoint, Durability};
use crate::error::FileError;
use crate::locks::FileLocks;
use crate::naming::{self, CREDS_FILE};
use crate::owner::OwnerLock;

/// One planned file write: name and new bytes (`None` deletes).
type Planned = (String, Option<Vec<u8>>);

/// Batches of at least this many files are written by several threads.
const PARALLEL_FROM: usize = 64;
/// Threads per large batch.
const LANES: usize = 8;

/// How a [`CompatFolder`] is opened.
#[derive(Clone, Copy, Debug)]
pub struct CompatOptions {
    /// fsync on (default) or off.
    pub durability: Durability,
    /// Take the folder's owner lock (default `true`). Without it nothing
    /// stops two stores from writing one folder, and orphan temp files
    /// are not swept on open.
    pub owner_lock: bool,
    /// Stop every write at this point (crash and fault tests only).
    pub crash_point: Option<CrashPoint>,
}

impl Default for CompatOptions {
    fn default() -> Self {
        Self { durability: Durability::Fsync, owner_lock: true, crash_point: None }
    }
}

struct Inner {
    dir: PathBuf,
    options: CompatOptions,
    locks: FileLocks,
    _owner: Option<OwnerLock>,
}

/// A Baileys multi-file auth folder as an `auth_persistence` backend.
///
/// ```
/// use std::sync::Arc;
/// use auth_file::CompatFolder;
/// use auth_persistence::{AuthState, KeyFamily, Persistence};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let folder = Arc::new(CompatFolder::open(dir.path())?);
/// let state = AuthState::open(folder.clone()).await?;
/// assert!(state.is_new && !dir.path().join("creds.json").exists(), "nothing written yet");
/// state.save_creds().await?;
///
/// folder.save_key(&KeyFamily::SenderKeyMemory, "g@g.us", &json!({"u@s.whatsapp.net": true})).await?;
/// assert!(dir.path().join("sender-key-memory-g@g.us.json").exists());
/// // a second owner is refused while this one is open
/// assert!(CompatFolder::open(dir.path()).expect_err("owned").is_locked());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct CompatFolder {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CompatFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompatFolder")
            .field("dir", &self.inner.dir)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl CompatFolder {
    /// Opens (creating it `0700` if needed) the folder with the default
    /// options: fsync on, owner lock taken.
    ///
    /// # Errors
    /// [`FileError::Locked`] when another store owns the folder,
    /// [`FileError::Io`] when it cannot be created or locked.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, FileError> {
        Self::open_with(dir, CompatOptions::default())
    }

    /// Opens the folder with `options`.
    ///
    /// # Errors
    /// As for [`CompatFolder::open`].
    pub fn open_with(dir: impl AsRef<Path>, options: CompatOptions) -> Result<Self, FileError> {
        let dir = dir.as_ref().to_owned();
        atomic::ensure_private_dir(&dir).map_err(|e| FileError::io("create folder", &dir, e))?;
        if crate::native::is_native(&dir) {
            return Err(FileError::Foreign {
                path: dir,
                expected: "Baileys multi-file",
                found: "a msgkit native store (migrate it with migrate_native_to_compat)".into(),
            });
        }
        let owner = if options.owner_lock { Some(OwnerLock::acquire(&dir)?) } else { None };
        if owner.is_some() {
            let swept = atomic::sweep_temps(&dir)
                .map_err(|e| FileError::io("sweep temp files", &dir, e))?;
            if swept > 0 {
                tracing::info!(dir = %dir.display(), swept, "removed temp files of an interrupted write");
            }
        }
        Ok(Self {
            inner: Arc::new(Inner { dir, options, locks: FileLocks::default(), _owner: owner }),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    /// Per-file lock entries alive right now (held or awaited); zero when
    /// idle, whatever the number of files ever written.
    pub fn file_lock_entries(&self) -> usize {
        self.inner.locks.len()
    }

    /// Runs blocking file work off the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&inner)).await.map_err(Error::backend)?
    }
}

impl Inner {
    fn io(&self, op: &'static str, name: &str, e: io::Error) -> Error {
        FileError::io(op, self.dir.join(name), e).into()
    }

    /// Reads `name`, falling back to `name.bak` when it is missing or
    /// damaged; `Ok(None)` when neither exists.
    fn read<T>(
        &self,
        name: &str,
        what: &dyn Fn() -> String,
        parse: impl Fn(&[u8]) -> std::result::Result<T, BoxError>,
    ) -> Result<Option<T>> {
        let backup = format!("{name}.bak");
        let damage: BoxError = match fs::read(self.dir.join(name)) {
            Ok(bytes) => match parse(&bytes) {
                Ok(value) => return Ok(Some(value)),
                Err(e) => e,
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return match fs::read(self.dir.join(&backup)) {
                    Ok(bytes) => parse(&bytes)
                        .map(Some)
                        .map_err(|e| Error::corrupt(format!("{} (backup {backup})", what()), e)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::corrupt(format!("{} (backup {backup})", what()), e)),
                };
            }
            Err(e) => Box::new(e),
        };
        match fs::read(self.dir.join(&backup)).map(|bytes| parse(&bytes)) {
            Ok(Ok(value)) => {
                tracing::warn!(file = name, error = %damage, "main file damaged; read its .bak");
                Ok(Some(value))
            }
            _ => Err(Error::corrupt(
                format!("{} ({})", what(), self.dir.join(name).display()),
                damage,
            )),
        }
    }

    /// Applies a batch: each file atomically, writes of one file in
    /// order; a large batch is spread over [`LANES`] threads by file name
    /// (file system calls wait on the disk and on directory locks, so they
    /// overlap well), then the folder is fsynced once.
    fn apply(&self, writes: &[Planned]) -> Result<()> {
        if writes.len() < PARALLEL_FROM {
            self.apply_lane(writes.iter())?;
        } else {
            let mut lanes: Vec<Vec<&Planned>> = vec![Vec::new(); LANES];
            for write in writes {
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(&write.0, &mut hasher);
                lanes[(std::hash::Hasher::finish(&hasher) % LANES as u64) as usize].push(write);
            }
            std::thread::scope(|scope| {
                let running: Vec<_> = lanes
                    .iter()
                    .map(|lane| scope.spawn(|| self.apply_lane(lane.iter().copied())))
                    .collect();
                running
                    .into_iter()
                    .map(|lane| {
                        lane.join()
                            .unwrap_or_else(|_| Err(Error::backend("a write thread panicked")))
                    })
                    .collect::<Result<Vec<()>>>()
            })?;
        }
        if self.options.durability.is_durable() && !writes.is_empty() {
            atomic::sync_dir(&self.dir).map_err(|e| self.io("sync folder", ".", e))?;
        }
        Ok(())
    }

    fn apply_lane<'w>(
        &self,
        writes: impl Iterator<Item = &'w (String, Option<Vec<u8>>)>,
    ) -> Result<()> {
        let durability = self.options.durability;
        for (name, bytes) in writes {
            match bytes {
                Some(bytes) => {
                    atomic::replace(&self.dir, name, bytes, durability, self.options.crash_point)
                        .map_err(|e| self.io("write", name, e))?
                }
                None => {
                    // backups first, so a reader never falls back to a
                    // stale .bak of a deleted key
                    for leftover in [format!("{name}.bak"), format!("{name}.tmp")] {
                        atomic::remove(&self.dir, &leftover)
                            .map_err(|e| self.io("remove", &leftover, e))?;
                    }
                    atomic::remove(&self.dir, name).map_err(|e| self.io("remove", name, e))?;
                }
            }
        }
        Ok(())
    }

    fn names(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| self.io("list", ".", e))? {
            let entry = entry.map_err(|e| self.io("list", ".", e))?;
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }
}

fn parse_value(bytes: &[u8]) -> std::result::Result<Value, BoxError> {
    serde_json::from_slice(bytes).map_err(Into::into)
}

fn parse_creds(bytes: &[u8]) -> std::result::Result<AuthCreds, BoxError> {
    serde_json::from_slice(bytes).map_err(Into::into)
}

fn encode(value: &Value) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::corrupt("value to write", e))
}

#[async_trait]
impl Persistence for CompatFolder {
    #[tracing::instrument(level = "debug", skip_all, fields(dir = %self.inner.dir.display()))]
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        self.blocking(|inner| inner.read(CREDS_FILE, &|| "creds".to_owned(), parse_creds)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(dir = %self.inner.dir.display()))]
    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()> {
        let bytes = creds.to_json_string()?.into_bytes();
        let _held = self.inner.locks.lock([CREDS_FILE.to_owned()]).await;
        self.blocking(move |inner| inner.apply(&[(CREDS_FILE.to_owned(), Some(bytes))])).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%family, id))]
    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        let mut values = self.load_keys(family, &[id.to_owned()]).await?;
        Ok(values.pop().flatten())
    }

    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()> {
        self.write_batch(&[KeyWrite::save(family.clone(), id, value.clone())]).await
    }

    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()> {
        self.write_batch(&[KeyWrite::delete(family.clone(), id)]).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%family, ids = ids.len()))]
    async fn load_keys(&self, family: &KeyFamily, ids: &[String]) -> Result<Vec<Option<Value>>> {
        let names =
            ids.iter().map(|id| naming::file_name(family, id)).collect::<Result<Vec<_>>>()?;
        let (family, ids) = (family.clone(), ids.to_vec());
        self.blocking(move |inner| {
            names
                .iter()
                .zip(&ids)
                .map(|(name, id)| inner.read(name, &|| format!("{family} {id}"), parse_value))
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%family))]
    async fn list_ids(&self, family: &KeyFamily) -> Result<Vec<String>> {
        let family = family.clone();
        self.blocking(move |inner| {
            Ok(inner.names()?.iter().filter_map(|name| naming::id_of(&family, name)).collect())
        })
        .await
    }

    async fn list_families(&self) -> Result<Vec<KeyFamily>> {
        self.blocking(|inner| {
            let mut families: Vec<KeyFamily> =
                inner.names()?.iter().filter_map(|name| naming::family_of(name)).collect();
            families.sort();
            families.dedup();
            Ok(families)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(writes = writes.len()))]
    async fn write_batch(&self, writes: &[KeyWrite]) -> Result<()> {
        let mut planned = Vec::with_capacity(writes.len());
        for write in writes {
            let name = naming::file_name(&write.family, &write.id)?;
            let bytes = write.value.as_ref().map(encode).transpose()?;
            planned.push((name, bytes));
        }
        let _held = self.inner.locks.lock(planned.iter().map(|(name, _)| name.clone())).await;
        self.blocking(move |inner| inner.apply(&planned)).await
    }

    async fn flush(&self) -> Result<()> {
        self.blocking(|inner| {
            atomic::sync_dir(&inner.dir).map_err(|e| inner.io("sync folder", ".", e))
        })
        .await
    }
}

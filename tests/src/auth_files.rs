//! The durable auth scenario: the WhatsApp auth state kept in a Baileys
//! multi-file folder (`auth-file`), reopened after a simulated restart,
//! then imported into SQLite (`auth-sqlite`) and exported back to a new
//! folder, which must hold the very same files.
//!
//! Key bytes come from the seeded generator of [`crate::auth`]; the
//! credentials come from the OS source, as `AuthState::open` makes them,
//! so the report holds facts about them, not the values.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use auth_file::{CREDS_FILE, CompatFolder, OWNER_LOCK_FILE};
use auth_persistence::{AuthState, DataSet, KeyFamily, values};
use auth_sqlite::SqliteStore;
use serde_json::json;

use crate::auth::{SESSION, pre_keys};

/// What the durable auth scenario measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesReport {
    /// The first open found no creds and made fresh ones.
    pub fresh: bool,
    /// Files in the folder before the first `save_creds` (the owner lock
    /// aside): must be none.
    pub files_before_save: usize,
    /// Pre-keys written in the transaction.
    pub pre_keys: usize,
    /// `.json` files in the folder after the commit and `save_creds`.
    pub files_after_commit: usize,
    /// After the restart: creds loaded (not fresh) and equal.
    pub reopened_same: bool,
    /// After the restart: pre-keys read back equal to those written.
    pub pre_keys_read_back: usize,
    /// After the restart: the session read back equal.
    pub session_read_back: bool,
    /// A second store on the open folder was refused with `Locked`.
    pub second_owner_locked: bool,
    /// Keys imported into SQLite.
    pub imported_keys: usize,
    /// Keys exported from SQLite to the new folder.
    pub exported_keys: usize,
    /// Files of the exported folder, every one byte-for-byte equal to the
    /// original's.
    pub exported_files_equal: usize,
    /// Whether both folders hold exactly the same file names.
    pub same_file_set: bool,
}

impl FilesReport {
    /// Every broken expectation, in words; empty when the run was clean.
    pub fn problems(&self) -> Vec<String> {
        let files = self.pre_keys + 2;
        let checks = [
            (self.fresh, "the first open did not make fresh creds".to_owned()),
            (
                self.files_before_save == 0,
                format!("{} file(s) written before save_creds", self.files_before_save),
            ),
            (
                self.files_after_commit == files,
                format!("{} files after the commit, expected {files}", self.files_after_commit),
            ),
            (self.reopened_same, "the restarted process did not load the same creds".to_owned()),
            (
                self.pre_keys_read_back == self.pre_keys,
                format!("{} of {} pre-keys read back", self.pre_keys_read_back, self.pre_keys),
            ),
            (self.session_read_back, "the session did not survive the restart".to_owned()),
            (self.second_owner_locked, "a second owner of the folder was not refused".to_owned()),
            (
                self.imported_keys == self.pre_keys + 1,
                format!("{} keys imported", self.imported_keys),
            ),
            (
                self.exported_keys == self.imported_keys,
                format!("{} keys exported", self.exported_keys),
            ),
            (
                self.same_file_set && self.exported_files_equal == files,
                "the exported folder differs from the original".to_owned(),
            ),
        ];
        checks.into_iter().filter(|(ok, _)| !ok).map(|(_, what)| what).collect()
    }
}

fn err(what: &str) -> impl Fn(auth_persistence::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// The files of a folder (owner lock aside), name → bytes.
fn files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("list {}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != OWNER_LOCK_FILE {
            out.insert(name, std::fs::read(entry.path()).map_err(|e| e.to_string())?);
        }
    }
    Ok(out)
}

/// Runs the scenario in `data` (which must be empty or absent): the folder
/// is `data/auth`, the database `data/auth.db`, the export `data/exported`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), String> {
/// let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
/// let report = integration_tests::auth_files::run_files(dir.path(), 1, 4).await?;
/// assert!(report.problems().is_empty(), "{:?}", report.problems());
/// # Ok(())
/// # }
/// ```
pub async fn run_files(data: &Path, seed: u64, n: u32) -> Result<FilesReport, String> {
    let folder_path = data.join("auth");
    let pairs = pre_keys(seed, n);
    let session = json!({"_sessions": {"05ab": {"registrationId": 4242, "currentRatchet": {}}}, "version": "v1"});
    let (creds, fresh, files_before_save, files_after_commit) = {
        let folder = Arc::new(CompatFolder::open(&folder_path).map_err(|e| e.to_string())?);
        let state = AuthState::open(folder.clone()).await.map_err(err("open"))?;
        let files_before_save = files(&folder_path)?.len();
        let keys = &state.keys;
        keys.transaction(SESSION, async {
            let mut data = DataSet::new();
            for (id, pair) in &pairs {
                data.put(KeyFamily::PreKey, id.clone(), values::encode(pair)?);
            }
            data.put(KeyFamily::Session, SESSION, session.clone());
            keys.set(data).await
        })
        .await
        .map_err(err("transaction"))?;
        state.save_creds().await.map_err(err("save creds"))?;
        let after = files(&folder_path)?.keys().filter(|n| n.ends_with(".json")).count();
        (state.creds.clone(), state.is_new, files_before_save, after)
        // the store and the folder drop here: the simulated restart
    };
    let folder = Arc::new(CompatFolder::open(&folder_path).map_err(|e| e.to_string())?);
    let second_owner_locked = CompatFolder::open(&folder_path).is_err_and(|e| e.is_locked());
    let state = AuthState::open(folder.clone()).await.map_err(err("reopen"))?;
    let reopened_same = !state.is_new && state.creds == creds;
    let ids: Vec<&str> = pairs.iter().map(|(id, _)| id.as_str()).collect();
    let got = state.keys.get(&KeyFamily::PreKey, &ids).await.map_err(err("get"))?;
    let pre_keys_read_back = pairs
        .iter()
        .filter(|(id, pair)| {
            got.get(id).and_then(|v| values::encode(pair).ok().filter(|e| e == v)).is_some()
        })
        .count();
    let session_read_back =
        state.keys.get_one(&KeyFamily::Session, SESSION).await.map_err(err("get"))?.as_ref()
            == Some(&session);

    let store = SqliteStore::open(data.join("auth.db")).map_err(|e| e.to_string())?;
    let imported = store.import(folder.as_ref()).await.map_err(err("import"))?;
    let exported_dir = data.join("exported");
    let target = CompatFolder::open(&exported_dir).map_err(|e| e.to_string())?;
    let exported = store.export(&target).await.map_err(err("export"))?;
    let (original, copy) = (files(&folder_path)?, files(&exported_dir)?);
    let exported_files_equal =
        copy.iter().filter(|(name, bytes)| original.get(*name) == Some(bytes)).count();
    Ok(FilesReport {
        fresh,
        files_before_save,
        pre_keys: pairs.len(),
        files_after_commit,
        reopened_same,
        pre_keys_read_back,
        session_read_back,
        second_owner_locked,
        imported_keys: imported.total_keys(),
        exported_keys: exported.total_keys(),
        exported_files_equal,
        same_file_set: original.keys().eq(copy.keys()) && original.contains_key(CREDS_FILE),
    })
}

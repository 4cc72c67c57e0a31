//! auth-persistence's conformance suite against the Baileys-compatible
//! folder, fsync on and off, current-thread and multi-thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use auth_file::{CompatFolder, CompatOptions, Durability};
use auth_persistence::Persistence;
use auth_persistence::conformance::{Subject, run_all};

/// One folder per slot. A slot whose store is still alive is shared (the
/// owner lock allows one store per folder); once every handle is dropped
/// the next open is a real reopen from disk.
struct Folders {
    root: tempfile::TempDir,
    durability: Durability,
    live: Mutex<HashMap<String, Weak<CompatFolder>>>,
}

impl Folders {
    fn new(durability: Durability) -> Self {
        Self { root: tempfile::tempdir().expect("tempdir"), durability, live: Mutex::default() }
    }
}

#[async_trait]
impl Subject for Folders {
    async fn open(&self, slot: &str) -> Arc<dyn Persistence> {
        let mut live = self.live.lock().expect("lock");
        if let Some(folder) = live.get(slot).and_then(Weak::upgrade) {
            return folder;
        }
        let options = CompatOptions { durability: self.durability, ..CompatOptions::default() };
        let folder =
            Arc::new(CompatFolder::open_with(self.root.path().join(slot), options).expect("open"));
        live.insert(slot.to_owned(), Arc::downgrade(&folder));
        folder
    }
}

#[tokio::test]
async fn compat_folder_passes_the_suite_with_fsync() {
    run_all(&Folders::new(Durability::Fsync)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compat_folder_passes_the_suite_without_fsync_on_a_multi_thread_runtime() {
    run_all(&Folders::new(Durability::NoSync)).await;
}

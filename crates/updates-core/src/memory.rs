//! `MemoryStorage`: the in-memory [`StateStorage`] and
//! [`ChannelAccessHasher`], the manager's defaults.
//!
//! It keeps everything in a mutex-guarded map and loses it with the
//! process; use a persistent backend crate to survive restarts. A
//! checkpoint is applied under one lock, so readers never see half of it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::error::StorageError;
use crate::ports::{ChannelAccessHasher, StateStorage, StateWrite};
use crate::tl::State;

#[derive(Debug, Default)]
struct Account {
    state: Option<State>,
    channels: HashMap<i64, i32>,
    hashes: HashMap<i64, i64>,
}

/// In-memory state storage and access hasher for any number of accounts.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), updates_core::StorageError> {
/// use updates_core::{MemoryStorage, State, StateStorage};
///
/// let storage = MemoryStorage::new();
/// assert!(storage.set_pts(1, 5).await.is_err()); // no state yet
/// storage.set_state(1, State { pts: 5, qts: 0, date: 1, seq: 0 }).await?;
/// storage.set_pts(1, 6).await?;
/// assert_eq!(storage.get_state(1).await?.map(|s| s.pts), Some(6));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryStorage {
    accounts: Mutex<HashMap<i64, Account>>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Account>> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, user_id: i64, f: impl FnOnce(&mut State)) -> Result<(), StorageError> {
        let mut accounts = self.lock();
        let state = accounts
            .get_mut(&user_id)
            .and_then(|a| a.state.as_mut())
            .ok_or(StorageError::StateNotFound { user_id })?;
        f(state);
        Ok(())
    }
}

#[async_trait]
impl StateStorage for MemoryStorage {
    async fn get_state(&self, user_id: i64) -> Result<Option<State>, StorageError> {
        Ok(self.lock().get(&user_id).and_then(|a| a.state))
    }

    async fn set_state(&self, user_id: i64, state: State) -> Result<(), StorageError> {
        self.lock().entry(user_id).or_default().state = Some(state);
        Ok(())
    }

    async fn set_pts(&self, user_id: i64, pts: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| s.pts = pts)
    }

    async fn set_qts(&self, user_id: i64, qts: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| s.qts = qts)
    }

    async fn set_date(&self, user_id: i64, date: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| s.date = date)
    }

    async fn set_seq(&self, user_id: i64, seq: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| s.seq = seq)
    }

    async fn set_date_seq(&self, user_id: i64, date: i32, seq: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| {
            s.date = date;
            s.seq = seq;
        })
    }

    async fn get_channel_pts(
        &self,
        user_id: i64,
        channel_id: i64,
    ) -> Result<Option<i32>, StorageError> {
        Ok(self.lock().get(&user_id).and_then(|a| a.channels.get(&channel_id).copied()))
    }

    async fn set_channel_pts(
        &self,
        user_id: i64,
        channel_id: i64,
        pts: i32,
    ) -> Result<(), StorageError> {
        self.lock().entry(user_id).or_default().channels.insert(channel_id, pts);
        Ok(())
    }

    async fn delete_channel(&self, user_id: i64, channel_id: i64) -> Result<(), StorageError> {
        if let Some(account) = self.lock().get_mut(&user_id) {
            account.channels.remove(&channel_id);
        }
        Ok(())
    }

    async fn write_checkpoint(&self, user_id: i64, write: &StateWrite) -> Result<(), StorageError> {
        let mut accounts = self.lock();
        let account = accounts.entry(user_id).or_default();
        if let Some(state) = write.state {
            account.state = Some(state);
        }
        account.channels.extend(write.channels.iter().copied());
        Ok(())
    }

    async fn for_each_channel(
        &self,
        user_id: i64,
        f: &mut (dyn FnMut(i64, i32) + Send),
    ) -> Result<(), StorageError> {
        let channels: Vec<(i64, i32)> = self
            .lock()
            .get(&user_id)
            .map(|a| a.channels.iter().map(|(id, pts)| (*id, *pts)).collect())
            .unwrap_or_default();
        for (id, pts) in channels {
            f(id, pts);
        }
        Ok(())
    }
}

#[async_trait]
impl ChannelAccessHasher for MemoryStorage {
    async fn set_channel_access_hash(
        &self,
        user_id: i64,
        channel_id: i64,
        access_hash: i64,
    ) -> Result<(), StorageError> {
        self.lock().entry(user_id).or_default().hashes.insert(channel_id, access_hash);
        Ok(())
    }

    async fn get_channel_access_hash(
        &self,
        user_id: i64,
        channel_id: i64,
    ) -> Result<Option<i64>, StorageError> {
        Ok(self.lock().get(&user_id).and_then(|a| a.hashes.get(&channel_id).copied()))
    }
}

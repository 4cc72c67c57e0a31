//! The port implementations: [`StateStorage`] and [`ChannelAccessHasher`]
//! on [`SledStorage`].
//!
//! A checkpoint touching one key is one sled insert; one touching several
//! (state and channels) is one multi-tree transaction, so it lands whole
//! or not at all. In [`Durability::EveryCheckpoint`] every mutating call
//! ends with exactly one flush (one fsync). Calls run on the caller's task:
//! sled serves them from memory, and only the flush waits for the disk.

use async_trait::async_trait;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use updates_core::{ChannelAccessHasher, State, StateStorage, StateWrite, StorageError};

use crate::error::storage;
use crate::keys;
use crate::options::Durability;
use crate::storage::SledStorage;

impl SledStorage {
    /// Flushes when the mode asks for it: called once per mutating call.
    async fn settle(&self) -> Result<(), StorageError> {
        match self.durability {
            Durability::Background => Ok(()),
            Durability::EveryCheckpoint => self.flush().await,
        }
    }

    /// Read-modify-write of an existing state.
    async fn update(&self, user_id: i64, f: impl Fn(&mut State)) -> Result<(), StorageError> {
        let key = keys::account(user_id);
        let result = self.state.transaction(|t| {
            let Some(old) = t.get(key)? else {
                return Err(ConflictableTransactionError::Abort(StorageError::StateNotFound {
                    user_id,
                }));
            };
            let mut state =
                keys::decode_state(&old).map_err(ConflictableTransactionError::Abort)?;
            f(&mut state);
            t.insert(&key, &keys::encode_state(state))?;
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(storage(e)),
        }
        self.settle().await
    }
}

#[async_trait]
impl StateStorage for SledStorage {
    async fn get_state(&self, user_id: i64) -> Result<Option<State>, StorageError> {
        match self.state.get(keys::account(user_id)).map_err(storage)? {
            Some(v) => keys::decode_state(&v).map(Some),
            None => Ok(None),
        }
    }

    async fn set_state(&self, user_id: i64, state: State) -> Result<(), StorageError> {
        self.state.insert(keys::account(user_id), &keys::encode_state(state)).map_err(storage)?;
        self.settle().await
    }

    async fn set_pts(&self, user_id: i64, pts: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| s.pts = pts).await
    }

    async fn set_qts(&self, user_id: i64, qts: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| s.qts = qts).await
    }

    async fn set_date(&self, user_id: i64, date: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| s.date = date).await
    }

    async fn set_seq(&self, user_id: i64, seq: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| s.seq = seq).await
    }

    async fn set_date_seq(&self, user_id: i64, date: i32, seq: i32) -> Result<(), StorageError> {
        self.update(user_id, |s| {
            s.date = date;
            s.seq = seq;
        })
        .await
    }

    async fn get_channel_pts(
        &self,
        user_id: i64,
        channel_id: i64,
    ) -> Result<Option<i32>, StorageError> {
        match self.channels.get(keys::channel(user_id, channel_id)).map_err(storage)? {
            Some(v) => keys::decode_pts(&v).map(Some),
            None => Ok(None),
        }
    }

    async fn set_channel_pts(
        &self,
        user_id: i64,
        channel_id: i64,
        pts: i32,
    ) -> Result<(), StorageError> {
        self.channels
            .insert(keys::channel(user_id, channel_id), &pts.to_be_bytes())
            .map_err(storage)?;
        self.settle().await
    }

    async fn delete_channel(&self, user_id: i64, channel_id: i64) -> Result<(), StorageError> {
        let old = self.channels.remove(keys::channel(user_id, channel_id)).map_err(storage)?;
        if old.is_some() {
            self.settle().await?;
        }
        Ok(())
    }

    async fn write_checkpoint(&self, user_id: i64, write: &StateWrite) -> Result<(), StorageError> {
        match (write.state, write.channels.as_slice()) {
            (None, []) => return Ok(()),
            (Some(state), []) => {
                self.state
                    .insert(keys::account(user_id), &keys::encode_state(state))
                    .map_err(storage)?;
            }
            (None, [(channel_id, pts)]) => {
                self.channels
                    .insert(keys::channel(user_id, *channel_id), &pts.to_be_bytes())
                    .map_err(storage)?;
            }
            (state, channels) => {
                let result = (&self.state, &self.channels).transaction(|(st, ch)| {
                    if let Some(state) = state {
                        st.insert(&keys::account(user_id), &keys::encode_state(state))?;
                    }
                    for &(channel_id, pts) in channels {
                        ch.insert(&keys::channel(user_id, channel_id), &pts.to_be_bytes())?;
                    }
                    Ok::<(), ConflictableTransactionError<std::convert::Infallible>>(())
                });
                match result {
                    Ok(()) => {}
                    Err(TransactionError::Storage(e)) => return Err(storage(e)),
                    Err(TransactionError::Abort(never)) => match never {},
                }
            }
        }
        self.settle().await
    }

    async fn for_each_channel(
        &self,
        user_id: i64,
        f: &mut (dyn FnMut(i64, i32) + Send),
    ) -> Result<(), StorageError> {
        for item in self.channels.scan_prefix(keys::account(user_id)) {
            let (key, value) = item.map_err(storage)?;
            f(keys::channel_id(&key)?, keys::decode_pts(&value)?);
        }
        Ok(())
    }
}

#[async_trait]
impl ChannelAccessHasher for SledStorage {
    async fn set_channel_access_hash(
        &self,
        user_id: i64,
        channel_id: i64,
        access_hash: i64,
    ) -> Result<(), StorageError> {
        self.hashes
            .insert(keys::channel(user_id, channel_id), &access_hash.to_be_bytes())
            .map_err(storage)?;
        self.settle().await
    }

    async fn get_channel_access_hash(
        &self,
        user_id: i64,
        channel_id: i64,
    ) -> Result<Option<i64>, StorageError> {
        match self.hashes.get(keys::channel(user_id, channel_id)).map_err(storage)? {
            Some(v) => keys::decode_hash(&v).map(Some),
            None => Ok(None),
        }
    }
}

//! The port implementations: [`StateStorage`] and [`ChannelAccessHasher`]
//! on [`SqliteStorage`], with their SQL built once per prefix.
//!
//! A checkpoint touching one row is one autocommit statement; one
//! touching several is one immediate transaction — so it lands whole or
//! not at all, and costs one commit (one fsync with `synchronous=FULL`).
//! Values outside `i32` (or of another type) read back as
//! [`StorageError::Corrupt`].

use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use updates_core::{ChannelAccessHasher, State, StateStorage, StateWrite, StorageError};

use crate::error::storage;
use crate::schema::Names;
use crate::storage::SqliteStorage;

/// Every statement, with the table names spliced in.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    get_state: String,
    set_state: String,
    set_field: [String; 4],
    set_date_seq: String,
    get_channel: String,
    set_channel: String,
    delete_channel: String,
    channels: String,
    set_hash: String,
    get_hash: String,
}

const FIELDS: [&str; 4] = ["pts", "qts", "date", "seq"];

impl Sql {
    pub(crate) fn new(n: &Names) -> Sql {
        let (state, channels, hashes) = (&n.state, &n.channels, &n.hashes);
        Sql {
            get_state: format!("SELECT pts, qts, date, seq FROM {state} WHERE user_id = ?1"),
            set_state: format!(
                "INSERT INTO {state} (user_id, pts, qts, date, seq) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id) DO UPDATE SET
                 pts = excluded.pts, qts = excluded.qts, date = excluded.date, seq = excluded.seq"
            ),
            set_field: FIELDS.map(|f| format!("UPDATE {state} SET {f} = ?2 WHERE user_id = ?1")),
            set_date_seq: format!("UPDATE {state} SET date = ?2, seq = ?3 WHERE user_id = ?1"),
            get_channel: format!(
                "SELECT pts FROM {channels} WHERE user_id = ?1 AND channel_id = ?2"
            ),
            set_channel: format!(
                "INSERT INTO {channels} (user_id, channel_id, pts) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id, channel_id) DO UPDATE SET pts = excluded.pts"
            ),
            delete_channel: format!(
                "DELETE FROM {channels} WHERE user_id = ?1 AND channel_id = ?2"
            ),
            channels: format!(
                "SELECT channel_id, pts FROM {channels} WHERE user_id = ?1 ORDER BY channel_id"
            ),
            set_hash: format!(
                "INSERT INTO {hashes} (user_id, channel_id, access_hash) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id, channel_id) DO UPDATE SET access_hash = excluded.access_hash"
            ),
            get_hash: format!(
                "SELECT access_hash FROM {hashes} WHERE user_id = ?1 AND channel_id = ?2"
            ),
        }
    }
}

fn read_state(r: &rusqlite::Row<'_>) -> rusqlite::Result<State> {
    Ok(State { pts: r.get(0)?, qts: r.get(1)?, date: r.get(2)?, seq: r.get(3)? })
}

impl SqliteStorage {
    /// Runs an UPDATE of the state row; no row is `StateNotFound`.
    fn update(
        &self,
        user_id: i64,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<(), StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(sql).map_err(storage)?;
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&user_id];
        all.extend_from_slice(args);
        match stmt.execute(all.as_slice()).map_err(storage)? {
            0 => Err(StorageError::StateNotFound { user_id }),
            _ => Ok(()),
        }
    }

    fn set_field(&self, user_id: i64, field: usize, value: i32) -> Result<(), StorageError> {
        self.update(user_id, &self.sql.set_field[field], &[&value])
    }
}

#[async_trait]
impl StateStorage for SqliteStorage {
    async fn get_state(&self, user_id: i64) -> Result<Option<State>, StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&self.sql.get_state).map_err(storage)?;
        stmt.query_row([user_id], read_state).optional().map_err(storage)
    }

    async fn set_state(&self, user_id: i64, s: State) -> Result<(), StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&self.sql.set_state).map_err(storage)?;
        stmt.execute(params![user_id, s.pts, s.qts, s.date, s.seq]).map_err(storage)?;
        Ok(())
    }

    async fn set_pts(&self, user_id: i64, pts: i32) -> Result<(), StorageError> {
        self.set_field(user_id, 0, pts)
    }

    async fn set_qts(&self, user_id: i64, qts: i32) -> Result<(), StorageError> {
        self.set_field(user_id, 1, qts)
    }

    async fn set_date(&self, user_id: i64, date: i32) -> Result<(), StorageError> {
        self.set_field(user_id, 2, date)
    }

    async fn set_seq(&self, user_id: i64, seq: i32) -> Result<(), StorageError> {
        self.set_field(user_id, 3, seq)
    }

    async fn set_date_seq(&self, user_id: i64, date: i32, seq: i32) -> Result<(), StorageError> {
        self.update(user_id, &self.sql.set_date_seq, &[&date, &seq])
    }

    async fn get_channel_pts(
        &self,
        user_id: i64,
        channel_id: i64,
    ) -> Result<Option<i32>, StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&self.sql.get_channel).map_err(storage)?;
        stmt.query_row([user_id, channel_id], |r| r.get(0)).optional().map_err(storage)
    }

    async fn set_channel_pts(
        &self,
        user_id: i64,
        channel_id: i64,
        pts: i32,
    ) -> Result<(), StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&self.sql.set_channel).map_err(storage)?;
        stmt.execute(params![user_id, channel_id, pts]).map_err(storage)?;
        Ok(())
    }

    async fn delete_channel(&self, user_id: i64, channel_id: i64) -> Result<(), StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&self.sql.delete_channel).map_err(storage)?;
        stmt.execute([user_id, channel_id]).map_err(storage)?;
        Ok(())
    }

    async fn write_checkpoint(&self, user_id: i64, write: &StateWrite) -> Result<(), StorageError> {
        match (write.state, write.channels.as_slice()) {
            (None, []) => Ok(()),
            (Some(state), []) => self.set_state(user_id, state).await,
            (None, [(channel_id, pts)]) => self.set_channel_pts(user_id, *channel_id, *pts).await,
            (state, channels) => {
                let mut conn = self.lock();
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(storage)?;
                if let Some(s) = state {
                    let mut stmt = tx.prepare_cached(&self.sql.set_state).map_err(storage)?;
                    stmt.execute(params![user_id, s.pts, s.qts, s.date, s.seq]).map_err(storage)?;
                }
                {
                    let mut stmt = tx.prepare_cached(&self.sql.set_channel).map_err(storage)?;
                    for &(channel_id, pts) in channels {
                        stmt.execute(params![user_id, channel_id, pts]).map_err(storage)?;
                    }
                }
                tx.commit().map_err(storage)
            }
        }
    }

    async fn for_each_channel(
        &self,
        user_id: i64,
        f: &mut (dyn FnMut(i64, i32) + Send),
    ) -> Result<(), StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&self.sql.channels).map_err(storage)?;
        let mut rows = stmt.query([user_id]).map_err(storage)?;
        while let Some(row) = rows.next().map_err(storage)? {
            f(row.get(0).map_err(storage)?, row.get(1).map_err(storage)?);
        }
        Ok(())
    }
}

#[async_trait]
impl ChannelAccessHasher for SqliteStorage {
    async fn set_channel_access_hash(
        &self,
        user_id: i64,
        channel_id: i64,
        access_hash: i64,
    ) -> Result<(), StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&self.sql.set_hash).map_err(storage)?;
        stmt.execute([user_id, channel_id, access_hash]).map_err(storage)?;
        Ok(())
    }

    async fn get_channel_access_hash(
        &self,
        user_id: i64,
        channel_id: i64,
    ) -> Result<Option<i64>, StorageError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&self.sql.get_hash).map_err(storage)?;
        stmt.query_row([user_id, channel_id], |r| r.get(0)).optional().map_err(storage)
    }
}

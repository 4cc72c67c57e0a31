//! The auth scenario: fresh WhatsApp-Web credentials through
//! `auth_persistence::AuthState` on the in-memory backend, pre-keys and a
//! session written in one `KeyStore` transaction, an aborted transaction,
//! and everything read back; [`AuthReport`] holds what it measured.
//!
//! Key bytes come from a seeded generator, so the stored values are the
//! same on every run (the credentials themselves come from the OS source, as
//! `AuthState::open` makes them; the report only holds facts about them).
//! It does not touch files or databases: the durable backends are separate
//! crates.

use std::collections::HashMap;
use std::sync::Arc;

use auth_persistence::{
    AuthState, DataSet, KeyFamily, KeyPair, KeyStore, KeyStoreStats, MemoryPersistence,
    Persistence, values,
};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// The session address the scenario writes (a Signal address).
pub const SESSION: &str = "15550000001.0";
/// The session address of the transaction that is aborted.
pub const ABORTED_SESSION: &str = "15550000002.0";

/// What the auth scenario measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthReport {
    /// `AuthState::open` on an empty backend made fresh credentials.
    pub fresh: bool,
    /// Credentials stored before `save_creds` (must be none).
    pub stored_before_save: bool,
    /// The fresh signed pre-key's XEdDSA signature verifies.
    pub signature_valid: bool,
    /// The fresh registration id is in libsignal's 1..=16380.
    pub registration_id_in_range: bool,
    /// Reopening after `save_creds` loaded the same credentials.
    pub reopened_same: bool,
    /// Pre-keys written in the transaction.
    pub pre_keys: usize,
    /// Keys the backend held while the transaction was still open.
    pub backend_keys_during_tx: usize,
    /// The transaction read its own session write.
    pub read_own_write: bool,
    /// Keys the backend held after the commit.
    pub backend_keys_after_commit: usize,
    /// Keys the backend held after the aborted transaction.
    pub backend_keys_after_abort: usize,
    /// Pre-keys read back equal to what was written.
    pub pre_keys_read_back: usize,
    /// An id never written read back as absent.
    pub missing_absent: bool,
    /// The session read back equal to what was written.
    pub session_read_back: bool,
    /// The aborted session is absent.
    pub aborted_absent: bool,
    /// Store counters after the first read-back (cold cache).
    pub stats_cold: KeyStoreStats,
    /// Store counters after the second read-back (warm cache).
    pub stats_warm: KeyStoreStats,
}

impl AuthReport {
    /// Every broken expectation, in words; empty when the run was clean.
    pub fn problems(&self) -> Vec<String> {
        let checks = [
            (self.fresh, "fresh credentials were not made".to_owned()),
            (!self.stored_before_save, "credentials were written before save_creds".to_owned()),
            (self.signature_valid, "the signed pre-key signature does not verify".to_owned()),
            (self.registration_id_in_range, "registration id out of range".to_owned()),
            (self.reopened_same, "reopened credentials differ".to_owned()),
            (
                self.backend_keys_during_tx == 0,
                format!("{} keys visible before commit", self.backend_keys_during_tx),
            ),
            (self.read_own_write, "the transaction did not read its own write".to_owned()),
            (
                self.backend_keys_after_commit == self.pre_keys + 1,
                format!(
                    "{} keys after commit, expected {}",
                    self.backend_keys_after_commit,
                    self.pre_keys + 1
                ),
            ),
            (
                self.backend_keys_after_abort == self.backend_keys_after_commit,
                "the aborted transaction wrote something".to_owned(),
            ),
            (
                self.pre_keys_read_back == self.pre_keys,
                format!("{} of {} pre-keys read back", self.pre_keys_read_back, self.pre_keys),
            ),
            (self.missing_absent, "a never-written id was found".to_owned()),
            (self.session_read_back, "the session did not read back".to_owned()),
            (self.aborted_absent, "the aborted session is present".to_owned()),
            (
                self.stats_warm.cache_misses == self.stats_cold.cache_misses,
                "the warm read went to the backend".to_owned(),
            ),
        ];
        checks.into_iter().filter(|(ok, _)| !ok).map(|(_, what)| what).collect()
    }
}

/// The pre-key pairs of the scenario: ids `1..=n`, from `seed`.
pub fn pre_keys(seed: u64, n: u32) -> Vec<(String, KeyPair)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (1..=n)
        .map(|id| {
            let mut private = [0u8; 32];
            rng.fill_bytes(&mut private);
            (id.to_string(), KeyPair::from_private(private))
        })
        .collect()
}

/// Why the aborted transaction ended.
enum Abort {
    Store(auth_persistence::Error),
    ChangedMind,
}

impl From<auth_persistence::Error> for Abort {
    fn from(e: auth_persistence::Error) -> Abort {
        Abort::Store(e)
    }
}

fn err(what: &str) -> impl Fn(auth_persistence::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

type ReadBack = (HashMap<String, Value>, Option<Value>, Option<Value>);

/// Reads the pre-keys `ids`, the session and the aborted session.
async fn read_back(keys: &KeyStore, ids: &[&str]) -> Result<ReadBack, String> {
    let got = keys.get(&KeyFamily::PreKey, ids).await.map_err(err("get pre-keys"))?;
    let session = keys.get_one(&KeyFamily::Session, SESSION).await.map_err(err("get"))?;
    let aborted = keys.get_one(&KeyFamily::Session, ABORTED_SESSION).await.map_err(err("get"))?;
    Ok((got, session, aborted))
}

/// Runs the scenario with `n` pre-keys generated from `seed`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), String> {
/// let report = integration_tests::auth::run_auth(1, 3).await?;
/// assert!(report.problems().is_empty(), "{:?}", report.problems());
/// assert_eq!(report.backend_keys_after_commit, 4); // 3 pre-keys + 1 session
/// # Ok(())
/// # }
/// ```
pub async fn run_auth(seed: u64, n: u32) -> Result<AuthReport, String> {
    let backend = Arc::new(MemoryPersistence::new());
    let state = AuthState::open(backend.clone()).await.map_err(err("open"))?;
    let stored_before_save = backend.load_credentials().await.map_err(err("load creds"))?.is_some();
    let signature_valid =
        state.creds.signed_pre_key.verify(state.creds.signed_identity_key.public.as_slice());
    let registration_id_in_range = (1..=16380).contains(&state.creds.registration_id);
    state.save_creds().await.map_err(err("save creds"))?;
    let reopened = AuthState::open(backend.clone()).await.map_err(err("reopen"))?;
    let reopened_same = !reopened.is_new && reopened.creds == state.creds;

    let keys = &state.keys;
    let pairs = pre_keys(seed, n);
    let session = json!({"_sessions": {"05ab": {"registrationId": 4242, "currentRatchet": {}}}});
    let (read_own_write, during) = keys
        .transaction(SESSION, async {
            let mut data = DataSet::new();
            for (id, pair) in &pairs {
                data.put(KeyFamily::PreKey, id.clone(), values::encode(pair)?);
            }
            data.put(KeyFamily::Session, SESSION, session.clone());
            keys.set(data).await?;
            let own = keys.get_one(&KeyFamily::Session, SESSION).await?;
            Ok::<_, auth_persistence::Error>((
                own.as_ref() == Some(&session),
                backend.keys_of(None).len(),
            ))
        })
        .await
        .map_err(err("transaction"))?;
    let after_commit = backend.keys_of(None).len();

    let aborted = keys
        .transaction(ABORTED_SESSION, async {
            let mut data = DataSet::new();
            data.put(KeyFamily::Session, ABORTED_SESSION, json!({"v": 1}));
            keys.set(data).await?;
            Err::<(), _>(Abort::ChangedMind)
        })
        .await;
    match aborted {
        Err(Abort::ChangedMind) => {}
        Err(Abort::Store(e)) => return Err(format!("aborted transaction: {e}")),
        Ok(()) => return Err("the aborted transaction succeeded".into()),
    }
    let after_abort = backend.keys_of(None).len();

    let mut ids: Vec<&str> = pairs.iter().map(|(id, _)| id.as_str()).collect();
    ids.push("999999");
    let (got, session_back, aborted_back) = read_back(keys, &ids).await?;
    let stats_cold = keys.stats();
    read_back(keys, &ids).await?;
    let stats_warm = keys.stats();
    let matching = pairs
        .iter()
        .filter(|(id, pair)| {
            got.get(id.as_str())
                .and_then(|v| values::decode::<KeyPair>(&KeyFamily::PreKey, id, v).ok())
                .is_some_and(|back| &back == pair)
        })
        .count();
    Ok(AuthReport {
        fresh: state.is_new,
        stored_before_save,
        signature_valid,
        registration_id_in_range,
        reopened_same,
        pre_keys: pairs.len(),
        backend_keys_during_tx: during,
        read_own_write,
        backend_keys_after_commit: after_commit,
        backend_keys_after_abort: after_abort,
        pre_keys_read_back: matching,
        missing_absent: !got.contains_key("999999"),
        session_read_back: session_back.as_ref() == Some(&session),
        aborted_absent: aborted_back.is_none(),
        stats_cold,
        stats_warm,
    })
}

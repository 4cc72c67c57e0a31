//! Crash tests with a real child process killed with SIGKILL at seeded
//! moments, for any backend (files, SQLite, a future PostgreSQL one).
//!
//! The child runs [`child_workload`]: numbered batches generated from a
//! seed (saves, deletes and, every third batch, a credentials save), each
//! announced with `begin <n>` and acknowledged with `done <n>` on stdout.
//! The parent ([`kill_loop`]) kills it a seeded number of batches and
//! microseconds after a `begin`, reopens the backend and checks against
//! its model: everything opens; every key (and the credentials) holds its
//! value from before or after the batch in flight, never a torn or foreign
//! one; every listed id loads; with `atomic_batches` the whole state is the
//! one before or the one after. The next round continues on what the disk
//! holds. The child process itself is the backend crate's (it knows how
//! to open its store); this module only needs the command to start it.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::model::Rng;
use crate::{AuthCreds, KeyFamily, KeyWrite, Persistence};

/// The families the workload writes.
const FAMILIES: [KeyFamily; 3] = [KeyFamily::PreKey, KeyFamily::Session, KeyFamily::SenderKey];
/// Ids per family.
const IDS: u64 = 6;

/// A backend under crash test.
#[async_trait]
pub trait CrashSubject: Send + Sync {
    /// The command that runs [`child_workload`] on the storage with
    /// `seed`, starting at batch `start`.
    fn child(&self, seed: u64, start: u64) -> Command;

    /// Opens the storage again after the child died.
    async fn reopen(&self) -> Arc<dyn Persistence>;

    /// Whether a `write_batch` is all or nothing (a file per key is not).
    fn atomic_batches(&self) -> bool;
}

/// What a [`kill_loop`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashReport {
    /// Rounds run (each one kill).
    pub rounds: u32,
    /// Rounds where the batch in flight had been applied when the child
    /// died (the rest found the state before it).
    pub in_flight_applied: u32,
    /// Batches acknowledged by children over all rounds.
    pub batches_done: u64,
}

/// Rounds to run: `MSGKIT_CRASH_ROUNDS` if set, else `default`.
pub fn rounds_from_env(default: u32) -> u32 {
    std::env::var("MSGKIT_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn id(family: &KeyFamily, n: u64) -> String {
    match family {
        KeyFamily::SenderKey => format!("120363{n}@g.us::1555000000{n}::0"),
        KeyFamily::Session => format!("1555000000{n}.0"),
        _ => n.to_string(),
    }
}

/// Batch `index` of the workload for `seed`: key writes and, every third
/// batch, a credentials marker.
pub fn batch(seed: u64, index: u64) -> (Vec<KeyWrite>, Option<u64>) {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0x5851_F42D_4C95_7F2D));
    let writes = (0..1 + rng.below(5))
        .map(|_| {
            let family = FAMILIES[rng.below(3) as usize].clone();
            let id = id(&family, rng.below(IDS));
            if rng.chance(20) {
                KeyWrite::delete(family, id)
            } else {
                let pad = "x".repeat(rng.below(6000) as usize);
                KeyWrite::save(family, id.clone(), json!({"batch": index, "id": id, "pad": pad}))
            }
        })
        .collect();
    (writes, index.is_multiple_of(3).then_some(index))
}

/// The child side: applies batches `start..` of `seed` to `backend`
/// until killed, announcing each on stdout. `creds` is saved with
/// `additionalData = {"batch": n}` where a batch carries a marker.
///
/// # Errors
/// The first backend error (the child then exits and the parent fails
/// the round).
pub async fn child_workload(
    backend: Arc<dyn Persistence>,
    creds: AuthCreds,
    seed: u64,
    start: u64,
) -> crate::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut creds = creds;
    for index in start.. {
        let (writes, marker) = batch(seed, index);
        let _ = writeln!(out, "begin {index}").and_then(|()| out.flush());
        backend.write_batch(&writes).await?;
        if let Some(marker) = marker {
            creds.additional_data = Some(json!({"batch": marker}));
            backend.save_credentials(&creds).await?;
        }
        let _ = writeln!(out, "done {index}").and_then(|()| out.flush());
    }
    Ok(())
}

/// A state as the model sees it: (family, id) → value, plus the creds
/// marker (key `("creds", "")`).
type State = BTreeMap<(String, String), Value>;

fn creds_key() -> (String, String) {
    ("creds".into(), String::new())
}

fn apply_write(state: &mut State, write: KeyWrite) {
    let key = (write.family.to_string(), write.id);
    match write.value {
        Some(value) => state.insert(key, value),
        None => state.remove(&key),
    };
}

fn apply(state: &mut State, seed: u64, index: u64) {
    let (writes, marker) = batch(seed, index);
    for write in writes {
        apply_write(state, write);
    }
    if let Some(marker) = marker {
        state.insert(creds_key(), json!(marker));
    }
}

/// Every state a kill during batch `index` may leave, in order: the one
/// before it, after each write (or only after the whole batch when
/// batches are atomic), and after its credentials save. A killed process
/// loses no completed system call, so the disk must hold one of them.
fn candidates(before: &State, seed: u64, index: u64, atomic: bool) -> Vec<State> {
    let (writes, marker) = batch(seed, index);
    let mut states = vec![before.clone()];
    let mut state = before.clone();
    for write in writes {
        apply_write(&mut state, write);
        if !atomic {
            states.push(state.clone());
        }
    }
    if atomic {
        states.push(state.clone());
    }
    if let Some(marker) = marker {
        state.insert(creds_key(), json!(marker));
        states.push(state);
    }
    states
}

/// Reads the state the model tracks; panics naming the rule on a key that
/// does not load or a listed id that is not whole.
async fn read_state(backend: &dyn Persistence) -> State {
    let mut state = State::new();
    if let Some(creds) =
        backend.load_credentials().await.expect("crash: credentials open after a kill")
    {
        let marker = creds.additional_data.and_then(|d| d.get("batch").cloned());
        state.insert(creds_key(), marker.expect("crash: credentials are one of the written ones"));
    }
    for family in FAMILIES {
        let listed = backend.list_ids(&family).await.expect("crash: listing works after a kill");
        for id in listed {
            let value = backend
                .load_key(&family, &id)
                .await
                .unwrap_or_else(|e| panic!("crash: listed {family} {id} does not load: {e}"))
                .unwrap_or_else(|| panic!("crash: {family} {id} is listed but absent"));
            state.insert((family.to_string(), id), value);
        }
        for n in 0..IDS {
            let id = id(&family, n);
            let value = backend
                .load_key(&family, &id)
                .await
                .unwrap_or_else(|e| panic!("crash: {family} {id}: {e}"));
            let key = (family.to_string(), id);
            assert_eq!(
                value.as_ref(),
                state.get(&key),
                "crash: {key:?} loads but is not listed (or the reverse)"
            );
        }
    }
    state
}

/// Runs `rounds` kill rounds with seeds derived from `seed`.
///
/// # Panics
/// With a message naming the broken rule, like any test assertion.
pub async fn kill_loop(subject: &dyn CrashSubject, rounds: u32, seed: u64) -> CrashReport {
    let mut report = CrashReport::default();
    let mut rng = Rng::new(seed);
    let mut next = 0u64;
    for round in 0..rounds {
        let base = read_state(subject.reopen().await.as_ref()).await;
        let start = next;
        let mut child = subject
            .child(seed, start)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("crash: spawn the child");
        let stdout = child.stdout.take().expect("piped stdout");
        let kill_after = start + rng.below(4);
        let delay = Duration::from_micros(rng.below(4000));
        let mut lines = BufReader::new(stdout).lines();
        let (mut begun, mut done) = (None, None);
        for line in lines.by_ref() {
            let line = line.expect("crash: read the child's stdout");
            match line.split_once(' ') {
                Some(("begin", n)) => {
                    let n: u64 = n.parse().expect("batch number");
                    begun = Some(n);
                    if n >= kill_after {
                        std::thread::sleep(delay);
                        break;
                    }
                }
                Some(("done", n)) => done = Some(n.parse::<u64>().expect("batch number")),
                _ => panic!("crash: unexpected child output {line:?}"),
            }
        }
        child.kill().expect("crash: SIGKILL the child");
        let status = child.wait().expect("crash: reap the child");
        // lines written before the kill are still in the pipe
        for line in lines {
            let Ok(line) = line else { break };
            match line.split_once(' ') {
                Some(("begin", n)) => begun = n.parse().ok(),
                Some(("done", n)) => done = n.parse().ok(),
                _ => {}
            }
        }
        assert!(begun.is_some(), "crash: round {round}: the child started no batch ({status})");
        let mut before = base.clone();
        for index in start..done.map_or(start, |d| d + 1) {
            apply(&mut before, seed, index);
        }
        let in_flight = begun.filter(|&b| done.is_none_or(|d| b > d));
        let states = match in_flight {
            Some(index) => candidates(&before, seed, index, subject.atomic_batches()),
            None => vec![before.clone()],
        };
        let found = read_state(subject.reopen().await.as_ref()).await;
        let Some(step) = states.iter().position(|state| *state == found) else {
            let differing: Vec<_> = found
                .iter()
                .filter(|(k, v)| states.iter().all(|s| s.get(*k) != Some(*v)))
                .map(|(k, _)| k)
                .chain(states[0].keys().filter(|k| {
                    !found.contains_key(*k) && states.iter().all(|s| s.contains_key(*k))
                }))
                .collect();
            panic!(
                "crash: round {round} (seed {seed}, batches {start}..{in_flight:?}, atomic: {}): the state is none of the {} a kill may leave; keys off: {differing:?}",
                subject.atomic_batches(),
                states.len()
            );
        };
        if step > 0 {
            report.in_flight_applied += 1;
        }
        report.rounds += 1;
        report.batches_done += done.map_or(0, |d| d + 1 - start);
        next = in_flight.or(done).map_or(start, |n| n + 1);
    }
    report
}

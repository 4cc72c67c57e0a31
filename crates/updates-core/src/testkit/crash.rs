//! A kill -9 harness for storage backends: a child process runs the
//! [`Manager`] over the [`FakeServer`] on the backend and
//! reports every batch its handler finished and every checkpoint the
//! backend acknowledged; the parent SIGKILLs it at a seeded random moment,
//! reopens the database and checks it.
//!
//! Checks per round: the database opens; the stored state is never ahead
//! of what the handler finished (that would be a loss), per box (pts,
//! qts, each channel); and, for a mode that promises it, never behind the
//! last checkpoint the backend acknowledged.
//!
//! A backend's test is a few lines: one `open(mode, path)` function used
//! by both processes, [`child_role`] first, then [`backend_test`] with the
//! modes to run (see `updates-storage-sled/tests/crash.rs`); [`run`] and
//! [`child`] are the parts underneath for a test that needs other wiring. The stream is
//! lossless and in order, with no too-long answers, so every position a
//! checkpoint reaches was delivered to the handler first.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::process::report;
use super::{FakeConfig, FakeServer};
use crate::config::Config;
use crate::error::{HandlerError, StorageError};
use crate::manager::Manager;
use crate::ports::{Batch, ChannelAccessHasher, Checkpoint, Handler, StateStorage, StateWrite};
use crate::tl::State;

/// The account the child runs.
pub const USER: i64 = 1;

/// The fake server of round seed `seed`: lossless stream, no too-long
/// answers, no RPC failures, 20 channels.
pub fn server(seed: u64) -> FakeServer {
    FakeServer::new(
        seed,
        FakeConfig {
            channels: 20,
            page: 50,
            common_too_long: i32::MAX,
            channel_too_long: i32::MAX,
            error_rate: 0.0,
            entity_rate: 0.9,
            seq: false,
        },
    )
}

/// The highest position per box seen in a set of reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions {
    /// Common pts.
    pub pts: Option<i32>,
    /// qts.
    pub qts: Option<i32>,
    /// pts per channel.
    pub channels: BTreeMap<i64, i32>,
}

impl Positions {
    fn state(&mut self, s: State) {
        self.pts = Some(self.pts.map_or(s.pts, |p| p.max(s.pts)));
        self.qts = Some(self.qts.map_or(s.qts, |q| q.max(s.qts)));
    }

    fn channel(&mut self, id: i64, pts: i32) {
        let e = self.channels.entry(id).or_insert(pts);
        *e = (*e).max(pts);
    }

    /// What a seeded database starts with.
    pub fn initial(server: &FakeServer) -> Positions {
        let mut p = Positions::default();
        p.state(server.state());
        for (id, pts, _) in server.channels() {
            p.channel(id, pts);
        }
        p
    }
}

fn encode_state(s: State) -> String {
    format!("s={},{}", s.pts, s.qts)
}

/// Parses `s=pts,qts` / `c=id:pts` tokens into `into`.
fn parse(tokens: &str, into: &mut Positions) -> Result<(), String> {
    for token in tokens.split_whitespace() {
        let bad = || format!("bad report token {token:?}");
        if let Some(v) = token.strip_prefix("s=") {
            let (p, q) = v.split_once(',').ok_or_else(bad)?;
            let pts = p.parse().map_err(|_| bad())?;
            let qts = q.parse().map_err(|_| bad())?;
            into.state(State { pts, qts, date: 0, seq: 0 });
        } else if let Some(v) = token.strip_prefix("c=") {
            let (c, p) = v.split_once(':').ok_or_else(bad)?;
            into.channel(c.parse().map_err(|_| bad())?, p.parse().map_err(|_| bad())?);
        } else {
            return Err(bad());
        }
    }
    Ok(())
}

/// Reports every checkpoint the wrapped backend acknowledged (child side).
pub struct Acknowledging {
    inner: Arc<dyn StateStorage>,
}

impl Acknowledging {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn StateStorage>) -> Acknowledging {
        Acknowledging { inner }
    }
}

#[async_trait]
impl StateStorage for Acknowledging {
    async fn get_state(&self, user_id: i64) -> Result<Option<State>, StorageError> {
        self.inner.get_state(user_id).await
    }
    async fn set_state(&self, user_id: i64, state: State) -> Result<(), StorageError> {
        self.inner.set_state(user_id, state).await?;
        report(&format!("ack {}", encode_state(state)));
        Ok(())
    }
    async fn set_pts(&self, user_id: i64, pts: i32) -> Result<(), StorageError> {
        self.inner.set_pts(user_id, pts).await
    }
    async fn set_qts(&self, user_id: i64, qts: i32) -> Result<(), StorageError> {
        self.inner.set_qts(user_id, qts).await
    }
    async fn set_date(&self, user_id: i64, date: i32) -> Result<(), StorageError> {
        self.inner.set_date(user_id, date).await
    }
    async fn set_seq(&self, user_id: i64, seq: i32) -> Result<(), StorageError> {
        self.inner.set_seq(user_id, seq).await
    }
    async fn set_date_seq(&self, user_id: i64, date: i32, seq: i32) -> Result<(), StorageError> {
        self.inner.set_date_seq(user_id, date, seq).await
    }
    async fn get_channel_pts(&self, user_id: i64, id: i64) -> Result<Option<i32>, StorageError> {
        self.inner.get_channel_pts(user_id, id).await
    }
    async fn set_channel_pts(&self, user_id: i64, id: i64, pts: i32) -> Result<(), StorageError> {
        self.inner.set_channel_pts(user_id, id, pts).await?;
        report(&format!("ack c={id}:{pts}"));
        Ok(())
    }
    async fn delete_channel(&self, user_id: i64, id: i64) -> Result<(), StorageError> {
        self.inner.delete_channel(user_id, id).await
    }
    async fn write_checkpoint(&self, user_id: i64, write: &StateWrite) -> Result<(), StorageError> {
        self.inner.write_checkpoint(user_id, write).await?;
        let mut line = String::from("ack");
        if let Some(s) = write.state {
            line.push(' ');
            line.push_str(&encode_state(s));
        }
        for (c, p) in &write.channels {
            line.push_str(&format!(" c={c}:{p}"));
        }
        report(&line);
        Ok(())
    }
    async fn for_each_channel(
        &self,
        user_id: i64,
        f: &mut (dyn FnMut(i64, i32) + Send),
    ) -> Result<(), StorageError> {
        self.inner.for_each_channel(user_id, f).await
    }
}

/// Reports each batch once the handler finished it.
struct Reporter;

#[async_trait]
impl Handler for Reporter {
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
        match batch.checkpoint {
            Checkpoint::None => {}
            Checkpoint::Common(s) => report(&format!("done {}", encode_state(s))),
            Checkpoint::Channel { channel_id, pts } => {
                report(&format!("done c={channel_id}:{pts}"));
            }
        }
        Ok(())
    }
}

/// The child's job (call it when the process was started in the child
/// role, inside a tokio runtime): seeds an empty database from the
/// server of `seed`, reports `ready`, then streams updates through the
/// manager until it is killed (or `max_steps` containers were sent).
pub async fn child(
    storage: Arc<dyn StateStorage>,
    hasher: Arc<dyn ChannelAccessHasher>,
    seed: u64,
    max_steps: usize,
) -> Result<(), String> {
    let server = Arc::new(server(seed));
    let err = |e: StorageError| e.to_string();
    storage.set_state(USER, server.state()).await.map_err(err)?;
    for (id, pts, hash) in server.channels() {
        storage.set_channel_pts(USER, id, pts).await.map_err(err)?;
        hasher.set_channel_access_hash(USER, id, hash).await.map_err(err)?;
    }
    let config = Config::new(Arc::new(Reporter))
        .storage(Arc::new(Acknowledging::new(storage)))
        .access_hasher(hasher);
    let manager = Manager::new(config);
    let runner =
        manager.auth(server.clone(), USER, false, false).await.map_err(|e| e.to_string())?;
    let task = tokio::spawn(runner.run());
    report("ready");
    for step in 0..max_steps {
        manager.handle(server.generate()).await.map_err(|e| e.to_string())?;
        if step % 8 == 0 {
            tokio::task::yield_now().await;
        }
    }
    manager.stop();
    task.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())
}

/// What one round saw.
#[derive(Debug, Clone, Default)]
pub struct Round {
    /// Positions the handler finished.
    pub done: Positions,
    /// Positions the backend acknowledged.
    pub acked: Positions,
    /// Report lines read.
    pub lines: usize,
    /// How long after `ready` the child was killed.
    pub killed_after: Duration,
}

/// Runs `cmd` (a child in the crash role), waits for `ready`, kills it
/// with SIGKILL `kill_after` later and collects its reports.
pub fn run_round(mut cmd: Command, kill_after: Duration) -> Result<Round, String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let stderr = super::process::drain(child.stderr.take());
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let mut ready = Some(ready_tx);
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if !line.ends_with('\n') => break, // cut by the kill
                Ok(_) => {}
            }
            if let Some(at) = line.find("@@ ") {
                let report = line[at + 3..].trim_end().to_owned();
                if report == "ready"
                    && let Some(tx) = ready.take()
                {
                    let _ = tx.send(());
                }
                lines.push(report);
            }
        }
        lines
    });
    let ready = ready_rx.recv_timeout(Duration::from_secs(60));
    if ready.is_ok() {
        std::thread::sleep(kill_after);
    }
    // SIGKILL on Unix
    let _ = child.kill();
    let status = child.wait().map_err(|e| format!("wait: {e}"))?;
    let lines = reader.join().map_err(|_| "reader thread panicked")?;
    if ready.is_err() {
        let stderr = stderr.join().unwrap_or_default();
        return Err(format!("the child never got ready ({status}): {lines:?} {stderr}"));
    }
    let mut round = Round { lines: lines.len(), killed_after: kill_after, ..Round::default() };
    for line in &lines {
        if let Some(rest) = line.strip_prefix("done ") {
            parse(rest, &mut round.done)?;
        } else if let Some(rest) = line.strip_prefix("ack ") {
            parse(rest, &mut round.acked)?;
        } else if line.starts_with("error") {
            return Err(format!("the child failed: {line}"));
        }
    }
    Ok(round)
}

/// Checks a reopened database against a round: never ahead of what the
/// handler finished (seeded positions count as finished); with
/// `durable`, never behind what the backend acknowledged.
pub async fn check(
    storage: &dyn StateStorage,
    round: &Round,
    initial: &Positions,
    durable: bool,
) -> Result<(), String> {
    let mut finished = round.done.clone();
    if let (Some(p), Some(q)) = (initial.pts, initial.qts) {
        finished.state(State { pts: p, qts: q, date: 0, seq: 0 });
    }
    for (c, p) in &initial.channels {
        finished.channel(*c, *p);
    }
    let stored = storage.get_state(USER).await.map_err(|e| format!("reading the state: {e}"))?;
    let mut channels = BTreeMap::new();
    storage
        .for_each_channel(USER, &mut |c, p| {
            channels.insert(c, p);
        })
        .await
        .map_err(|e| format!("reading the channels: {e}"))?;
    if let Some(s) = stored
        && (finished.pts.is_some_and(|p| s.pts > p) || finished.qts.is_some_and(|q| s.qts > q))
    {
        return Err(format!("stored {s:?} is ahead of the handler ({finished:?}): a loss"));
    }
    for (c, p) in &channels {
        if finished.channels.get(c).is_none_or(|f| p > f) {
            return Err(format!("channel {c} stored at {p}, ahead of the handler: a loss"));
        }
    }
    if durable {
        if let (Some(a), Some(q)) = (round.acked.pts, round.acked.qts) {
            match stored {
                Some(s) if s.pts >= a && s.qts >= q => {}
                other => {
                    return Err(format!(
                        "stored {other:?} is behind the acknowledged pts {a} / qts {q}"
                    ));
                }
            }
        }
        for (c, a) in &round.acked.channels {
            if channels.get(c).is_none_or(|p| p < a) {
                return Err(format!(
                    "channel {c} stored at {:?}, behind the acknowledged {a}",
                    channels.get(c)
                ));
            }
        }
    }
    Ok(())
}

/// How many rounds, from what seed, killed how long after `ready`.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Rounds to run.
    pub rounds: usize,
    /// Seeds the kill moments and each round's stream (`seed + round`).
    pub seed: u64,
    /// Kill moments after `ready`, drawn uniformly.
    pub kill_after: Range<Duration>,
}

impl Plan {
    /// `rounds` rounds, or `UPDATES_CRASH_ROUNDS` when set; seed from
    /// `UPDATES_CRASH_SEED` when set.
    pub fn from_env(rounds: usize, seed: u64) -> Plan {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        Plan {
            rounds: var("UPDATES_CRASH_ROUNDS").map_or(rounds, |n| n as usize),
            seed: var("UPDATES_CRASH_SEED").unwrap_or(seed),
            kill_after: Duration::from_millis(1)..Duration::from_millis(120),
        }
    }
}

/// What a plan exercised.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Rounds run.
    pub rounds: usize,
    /// Handler reports over all rounds.
    pub done: usize,
    /// Rounds in which at least one checkpoint was acknowledged.
    pub acked_rounds: usize,
}

/// Runs every round of `plan`: `command(round, seed)` starts a child on a
/// fresh database for that round, `reopen(round)` opens it after the
/// kill. The first failure is returned with its round and seed.
pub async fn run<C, O>(
    plan: &Plan,
    durable: bool,
    mut command: C,
    mut reopen: O,
) -> Result<Summary, String>
where
    C: FnMut(usize, u64) -> Result<Command, String>,
    O: FnMut(usize) -> Result<Arc<dyn StateStorage>, String>,
{
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    let mut summary = Summary::default();
    for round in 0..plan.rounds {
        let seed = plan.seed.wrapping_add(round as u64);
        let kill_after = rng.random_range(plan.kill_after.clone());
        let fail =
            |e: String| format!("round {round} (seed {seed}, kill after {kill_after:?}): {e}");
        let result = run_round(command(round, seed).map_err(fail)?, kill_after).map_err(fail)?;
        let storage = reopen(round).map_err(|e| fail(format!("the database did not open: {e}")))?;
        let initial = Positions::initial(&server(seed));
        check(storage.as_ref(), &result, &initial, durable).await.map_err(fail)?;
        summary.rounds += 1;
        summary.done += result.done.channels.len() + usize::from(result.done.pts.is_some());
        summary.acked_rounds +=
            usize::from(result.acked.pts.is_some() || !result.acked.channels.is_empty());
    }
    Ok(summary)
}

/// One durability mode of a backend under test: its name (passed to the
/// backend's opener), whether it promises never to fall behind an
/// acknowledged checkpoint, and its plan.
#[derive(Debug, Clone)]
pub struct Mode {
    /// The mode's name, handed to the opener in both processes.
    pub name: &'static str,
    /// Held to "never behind the last acknowledged checkpoint" too.
    pub durable: bool,
    /// Rounds, seed and kill moments.
    pub plan: Plan,
}

/// The child side of [`backend_test`]: when this process was started in
/// the child role, opens the store with `open(mode, path)` from the role,
/// runs [`child`] until killed, and returns `true`; otherwise `false`. Call
/// it first in the backend's test, before creating anything to clean up.
pub fn child_role<S, F>(open: F) -> bool
where
    S: StateStorage + ChannelAccessHasher + 'static,
    F: Fn(&str, &Path) -> Result<Arc<S>, String>,
{
    let Some(role) = super::process::role() else { return false };
    let mut parts = role.splitn(4, ':');
    let (Some("crash"), Some(mode), Some(seed), Some(path)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        report(&format!("error: bad role {role}"));
        return true;
    };
    let seed: u64 = seed.parse().unwrap_or_default();
    let storage = match open(mode, Path::new(path)) {
        Ok(storage) => storage,
        Err(e) => {
            report(&format!("error: open: {e}"));
            return true;
        }
    };
    let run = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(child(storage.clone(), storage, seed, 10_000_000)));
    if let Err(e) = run {
        report(&format!("error: {e}"));
    }
    true
}

/// A backend's kill -9 test (the parent side; see [`child_role`] for the
/// child's), for its `#[test]` function named `test`: runs every mode's
/// plan on fresh databases under `dir` (`<mode>-<round><suffix>`), each
/// child started in the child role and each database reopened with
/// `open(mode, path)`, and checks that every round ran and at least half
/// acknowledged a checkpoint before the kill.
///
/// # Panics
/// On the first failed round, naming the mode, round and seed.
pub fn backend_test<S, F>(test: &str, dir: &Path, suffix: &str, modes: &[Mode], open: F)
where
    S: StateStorage + ChannelAccessHasher + 'static,
    F: Fn(&str, &Path) -> Result<Arc<S>, String>,
{
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        panic!("no tokio runtime");
    };
    for mode in modes {
        let name = mode.name;
        let path = |round: usize| dir.join(format!("{name}-{round}{suffix}"));
        let summary = rt
            .block_on(run(
                &mode.plan,
                mode.durable,
                |round, seed| {
                    let role = format!("crash:{name}:{seed}:{}", path(round).display());
                    super::process::self_command(test, &role).map_err(|e| e.to_string())
                },
                |round| open(name, &path(round)).map(|s| s as Arc<dyn StateStorage>),
            ))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(summary.rounds, mode.plan.rounds, "{name}");
        assert!(
            summary.acked_rounds * 2 >= mode.plan.rounds,
            "{name}: only {} of {} rounds acknowledged a checkpoint before the kill",
            summary.acked_rounds,
            mode.plan.rounds
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStorage;

    #[test]
    fn reports_parse_into_the_highest_position_per_box() {
        let mut p = Positions::default();
        parse("s=10,3 c=7:70 c=-2:5", &mut p).expect("parse");
        parse("s=9,4 c=7:60", &mut p).expect("parse");
        assert_eq!(p.pts, Some(10));
        assert_eq!(p.qts, Some(4));
        assert_eq!(p.channels.get(&7), Some(&70));
        assert_eq!(p.channels.get(&-2), Some(&5));
        assert!(parse("x=1", &mut p).is_err());
        assert!(parse("c=1", &mut p).is_err());
    }

    #[tokio::test]
    async fn check_flags_a_store_ahead_of_the_handler_and_one_behind_an_ack() {
        let storage = MemoryStorage::new();
        let initial = Positions::initial(&server(1));
        let base = initial.pts.unwrap_or(0);
        let mut round = Round::default();
        parse(&format!("s={},100", base + 5), &mut round.done).expect("parse");
        parse(&format!("s={},100", base + 4), &mut round.acked).expect("parse");
        let st = |pts| State { pts, qts: 100, date: 1, seq: 0 };
        storage.set_state(USER, st(base + 4)).await.expect("set");
        check(&storage, &round, &initial, true).await.expect("between ack and done");
        storage.set_state(USER, st(base + 6)).await.expect("set");
        let e = check(&storage, &round, &initial, true).await.expect_err("ahead");
        assert!(e.contains("a loss"), "{e}");
        storage.set_state(USER, st(base + 3)).await.expect("set");
        let e = check(&storage, &round, &initial, true).await.expect_err("behind");
        assert!(e.contains("behind"), "{e}");
        check(&storage, &round, &initial, false).await.expect("behind is fine when not durable");
        storage.set_channel_pts(USER, 1, 10_000).await.expect("set");
        let e = check(&storage, &round, &initial, false).await.expect_err("channel ahead");
        assert!(e.contains("channel 1"), "{e}");
    }
}

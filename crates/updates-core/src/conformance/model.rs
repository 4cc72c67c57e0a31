//! Model-based check: applies operation sequences to a store and to a
//! `BTreeMap` model and compares every answer.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ports::{StateStorage, StateWrite};
use crate::tl::State;

/// One storage operation on the account under test.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "each variant is the StateStorage method of the same name")]
pub enum Op {
    GetState,
    SetState(State),
    SetPts(i32),
    SetQts(i32),
    SetDate(i32),
    SetSeq(i32),
    SetDateSeq(i32, i32),
    GetChannelPts(i64),
    SetChannelPts(i64, i32),
    DeleteChannel(i64),
    WriteCheckpoint(StateWrite),
    ForEachChannel,
}

#[derive(Debug, Default)]
struct Model {
    state: Option<State>,
    channels: BTreeMap<i64, i32>,
}

impl Model {
    fn partial(&mut self, f: impl FnOnce(&mut State)) -> bool {
        match &mut self.state {
            Some(s) => {
                f(s);
                true
            }
            None => false,
        }
    }
}

/// Applies `ops` to `storage` (account `user`, which must start empty) and
/// to the model; the first disagreement is returned as an error.
pub async fn check_ops(storage: &dyn StateStorage, user: i64, ops: &[Op]) -> Result<(), String> {
    let mut m = Model::default();
    for (i, op) in ops.iter().enumerate() {
        let fail = |what: String| Err(format!("op {i} {op:?}: {what}"));
        let partial = match op.clone() {
            Op::GetState => {
                let got = storage.get_state(user).await.map_err(|e| e.to_string())?;
                if got != m.state {
                    return fail(format!("got {got:?}, model {:?}", m.state));
                }
                continue;
            }
            Op::SetState(s) => {
                storage.set_state(user, s).await.map_err(|e| e.to_string())?;
                m.state = Some(s);
                continue;
            }
            Op::GetChannelPts(c) => {
                let got = storage.get_channel_pts(user, c).await.map_err(|e| e.to_string())?;
                if got != m.channels.get(&c).copied() {
                    return fail(format!("got {got:?}"));
                }
                continue;
            }
            Op::SetChannelPts(c, p) => {
                storage.set_channel_pts(user, c, p).await.map_err(|e| e.to_string())?;
                m.channels.insert(c, p);
                continue;
            }
            Op::DeleteChannel(c) => {
                storage.delete_channel(user, c).await.map_err(|e| e.to_string())?;
                m.channels.remove(&c);
                continue;
            }
            Op::WriteCheckpoint(w) => {
                storage.write_checkpoint(user, &w).await.map_err(|e| e.to_string())?;
                if let Some(s) = w.state {
                    m.state = Some(s);
                }
                m.channels.extend(w.channels.iter().copied());
                continue;
            }
            Op::ForEachChannel => {
                let mut got = Vec::new();
                storage
                    .for_each_channel(user, &mut |c, p| got.push((c, p)))
                    .await
                    .map_err(|e| e.to_string())?;
                got.sort_unstable();
                let want: Vec<(i64, i32)> = m.channels.iter().map(|(c, p)| (*c, *p)).collect();
                if got != want {
                    return fail(format!("got {got:?}, model {want:?}"));
                }
                continue;
            }
            Op::SetPts(v) => (storage.set_pts(user, v).await, m.partial(|s| s.pts = v)),
            Op::SetQts(v) => (storage.set_qts(user, v).await, m.partial(|s| s.qts = v)),
            Op::SetDate(v) => (storage.set_date(user, v).await, m.partial(|s| s.date = v)),
            Op::SetSeq(v) => (storage.set_seq(user, v).await, m.partial(|s| s.seq = v)),
            Op::SetDateSeq(d, q) => (
                storage.set_date_seq(user, d, q).await,
                m.partial(|s| {
                    s.date = d;
                    s.seq = q;
                }),
            ),
        };
        match partial {
            (Ok(()), true) => {}
            (Err(crate::StorageError::StateNotFound { .. }), false) => {}
            (got, exists) => return fail(format!("got {got:?} with state present = {exists}")),
        }
    }
    Ok(())
}

/// Generates `n` random operations from `seed` and checks them on account
/// `user` (which must start empty); panics on the first disagreement.
pub async fn random_ops(storage: &dyn StateStorage, user: i64, seed: u64, n: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ops = Vec::with_capacity(n);
    for _ in 0..n {
        let v = rng.random_range(-5..1000);
        let c = rng.random_range(-3..12i64);
        ops.push(match rng.random_range(0..12) {
            0 => Op::GetState,
            1 => Op::SetState(State { pts: v, qts: v / 2, date: v * 3, seq: v % 7 }),
            2 => Op::SetPts(v),
            3 => Op::SetQts(v),
            4 => Op::SetDate(v),
            5 => Op::SetSeq(v),
            6 => Op::SetDateSeq(v, v + 1),
            7 => Op::GetChannelPts(c),
            8 => Op::SetChannelPts(c, v),
            9 => Op::DeleteChannel(c),
            10 => Op::WriteCheckpoint(StateWrite {
                state: rng.random_bool(0.5).then_some(State { pts: v, qts: v, date: v, seq: v }),
                channels: (0..rng.random_range(0..4)).map(|k| (c + k, v + 1)).collect(),
            }),
            _ => Op::ForEachChannel,
        });
    }
    if let Err(e) = check_ops(storage, user, &ops).await {
        panic!("state storage disagrees with the model (seed {seed}): {e}");
    }
}

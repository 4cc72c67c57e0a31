//! A deterministic driver for engine tests: a mock clock, a log of every
//! RPC the engine asked for, every delivery and every checkpoint.

use std::time::{Duration, Instant};

use crate::engine::{Action, Engine, EngineConfig};
use crate::error::ClientError;
use crate::ports::Checkpoint;
use crate::tl::*;

/// An RPC the engine asked for.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Rpc {
    Gd { pts: i32, qts: i32, date: i32 },
    Peek { channel: i64, pts: i32, qts: i32, date: i32 },
    Gcd { channel: i64, pts: i32, limit: i32, hash: i64 },
}

pub(super) struct Sim {
    pub(super) engine: Engine,
    pub(super) t0: Instant,
    pub(super) now: Instant,
    pub(super) delivered: Vec<String>,
    pub(super) batches: Vec<crate::ports::Batch>,
    pub(super) rpcs: Vec<(u64, Rpc)>,
    pub(super) checkpoints: Vec<Checkpoint>,
    pub(super) events: Vec<String>,
    pub(super) saved_hashes: Vec<(i64, i64)>,
    /// Answers for ResolveChannel: (stored pts, hash) per channel.
    pub(super) storage: std::collections::HashMap<i64, (Option<i32>, Option<i64>)>,
}

pub(super) fn state(pts: i32, qts: i32, date: i32, seq: i32) -> State {
    State { pts, qts, date, seq }
}

pub(super) fn nm(p: i32) -> Update {
    Update::new_message(p, 555, p)
}

pub(super) fn ed(p: i32, id: i32) -> Update {
    Update::EditMessage {
        message: Message { id, peer_id: Some(Peer::User(555)), ..Message::default() },
        pts: p,
        pts_count: 1,
    }
}

pub(super) fn cnm(c: i64, p: i32) -> Update {
    Update::new_channel_message(c, p, p)
}

pub(super) fn enc(q: i32) -> Update {
    Update::Qts { kind: QtsKind::NewEncryptedMessage, qts: q, payload: serde_json::json!(q) }
}

pub(super) fn sh(u: Update) -> Updates {
    Updates::short(u, 0)
}

pub(super) fn msg(id: i32) -> Message {
    Message { id, peer_id: Some(Peer::User(555)), ..Message::default() }
}

pub(super) fn cmsg(c: i64, id: i32) -> Message {
    Message { id, peer_id: Some(Peer::Channel(c)), ..Message::default() }
}

pub(super) fn diff(new: Vec<Message>, other: Vec<Update>, s: State) -> Difference {
    Difference::Difference(DifferenceBody {
        new_messages: new,
        other_updates: other,
        state: s,
        ..DifferenceBody::default()
    })
}

pub(super) fn status() -> Update {
    Update::Other { payload: serde_json::json!("status") }
}

/// A short label per delivered update.
pub(super) fn label(u: &Update) -> String {
    match u {
        Update::NewMessage { message, .. } => format!("m{}", message.id),
        Update::EditMessage { pts, .. } => format!("ed{pts}"),
        Update::DeleteMessages { pts, .. } => format!("dm{pts}"),
        Update::NewChannelMessage { message, .. } => {
            format!("c{}:{}", message.channel_id().unwrap_or(0), message.id)
        }
        Update::ReadChannelInbox { channel_id, pts, .. } => format!("rci{channel_id}:{pts}"),
        Update::Qts { qts: 0, payload, .. } => format!("e{payload}"),
        Update::Qts { qts, .. } => format!("q{qts}"),
        Update::Other { payload } => format!("other:{}", payload.as_str().unwrap_or("?")),
        other => format!("{other:?}"),
    }
}

impl Sim {
    /// Engine at `s` (user account) after a startup differenceEmpty.
    pub(super) fn new(s: State) -> Sim {
        Sim::with(EngineConfig::new(false), s, |_| {})
    }

    /// Engine with `cfg`; `setup` runs before the startup difference is
    /// answered (e.g. to load channels).
    pub(super) fn with(cfg: EngineConfig, s: State, setup: impl FnOnce(&mut Sim)) -> Sim {
        let t0 = Instant::now();
        let engine = Engine::new(cfg, 1, s, t0);
        let mut sim = Sim {
            engine,
            t0,
            now: t0,
            delivered: Vec::new(),
            batches: Vec::new(),
            rpcs: Vec::new(),
            checkpoints: Vec::new(),
            events: Vec::new(),
            saved_hashes: Vec::new(),
            storage: std::collections::HashMap::new(),
        };
        setup(&mut sim);
        sim.run();
        sim.answer_diff(Ok(Difference::Empty { date: s.date, seq: s.seq }));
        sim.rpcs.clear();
        sim.checkpoints.clear();
        sim.events.clear();
        sim
    }

    pub(super) fn ms(&self) -> u64 {
        u64::try_from((self.now - self.t0).as_millis()).unwrap_or(u64::MAX)
    }

    /// Processes every action available now.
    pub(super) fn run(&mut self) {
        while let Some(action) = self.engine.poll(self.now) {
            let at = self.ms();
            match action {
                Action::Deliver(batch) => {
                    for u in &batch.updates {
                        self.delivered.push(label(u));
                    }
                    self.checkpoints.push(batch.checkpoint);
                    if !batch.updates.is_empty() {
                        self.batches.push(batch);
                    }
                }
                Action::GetDifference(r) => {
                    self.rpcs.push((at, Rpc::Gd { pts: r.pts, qts: r.qts, date: r.date }))
                }
                Action::PeekDifference { channel_id, request: r } => self.rpcs.push((
                    at,
                    Rpc::Peek { channel: channel_id, pts: r.pts, qts: r.qts, date: r.date },
                )),
                Action::GetChannelDifference(r) => self.rpcs.push((
                    at,
                    Rpc::Gcd {
                        channel: r.channel.channel_id,
                        pts: r.pts,
                        limit: r.limit,
                        hash: r.channel.access_hash,
                    },
                )),
                Action::ResolveChannel { channel_id } => {
                    let (pts, hash) = self.storage.get(&channel_id).copied().unwrap_or_default();
                    self.engine.channel_resolved(channel_id, pts, hash, self.now);
                }
                Action::SaveChannelHash { channel_id, access_hash } => {
                    self.saved_hashes.push((channel_id, access_hash));
                    self.storage.entry(channel_id).or_default().1 = Some(access_hash);
                }
                Action::TooLong => self.events.push("too_long".into()),
                Action::ChannelTooLong(id) => self.events.push(format!("channel_too_long:{id}")),
                Action::ChannelInaccessible(id) => self.events.push(format!("inaccessible:{id}")),
                Action::Report(e) => self.events.push(format!("report:{e}")),
            }
        }
    }

    pub(super) fn push(&mut self, u: Updates) {
        self.engine.handle_updates(u, self.now);
        self.run();
    }

    /// Moves the clock by `ms` milliseconds, one millisecond at a time (so
    /// every deadline fires at its exact millisecond).
    pub(super) fn advance(&mut self, ms: u64) {
        for _ in 0..ms {
            self.now += Duration::from_millis(1);
            if self.engine.next_deadline() <= self.now {
                self.run();
            }
        }
    }

    /// Jumps the clock to the next deadline (for long idle waits).
    pub(super) fn jump(&mut self) {
        self.now = self.engine.next_deadline().max(self.now);
        self.run();
    }

    pub(super) fn answer_diff(&mut self, r: Result<Difference, ClientError>) {
        self.engine.apply_difference(r, self.now);
        self.run();
    }

    pub(super) fn answer_peek(&mut self, channel: i64, r: Result<Difference, ClientError>) {
        self.engine.apply_peek(channel, r, self.now);
        self.run();
    }

    pub(super) fn answer_channel(&mut self, c: i64, r: Result<ChannelDifference, ClientError>) {
        self.engine.apply_channel_difference(c, r, self.now);
        self.run();
    }

    pub(super) fn rpc_list(&self) -> Vec<Rpc> {
        self.rpcs.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(super) fn last_common(&self) -> Option<State> {
        self.checkpoints.iter().rev().find_map(|c| match c {
            Checkpoint::Common(s) => Some(*s),
            _ => None,
        })
    }

    pub(super) fn last_channel(&self, id: i64) -> Option<i32> {
        self.checkpoints.iter().rev().find_map(|c| match c {
            Checkpoint::Channel { channel_id, pts } if *channel_id == id => Some(*pts),
            _ => None,
        })
    }
}

//! The run loop: one task owns the engine; RPCs run as spawned tasks
//! (so live updates keep flowing and channel differences overlap up to
//! the cap); handler calls and storage writes happen in order, inline.

use std::collections::HashMap;
use std::time::Instant;

use tokio::task::{Id, JoinSet};
use tracing::Instrument;

use super::{Input, Runner};
use crate::engine::Action;
use crate::error::{ClientError, Error};
use crate::tl::{ChannelDifference, Difference};

/// Inputs drained per wake-up before actions are processed (batches of a
/// busy stream merge; the handler sees fewer, larger batches).
const DRAIN: usize = 256;

/// Which RPC a spawned task answers.
#[derive(Debug, Clone, Copy)]
enum Tag {
    Difference,
    Peek(i64),
    Channel(i64),
}

/// A finished RPC.
#[derive(Debug)]
enum Done {
    Difference(Result<Difference, ClientError>),
    Peek(i64, Result<Difference, ClientError>),
    Channel(i64, Result<ChannelDifference, ClientError>),
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// RPCs in flight.
#[derive(Default)]
struct Rpcs {
    set: JoinSet<Done>,
    tags: HashMap<Id, Tag>,
}

impl Rpcs {
    fn spawn<F>(&mut self, tag: Tag, fut: F)
    where
        F: std::future::Future<Output = Done> + Send + 'static,
    {
        let handle = self.set.spawn(fut);
        self.tags.insert(handle.id(), tag);
    }

    /// The next finished RPC; a panicked client task becomes a transport
    /// error for its RPC.
    async fn next(&mut self) -> Option<Done> {
        let joined = self.set.join_next_with_id().await?;
        let (id, done) = match joined {
            Ok((id, done)) => (id, Some(done)),
            Err(e) => (e.id(), None),
        };
        let tag = self.tags.remove(&id);
        if let Some(done) = done {
            return Some(done);
        }
        let err = ClientError::Transport("client task panicked or was cancelled".into());
        Some(match tag {
            Some(Tag::Peek(c)) => Done::Peek(c, Err(err)),
            Some(Tag::Channel(c)) => Done::Channel(c, Err(err)),
            Some(Tag::Difference) | None => Done::Difference(Err(err)),
        })
    }
}

impl Runner {
    /// Runs until [`Manager::stop`](super::Manager::stop) (returns
    /// `Ok(())`) or a fatal error such as `AUTH_KEY_UNREGISTERED`
    /// (returns it). Dropping the future stops the run too; in every case
    /// later `handle` calls return [`Error::NotRunning`].
    pub async fn run(mut self) -> Result<(), Error> {
        let span = tracing::info_span!("updates", user_id = self.user_id);
        let result = self.run_loop().instrument(span).await;
        self.rx.close();
        let mut live = self.shared.lock();
        if live.as_ref().is_some_and(|l| l.tx.is_closed()) {
            *live = None;
        }
        drop(live);
        if let Err(e) = &result {
            tracing::error!(error = %e, "updates manager stopped");
        }
        result
    }

    async fn run_loop(&mut self) -> Result<(), Error> {
        let mut rpcs = Rpcs::default();
        let mut inputs = Vec::with_capacity(DRAIN);
        loop {
            while let Some(action) = self.engine.poll(now()) {
                self.perform(action, &mut rpcs).await?;
            }
            if *self.stop.borrow() {
                return self.drain().await;
            }
            let deadline = tokio::time::Instant::from_std(self.engine.next_deadline());
            tokio::select! {
                biased;
                _ = self.stop.changed() => return self.drain().await,
                Some(done) = rpcs.next(), if !rpcs.set.is_empty() => self.complete(done)?,
                n = self.rx.recv_many(&mut inputs, DRAIN) => {
                    if n == 0 {
                        return Ok(());
                    }
                    let now = now();
                    for input in inputs.drain(..) {
                        self.feed(input, now);
                    }
                }
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    fn feed(&mut self, input: Input, now: Instant) {
        match input {
            Input::Updates(u) => self.engine.handle_updates(u, now),
            Input::Affected { channel_id, pts, pts_count } => {
                self.engine.handle_affected(channel_id, pts, pts_count, now)
            }
        }
    }

    /// Graceful stop: no new input is accepted; what is already queued is
    /// fed to the engine and its deliveries, checkpoints and storage work
    /// are done (so, e.g., a channel first seen in the queue has its start
    /// persisted). RPCs are not started any more.
    async fn drain(&mut self) -> Result<(), Error> {
        self.rx.close();
        let now = now();
        while let Ok(input) = self.rx.try_recv() {
            self.feed(input, now);
        }
        let mut idle = Rpcs::default();
        while let Some(action) = self.engine.poll(now) {
            match action {
                Action::GetDifference(_)
                | Action::GetChannelDifference(_)
                | Action::PeekDifference { .. } => {}
                other => self.perform(other, &mut idle).await?,
            }
        }
        Ok(())
    }

    fn complete(&mut self, done: Done) -> Result<(), Error> {
        let now = now();
        match done {
            Done::Difference(r) => {
                fatal("updates.getDifference", &r)?;
                self.engine.apply_difference(r, now);
            }
            Done::Peek(c, r) => {
                fatal("updates.getDifference", &r)?;
                self.engine.apply_peek(c, r, now);
            }
            Done::Channel(c, r) => {
                fatal("updates.getChannelDifference", &r)?;
                self.engine.apply_channel_difference(c, r, now);
            }
        }
        Ok(())
    }

    async fn perform(&mut self, action: Action, rpcs: &mut Rpcs) -> Result<(), Error> {
        let user = self.user_id;
        match action {
            Action::Deliver(batch) => {
                let checkpoint = batch.checkpoint;
                if !batch.updates.is_empty() {
                    let span =
                        tracing::debug_span!("deliver", n = batch.updates.len(), ?checkpoint);
                    let result = self.config.handler.handle(batch).instrument(span).await;
                    if let Err(e) = result {
                        self.report(Error::Handler(e));
                    }
                }
                self.persist(checkpoint).await;
            }
            Action::GetDifference(request) => {
                let client = self.client.clone();
                let span = tracing::debug_span!(
                    "rpc",
                    method = "updates.getDifference",
                    pts = request.pts,
                    qts = request.qts
                );
                rpcs.spawn(
                    Tag::Difference,
                    async move { Done::Difference(client.get_difference(request).await) }
                        .instrument(span),
                );
            }
            Action::PeekDifference { channel_id, request } => {
                let client = self.client.clone();
                let span = tracing::debug_span!(
                    "rpc",
                    method = "updates.getDifference",
                    peek = channel_id
                );
                rpcs.spawn(
                    Tag::Peek(channel_id),
                    async move { Done::Peek(channel_id, client.get_difference(request).await) }
                        .instrument(span),
                );
            }
            Action::GetChannelDifference(request) => {
                let client = self.client.clone();
                let id = request.channel.channel_id;
                let span = tracing::debug_span!(
                    "rpc",
                    method = "updates.getChannelDifference",
                    channel_id = id,
                    pts = request.pts
                );
                rpcs.spawn(
                    Tag::Channel(id),
                    async move { Done::Channel(id, client.get_channel_difference(request).await) }
                        .instrument(span),
                );
            }
            Action::ResolveChannel { channel_id } => {
                let pts = match self.config.storage.get_channel_pts(user, channel_id).await {
                    Ok(p) => p,
                    Err(source) => {
                        self.report(Error::Storage { during: "reading a channel's pts", source });
                        None
                    }
                };
                let hash = match self.config.hasher.get_channel_access_hash(user, channel_id).await
                {
                    Ok(h) => h,
                    Err(source) => {
                        self.report(Error::Storage { during: "reading an access hash", source });
                        None
                    }
                };
                self.engine.channel_resolved(channel_id, pts, hash, now());
            }
            Action::SaveChannelHash { channel_id, access_hash } => {
                if let Err(source) =
                    self.config.hasher.set_channel_access_hash(user, channel_id, access_hash).await
                {
                    self.report(Error::Storage { during: "saving an access hash", source });
                }
            }
            Action::TooLong => (self.config.on_too_long)(),
            Action::ChannelTooLong(id) => (self.config.on_channel_too_long)(id),
            Action::ChannelInaccessible(id) => {
                self.forget_channel(id).await;
                (self.config.on_channel_inaccessible)(id);
            }
            Action::Report(e) => self.report(e),
        }
        Ok(())
    }
}

fn fatal<T>(method: &'static str, r: &Result<T, ClientError>) -> Result<(), Error> {
    match r {
        Err(e) if e.is_fatal() => Err(Error::Client { method, source: e.clone() }),
        _ => Ok(()),
    }
}

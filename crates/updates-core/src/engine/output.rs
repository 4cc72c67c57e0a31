//! What the engine asks its driver to do ([`Action`]), and the output
//! queue that merges consecutive deliveries of one box into one batch.

use std::collections::VecDeque;
use std::sync::Arc;

use super::gapbox::Entities;
use crate::error::Error;
use crate::ports::{Batch, Checkpoint};
use crate::tl::{GetChannelDifference, GetDifference, Update};

/// One step for the driver, in the order the engine produced them.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "actions are moved once from the queue to the driver; boxing would cost an allocation per batch"
)]
pub enum Action {
    /// Call the handler with the batch, then persist its checkpoint. A
    /// batch without updates only persists.
    Deliver(Batch),
    /// Call `updates.getDifference`; feed the answer to
    /// [`Engine::apply_difference`](super::Engine::apply_difference).
    GetDifference(GetDifference),
    /// Call `updates.getChannelDifference`; feed the answer to
    /// [`Engine::apply_channel_difference`](super::Engine::apply_channel_difference).
    GetChannelDifference(GetChannelDifference),
    /// Call `updates.getDifference` only to find a channel's access hash;
    /// feed the answer to [`Engine::apply_peek`](super::Engine::apply_peek).
    PeekDifference {
        /// The channel whose hash is missing.
        channel_id: i64,
        /// The request.
        request: GetDifference,
    },
    /// Look up the channel's stored pts and access hash; answer with
    /// [`Engine::channel_resolved`](super::Engine::channel_resolved).
    ResolveChannel {
        /// The channel.
        channel_id: i64,
    },
    /// Store a full channel access hash.
    SaveChannelHash {
        /// The channel.
        channel_id: i64,
        /// Its full hash.
        access_hash: i64,
    },
    /// `updates.differenceTooLong` was received; the common box was reset.
    TooLong,
    /// A channel's box was reset by `channelDifferenceTooLong`.
    ChannelTooLong(i64),
    /// A channel became inaccessible and was dropped.
    ChannelInaccessible(i64),
    /// A non-fatal problem to report.
    Report(Error),
}

/// Which box a batch belongs to, derived from its checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoxKey {
    None,
    Common,
    Channel(i64),
}

impl BoxKey {
    fn of(c: &Checkpoint) -> BoxKey {
        match c {
            Checkpoint::None => BoxKey::None,
            Checkpoint::Common(_) => BoxKey::Common,
            Checkpoint::Channel { channel_id, .. } => BoxKey::Channel(*channel_id),
        }
    }
}

/// The action queue.
#[derive(Debug, Default)]
pub(crate) struct Out {
    actions: VecDeque<Action>,
    /// Entities most recently merged into the last batch.
    last_entities: Option<Arc<Entities>>,
}

impl Out {
    pub(crate) fn push(&mut self, action: Action) {
        self.actions.push_back(action);
    }

    pub(crate) fn pop(&mut self) -> Option<Action> {
        let a = self.actions.pop_front();
        if self.actions.is_empty() {
            self.last_entities = None;
        }
        a
    }

    pub(crate) fn len(&self) -> usize {
        self.actions.len()
    }

    /// Appends `update` (if any) to the open batch of the same box, or
    /// opens a new one; `checkpoint` replaces the batch's checkpoint unless
    /// it is `None`.
    pub(crate) fn deliver(
        &mut self,
        update: Option<Update>,
        entities: Option<&Arc<Entities>>,
        checkpoint: Checkpoint,
    ) {
        let key = BoxKey::of(&checkpoint);
        let mergeable = match self.actions.back() {
            Some(Action::Deliver(b)) => {
                let open = BoxKey::of(&b.checkpoint);
                open == key || open == BoxKey::None || key == BoxKey::None
            }
            _ => false,
        };
        if !mergeable {
            self.last_entities = None;
            self.actions.push_back(Action::Deliver(Batch {
                updates: Vec::new(),
                users: Vec::new(),
                chats: Vec::new(),
                checkpoint: Checkpoint::None,
            }));
        }
        let Some(Action::Deliver(batch)) = self.actions.back_mut() else {
            return;
        };
        if key != BoxKey::None {
            batch.checkpoint = checkpoint;
        }
        if let Some(u) = update {
            batch.updates.push(u);
        }
        if let Some(e) = entities {
            let seen = self.last_entities.as_ref().is_some_and(|l| Arc::ptr_eq(l, e));
            if !seen {
                for u in &e.users {
                    if !batch.users.iter().any(|x| x.id == u.id) {
                        batch.users.push(u.clone());
                    }
                }
                for c in &e.chats {
                    if !batch.chats.iter().any(|x| x.id() == c.id()) {
                        batch.chats.push(c.clone());
                    }
                }
                self.last_entities = Some(Arc::clone(e));
            }
        }
    }
}

//! Short containers (`updateShortMessage`, `updateShortChatMessage`):
//! converted to `updateNewMessage` when every user they reference is
//! known, otherwise replaced by a getDifference that brings the users.

use std::time::Instant;

use super::Engine;
use super::common::Common;
use crate::tl::{Message, MessageKind, Peer, ShortChatMessage, ShortMessage, Update};

/// The sequencing fields shared by the short message containers.
#[derive(Debug, Clone, Copy)]
struct Short {
    out: bool,
    id: i32,
    pts: i32,
    pts_count: i32,
    date: i32,
}

impl Engine {
    fn user_known(&self, peer: Option<Peer>) -> bool {
        match peer {
            Some(Peer::User(id)) => self.known_users.contains(&id),
            _ => true,
        }
    }

    /// A short message whose peers are unknown cannot be delivered usefully
    /// (no entities): fetch the difference, which carries them, instead.
    fn short_unknown(&mut self, pts: i32, count: i32, now: Instant) {
        if pts != 0 && pts - count < self.state.pts {
            return;
        }
        tracing::debug!(pts, "short message references an unknown user: fetching difference");
        self.want_difference(now);
    }

    pub(super) fn short_message(&mut self, m: ShortMessage, now: Instant) {
        let from = if m.out { self.self_id } else { m.user_id };
        let short =
            Short { out: m.out, id: m.id, pts: m.pts, pts_count: m.pts_count, date: m.date };
        let peers = (m.user_id, m.fwd_from, m.via_bot_id);
        self.short(short, Peer::User(m.user_id), from, peers, m.payload, now);
    }

    pub(super) fn short_chat_message(&mut self, m: ShortChatMessage, now: Instant) {
        let short =
            Short { out: m.out, id: m.id, pts: m.pts, pts_count: m.pts_count, date: m.date };
        let peers = (m.from_id, m.fwd_from, m.via_bot_id);
        self.short(short, Peer::Chat(m.chat_id), m.from_id, peers, m.payload, now);
    }

    /// Applies a short message as `updateNewMessage` if every user it
    /// references (`peers`: counterpart or sender, forward source, via
    /// bot) is known.
    fn short(
        &mut self,
        m: Short,
        peer: Peer,
        from: i64,
        peers: (i64, Option<Peer>, Option<i64>),
        payload: serde_json::Value,
        now: Instant,
    ) {
        let (user, fwd_from, via_bot) = peers;
        let known = self.known_users.contains(&user)
            && self.user_known(fwd_from)
            && via_bot.is_none_or(|b| self.known_users.contains(&b));
        if !known {
            return self.short_unknown(m.pts, m.pts_count, now);
        }
        let message = Message {
            kind: MessageKind::Regular,
            id: m.id,
            peer_id: Some(peer),
            from_id: Some(Peer::User(from)),
            date: m.date,
            out: m.out,
            payload,
        };
        let update = Update::NewMessage { message, pts: m.pts, pts_count: m.pts_count };
        self.push_common(Common::Pts, m.pts, m.pts_count, Some(update), None, now);
        if self.bump_date(m.date) {
            self.persist_common();
        }
    }
}

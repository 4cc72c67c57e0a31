//! Event generation: each call creates one to three new events (private
//! messages, edits, deletions, secret-chat messages, channel messages),
//! appends them to the server log and returns the container Telegram would
//! push for them.

use rand::Rng;
use serde_json::json;

use super::{BoxId, FakeServer, Inner, Logged, PEER_USER};
use crate::tl::{Message, Peer, QtsKind, ShortMessage, Update, Updates};

impl Inner {
    fn eid(&mut self, b: BoxId) -> i64 {
        let eid = self.next_eid;
        self.next_eid += 1;
        self.all.push((b, eid));
        eid
    }

    fn message(&mut self, b: BoxId, peer: Peer, eid: i64, edit: bool) -> Message {
        let ids = self.message_ids.entry(b).or_default();
        let id = match (edit, ids.len()) {
            (true, n) if n > 0 => {
                let k = self.rng.random_range(0..n);
                ids[k]
            }
            _ => {
                let id = i32::try_from(ids.len()).unwrap_or(i32::MAX) + 1;
                ids.push(id);
                id
            }
        };
        Message {
            id,
            peer_id: Some(peer),
            date: self.date,
            payload: json!({ "eid": eid }),
            ..Message::default()
        }
    }

    /// One new event; returns its update.
    fn event(&mut self) -> Update {
        self.date += 1;
        let roll: f64 = self.rng.random();
        if roll < 0.35 {
            let eid = self.eid(BoxId::Common);
            let kind: f64 = self.rng.random();
            let (update, count) = if kind < 0.7 {
                let message = self.message(BoxId::Common, Peer::User(PEER_USER), eid, false);
                (Update::NewMessage { message, pts: 0, pts_count: 1 }, 1)
            } else if kind < 0.85 {
                let message = self.message(BoxId::Common, Peer::User(PEER_USER), eid, true);
                (Update::EditMessage { message, pts: 0, pts_count: 1 }, 1)
            } else {
                let messages = vec![i32::try_from(eid).unwrap_or(i32::MAX), 0];
                (Update::DeleteMessages { messages, pts: 0, pts_count: 2 }, 2)
            };
            self.pts += count;
            let update = with_pts(update, self.pts);
            self.common.push(Logged { end: self.pts, eid, update: update.clone() });
            update
        } else if roll < 0.45 {
            let eid = self.eid(BoxId::Qts);
            self.qts += 1;
            let update = Update::Qts {
                kind: QtsKind::NewEncryptedMessage,
                qts: self.qts,
                payload: json!({ "eid": eid }),
            };
            self.qts_log.push(Logged { end: self.qts, eid, update: update.clone() });
            update
        } else {
            let n = self.cfg.channels.max(1);
            let c = self.rng.random_range(1..=n);
            let b = BoxId::Channel(c);
            let eid = self.eid(b);
            let kind: f64 = self.rng.random();
            let (update, count) = if kind < 0.75 {
                let message = self.message(b, Peer::Channel(c), eid, false);
                (Update::NewChannelMessage { message, pts: 0, pts_count: 1 }, 1)
            } else if kind < 0.9 {
                let message = self.message(b, Peer::Channel(c), eid, true);
                (Update::EditChannelMessage { message, pts: 0, pts_count: 1 }, 1)
            } else {
                let messages = vec![i32::try_from(eid).unwrap_or(i32::MAX), 0];
                (Update::DeleteChannelMessages { channel_id: c, messages, pts: 0, pts_count: 2 }, 2)
            };
            let date = self.date;
            let Some(ch) = self.channels.get_mut(&c) else { return update };
            ch.pts += count;
            ch.date = date;
            let update = with_pts(update, ch.pts);
            ch.log.push(Logged { end: ch.pts, eid, update: update.clone() });
            update
        }
    }
}

fn with_pts(mut u: Update, p: i32) -> Update {
    match &mut u {
        Update::NewMessage { pts, .. }
        | Update::EditMessage { pts, .. }
        | Update::DeleteMessages { pts, .. }
        | Update::NewChannelMessage { pts, .. }
        | Update::EditChannelMessage { pts, .. }
        | Update::DeleteChannelMessages { pts, .. } => *pts = p,
        _ => {}
    }
    u
}

impl FakeServer {
    /// Creates one to three events and returns the container pushing them.
    pub fn generate(&self) -> Updates {
        let mut s = self.lock();
        let n = s.rng.random_range(1..=3);
        let updates: Vec<Update> = (0..n).map(|_| s.event()).collect();
        let date = s.date;
        let rate = s.cfg.entity_rate;
        let with_entities = s.rng.random_bool(rate);
        if updates.len() == 1 {
            if let Update::NewMessage { message, pts, pts_count } = &updates[0]
                && s.rng.random_bool(0.3)
            {
                return Updates::ShortMessage(ShortMessage {
                    id: message.id,
                    user_id: PEER_USER,
                    pts: *pts,
                    pts_count: *pts_count,
                    date,
                    payload: message.payload.clone(),
                    ..ShortMessage::default()
                });
            }
            if !with_entities {
                return Updates::short(updates[0].clone(), date);
            }
        }
        let (users, chats) = if with_entities {
            (vec![FakeServer::peer_user()], FakeServer::chats(&s))
        } else {
            (vec![], vec![])
        };
        let seq = if s.cfg.seq {
            s.seq += 1;
            s.seq
        } else {
            0
        };
        Updates::Full { updates, users, chats, date, seq }
    }
}

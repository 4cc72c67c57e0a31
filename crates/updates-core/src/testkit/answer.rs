//! The fake server's RPC answers, computed from its log: differences in
//! pages, too-long answers that record what they skip, timeout hints, and
//! injected failures.

use async_trait::async_trait;
use rand::Rng;

use super::{BoxId, FakeServer, Inner, Logged};
use crate::error::ClientError;
use crate::ports::RawClient;
use crate::tl::{
    ChannelDifference, Dialog, Difference, DifferenceBody, GetChannelDifference, GetDifference,
    Peer, RpcError, State, Update,
};

impl Inner {
    fn maybe_fail(&mut self) -> Result<(), ClientError> {
        self.rpcs += 1;
        if self.answer_rng.random_bool(self.cfg.error_rate) {
            return Err(if self.answer_rng.random_bool(0.5) {
                ClientError::Transport("timeout".into())
            } else {
                ClientError::Rpc(RpcError::new(500, "PERSISTENT_TIMESTAMP_OUTDATED"))
            });
        }
        Ok(())
    }

    fn difference(&mut self, r: GetDifference) -> Difference {
        let first = self.common.partition_point(|e| e.end <= r.pts);
        let behind = self.pts - r.pts;
        if behind > self.cfg.common_too_long && self.common.len() > first + 5 {
            // reset to an event boundary a few events before the end
            let to = self.common[self.common.len() - 5].end;
            for e in &self.common[first..] {
                if e.end <= to {
                    self.skipped.insert((BoxId::Common, e.eid));
                }
            }
            return Difference::TooLong { pts: to };
        }
        let page = self.cfg.page;
        let common: Vec<Logged> = self.common[first..].iter().take(page).cloned().collect();
        let qfirst = self.qts_log.partition_point(|e| e.end <= r.qts);
        let qts: Vec<Logged> = self.qts_log[qfirst..].iter().take(page).cloned().collect();
        if common.is_empty() && qts.is_empty() {
            return Difference::Empty { date: self.date, seq: self.seq };
        }
        let done =
            first + common.len() == self.common.len() && qfirst + qts.len() == self.qts_log.len();
        let state = if done {
            State { pts: self.pts, qts: self.qts, date: self.date, seq: self.seq }
        } else {
            State {
                pts: common.last().map_or(r.pts, |e| e.end),
                qts: qts.last().map_or(r.qts, |e| e.end),
                date: r.date.max(1),
                seq: self.seq,
            }
        };
        let mut body = DifferenceBody {
            users: vec![FakeServer::peer_user()],
            chats: FakeServer::chats(self),
            state,
            ..DifferenceBody::default()
        };
        for e in common {
            match e.update {
                Update::NewMessage { message, .. } => body.new_messages.push(message),
                other => body.other_updates.push(other),
            }
        }
        for e in qts {
            if let Update::Qts { payload, .. } = e.update {
                body.new_encrypted_messages.push(payload);
            }
        }
        if done { Difference::Difference(body) } else { Difference::Slice(body) }
    }

    fn channel_difference(
        &mut self,
        r: GetChannelDifference,
    ) -> Result<ChannelDifference, ClientError> {
        let id = r.channel.channel_id;
        let timeout = Some(self.answer_rng.random_range(0..30));
        let Some(ch) = self.channels.get(&id) else {
            self.violations.push(format!("getChannelDifference for unknown channel {id}"));
            return Err(ClientError::Rpc(RpcError::new(400, "CHANNEL_INVALID")));
        };
        if ch.hash != r.channel.access_hash {
            self.violations.push(format!("wrong access hash for channel {id}"));
            return Err(ClientError::Rpc(RpcError::new(400, "CHANNEL_INVALID")));
        }
        let first = ch.log.partition_point(|e| e.end <= r.pts);
        if ch.pts - r.pts > self.cfg.channel_too_long {
            let skipped: Vec<i64> = ch.log[first..].iter().map(|e| e.eid).collect();
            let pts = ch.pts;
            self.skipped.extend(skipped.into_iter().map(|eid| (BoxId::Channel(id), eid)));
            return Ok(ChannelDifference::TooLong {
                is_final: true,
                timeout,
                dialog: Dialog {
                    peer: Some(Peer::Channel(id)),
                    pts: Some(pts),
                    payload: serde_json::Value::Null,
                },
                messages: vec![],
                chats: FakeServer::chats(self),
                users: vec![],
            });
        }
        let page = self.cfg.page.min(usize::try_from(r.limit.max(1)).unwrap_or(1));
        let events: Vec<Logged> = ch.log[first..].iter().take(page).cloned().collect();
        let Some(last) = events.last() else {
            return Ok(ChannelDifference::Empty { is_final: true, pts: ch.pts, timeout });
        };
        let is_final = first + events.len() == ch.log.len();
        let pts = last.end;
        let (mut new_messages, mut other_updates) = (Vec::new(), Vec::new());
        for e in events {
            match e.update {
                Update::NewChannelMessage { message, .. } => new_messages.push(message),
                other => other_updates.push(other),
            }
        }
        Ok(ChannelDifference::Difference {
            is_final,
            pts,
            timeout,
            new_messages,
            other_updates,
            chats: FakeServer::chats(self),
            users: vec![],
        })
    }
}

#[async_trait]
impl RawClient for FakeServer {
    async fn get_state(&self) -> Result<State, ClientError> {
        let mut s = self.lock();
        s.rpcs += 1;
        Ok(State { pts: s.pts, qts: s.qts, date: s.date, seq: s.seq })
    }

    async fn get_difference(&self, request: GetDifference) -> Result<Difference, ClientError> {
        let mut s = self.lock();
        s.maybe_fail()?;
        Ok(s.difference(request))
    }

    async fn get_channel_difference(
        &self,
        request: GetChannelDifference,
    ) -> Result<ChannelDifference, ClientError> {
        let mut s = self.lock();
        s.maybe_fail()?;
        s.channel_difference(request)
    }
}

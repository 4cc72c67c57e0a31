//! Restores pts order inside a difference page: `new_messages` carry no
//! pts, but they fill exactly the positions of the page that the
//! sequenced `other_updates` leave free (each message takes one), so the
//! two lists can be merged back into the order the server applied them,
//! and each message gets its real pts.
//!
//! When the counts do not add up (the server sent something else), it
//! falls back to messages first (pts 0 = no position), then the updates.

use crate::tl::{Message, Update};

/// Merges a page covering positions `(from, to]`. `sequenced` holds
/// `(start, update)` sorted by start; `wrap` builds the message update
/// for a position (`0` when unknown).
pub(super) fn interleave(
    from: i32,
    to: i32,
    messages: Vec<Message>,
    sequenced: Vec<(i32, i32, Update)>,
    wrap: impl Fn(Message, i32) -> Update,
) -> Vec<Update> {
    let taken: i64 = sequenced.iter().map(|(start, end, _)| i64::from(end - start)).sum();
    let slots = i64::from(to) - i64::from(from);
    let fits = taken + i64::try_from(messages.len()).unwrap_or(i64::MAX) == slots
        && sequenced.iter().all(|(start, end, _)| *start >= from && end <= &to);
    let mut out = Vec::with_capacity(messages.len() + sequenced.len());
    if !fits {
        out.extend(messages.into_iter().map(|m| wrap(m, 0)));
        out.extend(sequenced.into_iter().map(|(_, _, u)| u));
        return out;
    }
    let mut pos = from;
    let mut messages = messages.into_iter().peekable();
    let mut sequenced = sequenced.into_iter().peekable();
    loop {
        match sequenced.peek() {
            Some((start, _, _)) if *start <= pos => {
                if let Some((_, end, u)) = sequenced.next() {
                    pos = pos.max(end);
                    out.push(u);
                }
            }
            _ => match messages.next() {
                Some(m) => {
                    pos += 1;
                    out.push(wrap(m, pos));
                }
                None => {
                    out.extend(sequenced.map(|(_, _, u)| u));
                    return out;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tl::Peer;

    fn m(id: i32) -> Message {
        Message { id, peer_id: Some(Peer::User(1)), ..Message::default() }
    }

    fn wrap(message: Message, pts: i32) -> Update {
        Update::NewMessage { message, pts, pts_count: i32::from(pts != 0) }
    }

    fn ed(pts: i32) -> (i32, i32, Update) {
        (pts - 1, pts, Update::EditMessage { message: m(0), pts, pts_count: 1 })
    }

    fn positions(v: &[Update]) -> Vec<(char, i32)> {
        v.iter()
            .map(|u| match u {
                Update::NewMessage { pts, .. } => ('m', *pts),
                Update::EditMessage { pts, .. } => ('e', *pts),
                _ => ('?', 0),
            })
            .collect()
    }

    #[test]
    fn messages_fill_the_free_positions() {
        let out = interleave(100, 105, vec![m(1), m(2), m(3)], vec![ed(102), ed(105)], wrap);
        assert_eq!(positions(&out), [('m', 101), ('e', 102), ('m', 103), ('m', 104), ('e', 105)]);
    }

    #[test]
    fn multi_count_updates_take_their_range() {
        let del =
            (101, 103, Update::DeleteMessages { messages: vec![1, 2], pts: 103, pts_count: 2 });
        let out = interleave(100, 104, vec![m(1), m(2)], vec![del], wrap);
        assert_eq!(out.len(), 3);
        assert!(matches!(out[0], Update::NewMessage { pts: 101, .. }));
        assert!(matches!(out[1], Update::DeleteMessages { pts: 103, .. }));
        assert!(matches!(out[2], Update::NewMessage { pts: 104, .. }));
    }

    #[test]
    fn mismatched_counts_fall_back_to_messages_first() {
        let out = interleave(100, 110, vec![m(1)], vec![ed(102)], wrap);
        assert_eq!(positions(&out), [('m', 0), ('e', 102)]);
    }
}

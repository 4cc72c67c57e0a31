//! JSON round trips and malformed-input errors for the TL subset.

use super::*;

#[test]
fn updates_round_trip_through_json() {
    let container = Updates::Combined {
        updates: vec![
            Update::new_message(1, 5, 101),
            Update::new_channel_message(7, 3, 21),
            Update::ChannelTooLong { channel_id: 7, pts: None },
            Update::Qts { kind: QtsKind::BotStopped, qts: 4, payload: serde_json::json!({"x": 1}) },
            Update::PtsChanged,
            Update::Other { payload: serde_json::json!({"_": "updateUserStatus"}) },
        ],
        users: vec![User {
            id: 5,
            access_hash: Some(9),
            min: false,
            payload: serde_json::Value::Null,
        }],
        chats: vec![Chat::channel(7, 77)],
        date: 10,
        seq_start: 3,
        seq: 4,
    };
    let json = serde_json::to_string(&container).expect("serialise");
    let back: Updates = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, container);
}

#[test]
fn minimal_json_uses_defaults() {
    let u: Update = serde_json::from_str(
        r#"{"type":"new_channel_message","message":{"id":3,"peer_id":{"type":"channel","id":7}},"pts":21,"pts_count":1}"#,
    )
    .expect("parse");
    assert_eq!(u.sequence(), Sequence::Channel { channel_id: 7, pts: 21, count: 1 });
    let d: ChannelDifference =
        serde_json::from_str(r#"{"type":"empty","final":true,"pts":5}"#).expect("parse");
    assert_eq!(d, ChannelDifference::Empty { is_final: true, pts: 5, timeout: None });
}

#[test]
fn malformed_json_is_a_typed_error() {
    for bad in [
        r#"{"type":"new_message","pts":1}"#,
        r#"{"type":"no_such_update"}"#,
        r#"{"type":"new_message","message":{"id":"x"},"pts":1,"pts_count":1}"#,
        r#"[]"#,
    ] {
        assert!(serde_json::from_str::<Update>(bad).is_err(), "{bad}");
    }
}

#[test]
fn classifier_covers_every_sequence() {
    use Update as U;
    let m = Message::default;
    let common = [
        U::NewMessage { message: m(), pts: 2, pts_count: 1 },
        U::EditMessage { message: m(), pts: 2, pts_count: 1 },
        U::DeleteMessages { messages: vec![1], pts: 2, pts_count: 1 },
        U::ReadHistoryInbox { peer: Peer::User(1), max_id: 1, pts: 2, pts_count: 1 },
        U::ReadHistoryOutbox { peer: Peer::Chat(1), max_id: 1, pts: 2, pts_count: 1 },
        U::WebPage { payload: serde_json::Value::Null, pts: 2, pts_count: 1 },
        U::ReadMessagesContents { messages: vec![], pts: 2, pts_count: 1 },
        U::FolderPeers { payload: serde_json::Value::Null, pts: 2, pts_count: 1 },
        U::PinnedMessages {
            peer: Peer::User(1),
            messages: vec![],
            pinned: true,
            pts: 2,
            pts_count: 1,
        },
    ];
    for u in &common {
        assert_eq!(u.sequence(), Sequence::Common { pts: 2, count: 1 }, "{u:?}");
    }
    let chan = Message { peer_id: Some(Peer::Channel(9)), ..m() };
    let channel = [
        U::NewChannelMessage { message: chan.clone(), pts: 2, pts_count: 1 },
        U::EditChannelMessage { message: chan, pts: 2, pts_count: 1 },
        U::DeleteChannelMessages { channel_id: 9, messages: vec![], pts: 2, pts_count: 1 },
        U::ChannelWebPage { channel_id: 9, payload: serde_json::Value::Null, pts: 2, pts_count: 1 },
        U::PinnedChannelMessages {
            channel_id: 9,
            messages: vec![],
            pinned: false,
            pts: 2,
            pts_count: 1,
        },
    ];
    for u in &channel {
        assert_eq!(u.sequence(), Sequence::Channel { channel_id: 9, pts: 2, count: 1 }, "{u:?}");
    }
    assert_eq!(
        U::ReadChannelInbox { channel_id: 9, max_id: 1, pts: 5 }.sequence(),
        Sequence::Channel { channel_id: 9, pts: 5, count: 0 }
    );
    assert_eq!(
        U::NewChannelMessage { message: m(), pts: 2, pts_count: 1 }.sequence(),
        Sequence::Malformed
    );
    assert_eq!(U::new_message(1, 1, 0).sequence(), Sequence::None);
    assert_eq!(
        U::Qts { kind: QtsKind::NewEncryptedMessage, qts: 0, payload: serde_json::Value::Null }
            .sequence(),
        Sequence::None
    );
    assert_eq!(U::PtsChanged.sequence(), Sequence::PtsChanged);
}

#[test]
fn only_full_channel_hashes_are_storable() {
    assert_eq!(Chat::channel(7, 70).full_channel_hash(), Some((7, 70)));
    let min =
        Chat::Channel { id: 7, access_hash: Some(70), min: true, payload: serde_json::Value::Null };
    assert_eq!(min.full_channel_hash(), None);
    assert_eq!(
        Chat::ChannelForbidden { id: 8, access_hash: 80 }.full_channel_hash(),
        Some((8, 80))
    );
    assert_eq!(Chat::ChatForbidden { id: 3 }.full_channel_hash(), None);
    assert!(!User { id: 1, access_hash: Some(5), min: true, ..User::default() }.has_full_hash());
    assert!(User { id: 1, access_hash: Some(5), min: false, ..User::default() }.has_full_hash());
}

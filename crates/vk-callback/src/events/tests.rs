//! Decoding tests over the fixtures in `tests/fixtures/objects.json`.

use serde_json::{Value, json};

use super::*;

fn fixtures() -> serde_json::Map<String, Value> {
    let text = include_str!("../../tests/fixtures/objects.json");
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        other => panic!("fixtures are not an object: {other:?}"),
    }
}

fn decode(kind: EventType) -> Event {
    let object = fixtures().remove(kind.as_str()).expect("fixture exists");
    Event::decode(kind, object).expect("fixture decodes")
}

#[test]
fn every_event_type_has_a_fixture_that_decodes_into_a_non_default_object() {
    let fixtures = fixtures();
    assert_eq!(EventType::ALL.len(), 58);
    assert_eq!(fixtures.len(), EventType::ALL.len(), "one fixture per type, no extras");
    for &kind in EventType::ALL {
        let object = fixtures.get(kind.as_str()).unwrap_or_else(|| panic!("no fixture for {kind}"));
        let event = Event::decode(kind, object.clone())
            .unwrap_or_else(|e| panic!("{kind} does not decode: {e}"));
        assert_eq!(event.event_type(), kind);
        let empty = Event::decode(kind, Value::Null).expect("null decodes to defaults");
        assert_ne!(event, empty, "{kind}: the fixture's fields were not read");
    }
}

#[test]
fn names_round_trip_and_are_unique() {
    let mut names: Vec<&str> = EventType::ALL.iter().map(|k| k.as_str()).collect();
    for &kind in EventType::ALL {
        assert_eq!(EventType::from_name(kind.as_str()), Some(kind));
        assert_eq!(kind.to_string(), kind.as_str());
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), EventType::ALL.len());
    assert_eq!(EventType::from_name("confirmation"), None);
    assert_eq!(EventType::from_name("MESSAGE_NEW"), None);
}

#[test]
fn only_vkpay_and_app_payload_are_not_configurable() {
    let fixed: Vec<EventType> =
        EventType::ALL.iter().copied().filter(|k| !k.is_configurable()).collect();
    assert_eq!(fixed, [EventType::VkpayTransaction, EventType::AppPayload]);
}

#[test]
fn message_new_keeps_text_payload_nested_messages_and_attachments() {
    let Event::MessageNew(new) = decode(EventType::MessageNew) else { panic!("wrong variant") };
    let m = &new.message;
    assert_eq!(m.text, "Привет! /start");
    assert_eq!(m.from_id, 553287195);
    assert!(!m.out && !m.is_chat());
    assert_eq!(m.payload.as_deref(), Some(r#"{"command":"start"}"#));
    let payload = m.payload_json().expect("has payload").expect("payload is json");
    assert_eq!(payload, json!({"command": "start"}));
    assert_eq!(m.referral.as_deref(), Some("promo"));
    assert_eq!(m.fwd_messages.len(), 1);
    assert_eq!(m.fwd_messages[0].text, "forwarded hello");
    assert_eq!(m.reply_message.as_ref().map(|r| r.id), Some(1821));
    let kinds: Vec<&str> = m.attachments.iter().map(Attachment::kind).collect();
    assert_eq!(kinds, ["photo", "sticker", "story"]);
    let Attachment::Photo(photo) = &m.attachments[0] else { panic!("not a photo") };
    assert_eq!(photo.sizes[1].width, 960);
    let Attachment::Other { body, .. } = &m.attachments[2] else { panic!("story is untyped") };
    assert_eq!(body["id"], 456239017);
    assert!(new.client_info.carousel);
    assert!(new.client_info.button_actions.iter().any(|a| a == "callback"));
}

#[test]
fn message_reply_keeps_the_keyboard_with_raw_payloads() {
    let Event::MessageReply(m) = decode(EventType::MessageReply) else { panic!("wrong variant") };
    assert!(m.out);
    let keyboard = m.keyboard.expect("keyboard");
    assert!(keyboard.inline);
    let button = &keyboard.buttons[0][0];
    assert_eq!(button.action.kind, "callback");
    assert_eq!(button.action.payload.as_deref(), Some(r#"{"action":"like","id":7}"#));
    assert_eq!(keyboard.buttons[0][1].action.link.as_deref(), Some("https://example.org/"));
}

#[test]
fn message_event_payload_is_any_json() {
    let Event::MessageEvent(e) = decode(EventType::MessageEvent) else { panic!("wrong variant") };
    assert_eq!(e.payload, json!({"action": "like", "id": 7}));
    assert_eq!(e.event_id, "a1b2c3d4e5f6");
    let scalar = Event::decode(EventType::MessageEvent, json!({"payload": "just text"}));
    let Ok(Event::MessageEvent(scalar)) = scalar else { panic!("string payload decodes") };
    assert_eq!(scalar.payload, json!("just text"));
}

#[test]
fn wall_post_attachments_and_flags_decode() {
    let Event::WallPostNew(post) = decode(EventType::WallPostNew) else { panic!("wrong variant") };
    assert!(post.can_edit && !post.marked_as_ads);
    assert_eq!(post.comments.as_ref().map(|c| c.can_post), Some(true));
    let Attachment::Poll(poll) = &post.attachments[1] else { panic!("not a poll") };
    assert!(poll.anonymous);
    assert_eq!(poll.answers[1].text, "Later");
    let Event::WallRepost(repost) = decode(EventType::WallRepost) else { panic!("wrong variant") };
    assert_eq!(repost.copy_history[0].id, 97);
}

#[test]
fn community_objects_keep_values_raw_where_vk_varies_them() {
    let Event::GroupChangeSettings(s) = decode(EventType::GroupChangeSettings) else {
        panic!("wrong variant")
    };
    assert_eq!(s.changes["title"].new_value, json!("Acme Inc"));
    assert_eq!(s.changes["access"].old_value, json!(0));
    let Event::LeadFormsNew(lead) = decode(EventType::LeadFormsNew) else {
        panic!("wrong variant")
    };
    assert_eq!(lead.answers[1].answer, json!(["Linux", "Android"]));
    let Event::GroupLeave(leave) = decode(EventType::GroupLeave) else { panic!("wrong variant") };
    assert!(leave.by_self);
    let Event::DonutSubscriptionCreate(d) = decode(EventType::DonutSubscriptionCreate) else {
        panic!("wrong variant")
    };
    assert!((d.amount_without_fee - 92.5).abs() < f64::EPSILON);
}

#[test]
fn wrong_json_types_are_errors() {
    for bad in [json!("a string"), json!(12), json!([1, 2]), json!(true)] {
        assert!(Event::decode(EventType::MessageNew, bad.clone()).is_err(), "{bad}");
    }
    let bad_flag = json!({"message": {"out": "1"}});
    assert!(Event::decode(EventType::MessageNew, bad_flag).is_err());
    let bad_flag = json!({"message": {"important": 2}});
    assert!(Event::decode(EventType::MessageNew, bad_flag).is_err());
    let float_id = json!({"user_id": 1.5});
    assert!(Event::decode(EventType::GroupJoin, float_id).is_err());
}

#[test]
fn null_flags_are_false_and_unknown_fields_are_ignored() {
    let object = json!({"message": {"out": null, "important": true, "brand_new_field": {"x": 1}}});
    let Ok(Event::MessageNew(new)) = Event::decode(EventType::MessageNew, object) else {
        panic!("decodes")
    };
    assert!(!new.message.out && new.message.important);
}

#[test]
fn a_misshapen_known_attachment_is_kept_raw() {
    let object = json!({"attachments": [
        {"type": "photo", "photo": {"sizes": "not a list"}},
        {"type": "doc"},
    ]});
    let Ok(Event::MessageReply(m)) = Event::decode(EventType::MessageReply, object) else {
        panic!("decodes")
    };
    assert_eq!(
        m.attachments,
        [
            Attachment::Other { kind: "photo".into(), body: json!({"sizes": "not a list"}) },
            Attachment::Other { kind: "doc".into(), body: Value::Null },
        ]
    );
    let no_type = json!({"attachments": [{"photo": {}}]});
    assert!(Event::decode(EventType::MessageReply, no_type).is_err());
}

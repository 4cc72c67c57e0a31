//! Envelope parsing edge cases, after vksdk's decoder (research §1.4).

use serde_json::json;

use super::*;

fn parse(body: &str) -> Result<Envelope, EnvelopeError> {
    Envelope::parse(body.as_bytes())
}

#[test]
fn a_full_envelope_parses() {
    let env = parse(
        r#"{"type":"message_new","group_id":-5,"event_id":"abc","v":"5.199","secret":"s","object":{"a":1}}"#,
    )
    .unwrap();
    assert_eq!(env.event_type(), "message_new");
    assert_eq!(env.group_id(), -5);
    assert_eq!(env.event_id(), "abc");
    assert_eq!(env.api_version(), "5.199");
    assert_eq!(env.secret(), "s");
    assert_eq!(env.object(), Some(&json!({"a": 1})));
    assert!(!format!("{env:?}").contains("\"s\""), "the secret is redacted in Debug");
}

#[test]
fn bodies_without_a_json_value_are_errors() {
    assert!(matches!(parse(""), Err(EnvelopeError::Empty)));
    assert!(matches!(parse("   \n"), Err(EnvelopeError::Empty)));
    assert!(matches!(parse(r#"{"type":"#), Err(EnvelopeError::Json(_))));
    assert!(matches!(parse("[1,2]"), Err(EnvelopeError::NotAnObject)));
    assert!(matches!(parse(r#""hi""#), Err(EnvelopeError::NotAnObject)));
}

#[test]
fn null_is_an_empty_envelope_and_trailing_bytes_are_ignored() {
    assert_eq!(parse("null").unwrap(), Envelope::default());
    let env = parse(r#"{"type":"a"} garbage"#).unwrap();
    assert_eq!(env.event_type(), "a");
    let env = parse(r#"{"type":"a"}{"type":"b"}"#).unwrap();
    assert_eq!(env.event_type(), "a");
}

#[test]
fn field_names_match_case_insensitively_with_exact_names_first() {
    let env = parse(r#"{"TYPE":"x","Group_ID":7,"SECRET":"k"}"#).unwrap();
    assert_eq!((env.event_type(), env.group_id(), env.secret()), ("x", 7, "k"));
    let env = parse(r#"{"Type":"loose","type":"exact"}"#).unwrap();
    assert_eq!(env.event_type(), "exact");
}

#[test]
fn duplicate_keys_keep_the_last_value() {
    assert_eq!(parse(r#"{"group_id":1,"group_id":2}"#).unwrap().group_id(), 2);
}

#[test]
fn envelope_fields_of_the_wrong_type_are_errors() {
    for body in [
        r#"{"group_id":"1"}"#,
        r#"{"group_id":1.5}"#,
        r#"{"group_id":1e3}"#,
        r#"{"group_id":9223372036854775808}"#,
        r#"{"v":5.199}"#,
        r#"{"event_id":12}"#,
        r#"{"type":["message_new"]}"#,
        r#"{"secret":true}"#,
    ] {
        assert!(matches!(parse(body), Err(EnvelopeError::Field(_))), "{body}");
    }
    assert_eq!(parse(r#"{"group_id":-9223372036854775808}"#).unwrap().group_id(), i64::MIN);
}

#[test]
fn nulls_and_missing_fields_are_empty() {
    let env = parse(r#"{"type":null,"group_id":null,"secret":null}"#).unwrap();
    assert_eq!((env.event_type(), env.group_id(), env.secret()), ("", 0, ""));
    assert_eq!(env.object(), None);
    assert_eq!(parse(r#"{"object":null}"#).unwrap().object(), Some(&json!(null)));
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let mut body = br#"{"type":"message_new","object":{"text":"a"#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#"b"}}"#);
    let env = Envelope::parse(&body).unwrap();
    assert_eq!(env.object(), Some(&json!({"text": "a\u{fffd}\u{fffd}b"})));
}

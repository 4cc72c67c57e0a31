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

mod fast_path {
    //! The one-pass parser agrees with the reference parser.

    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::events::{Event, EventType};

    fn want_all(_: EventType) -> bool {
        true
    }

    /// Both parsers on `body`: the one-pass result must equal the
    /// reference envelope plus its decoded object.
    fn agree(body: &[u8]) -> Result<(), TestCaseError> {
        let reference = Envelope::parse(body);
        let fast = Envelope::parse_typed(body, &want_all);
        match (reference, fast) {
            (Err(_), Err(_)) => {}
            (Ok(mut env), Ok((fast_env, event))) => {
                let kind = EventType::from_name(env.event_type());
                let decoded = match (kind, env.object().cloned()) {
                    (Some(kind), Some(object)) => Event::decode(kind, object).ok(),
                    _ => None,
                };
                if event.is_some() {
                    prop_assert_eq!(event.as_deref(), decoded.as_ref());
                    env.take_object();
                }
                prop_assert_eq!(fast_env, env);
            }
            (reference, fast) => {
                prop_assert!(false, "disagree: {:?} vs {:?}", reference, fast.map(|(e, _)| e));
            }
        }
        Ok(())
    }

    #[test]
    fn spelled_out_cases_agree() {
        for body in [
            r#"{"type":"message_new","object":{"message":{"text":"x"}}}"#,
            r#"{"object":{"message":{"text":"x"}},"type":"message_new"}"#,
            r#"{"type":"message_new","object":null}"#,
            r#"{"type":"message_new"}"#,
            r#"{"type":"message_new","object":"bad"}"#,
            r#"{"type":"message_new","object":{},"type":"group_join"}"#,
            r#"{"TYPE":"group_join","Type":"message_new","object":{}}"#,
            r#"{"Type":"group_join","type":"message_new","object":{}}"#,
            r#"{"type":"group_join","OBJECT":{"user_id":1},"object":{"user_id":2}}"#,
            r#"{"type":"group_join","object":{"user_id":1}} trailing"#,
            r#"{"ty\u0070e":"group_join","object":{"user_id":3}}"#,
            "null",
            "[]",
            "",
        ] {
            agree(body.as_bytes()).unwrap();
        }
        let (_, event) = Envelope::parse_typed(
            br#"{"type":"group_join","object":{"user_id":5,"join_type":"join"}}"#,
            &want_all,
        )
        .unwrap();
        let Some(Event::GroupJoin(join)) = event.as_deref() else { panic!("decoded in one pass") };
        assert_eq!(join.user_id, 5);
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-4.0f64..4.0).prop_map(Value::from),
            "[a-z]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            let key = prop_oneof![
                Just("message".to_owned()),
                Just("user_id".to_owned()),
                Just("text".to_owned()),
                Just("out".to_owned()),
                "[a-z]{1,3}",
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::btree_map(key, inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    fn key(name: &'static str) -> impl Strategy<Value = String> {
        prop_oneof![4 => Just(name.to_owned()), 1 => Just(name.to_uppercase())]
    }

    fn field() -> impl Strategy<Value = (String, Value)> {
        let kind = prop_oneof![
            Just(json!("message_new")),
            Just(json!("group_join")),
            Just(json!("like_add")),
            Just(json!("other")),
            value(),
        ];
        prop_oneof![
            (key("type"), kind),
            (key("group_id"), value()),
            (key("event_id"), value()),
            (key("secret"), value()),
            (key("object"), value()),
            (key("v"), value()),
        ]
    }

    /// An envelope written field by field, so order and duplicates vary.
    fn body() -> impl Strategy<Value = String> {
        proptest::collection::vec(field(), 0..8).prop_map(|fields| {
            let parts: Vec<String> =
                fields.iter().map(|(k, v)| format!("{}:{}", Value::String(k.clone()), v)).collect();
            format!("{{{}}}", parts.join(","))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 1024,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0xfa57),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn generated_envelopes_agree(body in body()) {
            agree(body.as_bytes())?;
        }
    }
}

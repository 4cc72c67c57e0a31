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
fn field_names_match_case_insensitively() {
    let env = parse(r#"{"TYPE":"x","Group_ID":7,"SECRET":"k","ſecret":"long s"}"#).unwrap();
    assert_eq!((env.event_type(), env.group_id(), env.secret()), ("x", 7, "long s"));
}

/// Go's rule, which vksdk answers by: of duplicate or case-variant keys,
/// the last one wins, whichever is spelled exactly.
#[test]
fn the_last_of_duplicate_or_case_variant_keys_wins_for_every_field() {
    type Getter = fn(&Envelope) -> &str;
    let strings: [(&str, Getter); 4] = [
        ("type", Envelope::event_type),
        ("event_id", Envelope::event_id),
        ("v", Envelope::api_version),
        ("secret", Envelope::secret),
    ];
    for (name, get) in strings {
        let upper = name.to_uppercase();
        for (first, second) in [(name, name), (name, upper.as_str()), (upper.as_str(), name)] {
            let body = format!(r#"{{"{first}":"one","{second}":"two"}}"#);
            assert_eq!(get(&parse(&body).unwrap()), "two", "{body}");
        }
    }
    for (first, second) in
        [("group_id", "group_id"), ("group_id", "GROUP_ID"), ("Group_Id", "group_id")]
    {
        let body = format!(r#"{{"{first}":1,"{second}":2}}"#);
        assert_eq!(parse(&body).unwrap().group_id(), 2, "{body}");
    }
    for (first, second) in [("object", "object"), ("object", "OBJECT"), ("Object", "object")] {
        let body = format!(r#"{{"{first}":{{"a":1}},"{second}":{{"b":2}}}}"#);
        assert_eq!(parse(&body).unwrap().object(), Some(&json!({"b": 2})), "{body}");
        let body = format!(r#"{{"{first}":{{"a":1}},"{second}":null}}"#);
        assert_eq!(parse(&body).unwrap().object(), Some(&json!(null)), "{body}");
    }
}

#[test]
fn a_null_leaves_the_earlier_value_as_in_go() {
    let env = parse(r#"{"secret":"s","SECRET":null,"group_id":3,"group_id":null}"#).unwrap();
    assert_eq!((env.secret(), env.group_id()), ("s", 3));
}

#[test]
fn a_wrong_type_in_any_occurrence_is_an_error() {
    for body in [r#"{"secret":1,"secret":"s"}"#, r#"{"secret":"s","Secret":1}"#] {
        assert!(matches!(parse(body), Err(EnvelopeError::Field("secret"))), "{body}");
    }
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn the_depth_limit_is_one_rule_wherever_the_nesting_is() {
    // The envelope is level 1, so a value inside it may nest MAX - 1 deep.
    for (ok, inner) in [(true, MAX_JSON_DEPTH - 1), (false, MAX_JSON_DEPTH)] {
        let deep = nested(inner);
        for body in [
            format!(r#"{{"type":"group_join","object":{deep}}}"#),
            format!(r#"{{"object":{deep},"type":"group_join"}}"#),
            format!(r#"{{"type":"group_join","unknown":{deep}}}"#),
            format!(r#"{{"unknown":{deep},"type":"message_new"}}"#),
        ] {
            let slow = Envelope::parse(body.as_bytes());
            let fast = Envelope::parse_typed(body.as_bytes(), &|_| true);
            if ok {
                assert!(slow.is_ok() && fast.is_ok(), "{inner} levels are accepted");
            } else {
                assert!(matches!(slow, Err(EnvelopeError::TooDeep(MAX_JSON_DEPTH))));
                assert!(matches!(fast, Err(EnvelopeError::TooDeep(MAX_JSON_DEPTH))));
            }
        }
    }
}

#[test]
fn the_depth_scan_reads_only_the_first_value_and_skips_strings() {
    let deep = nested(MAX_JSON_DEPTH + 10);
    assert!(parse(&format!(r#"{{"type":"a"}} {deep}"#)).is_ok(), "trailing bytes are ignored");
    assert!(parse(&format!(r#"null {deep}"#)).is_ok());
    let brackets = "[".repeat(MAX_JSON_DEPTH + 10);
    assert!(parse(&format!(r#"{{"type":"a","s":"{brackets}\"{brackets}"}}"#)).is_ok());
}

/// At the limit, the deepest typed decode (forwarded messages inside
/// forwarded messages) and dropping the result fit a 2 MiB stack, tokio's
/// worker default, even unoptimised (measured: 224 levels fit, 256 overflow).
#[test]
fn a_body_at_the_limit_fits_a_worker_stack() {
    let mut message = json!({"text": "bottom"});
    // Each forwarded level adds two (the list and the message).
    for _ in 0..(MAX_JSON_DEPTH - 4) / 2 {
        message = json!({"text": "fwd", "fwd_messages": [message]});
    }
    // Written out so `type` comes first, whatever a map would order.
    let object = json!({"message": message});
    let text = format!(r#"{{"type":"message_new","object":{object}}}"#);
    let worker = std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
        let (env, event) = Envelope::parse_typed(text.as_bytes(), &|_| true).unwrap();
        assert!(event.is_some(), "decoded as a typed event");
        drop(env);
        let env = Envelope::parse(text.as_bytes()).unwrap();
        assert!(env.object().is_some());
    });
    worker.unwrap().join().unwrap();
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

#[test]
fn many_shallow_brackets_are_not_deep() {
    let wide = format!(r#"{{"type":"a","list":[{}]}}"#, vec!["[]"; MAX_JSON_DEPTH * 4].join(","));
    assert!(parse(&wide).is_ok(), "bracket count alone does not refuse");
}

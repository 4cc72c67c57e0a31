//! Tests for [`Buffer`] decoding and encoding.

use serde_json::json;

use super::*;

#[test]
fn reads_every_baileys_encoding_to_the_same_bytes() {
    let forms = [
        json!({"type": "Buffer", "data": "AP8Q"}),
        json!({"type": "Buffer", "data": "AP8Q"}),
        json!({"type": "Buffer", "data": [0, 255, 16]}),
        json!({"2": 16, "0": 0, "1": 255}),
        json!("AP8Q"),
    ];
    for form in forms {
        assert_eq!(Buffer::from_json(&form).expect("decodes").as_slice(), [0, 255, 16], "{form}");
    }
}

#[test]
fn numeric_keys_are_ordered_numerically_not_lexically() {
    let mut map = serde_json::Map::new();
    for i in 0..12u8 {
        map.insert(i.to_string(), json!(i));
    }
    let bytes = Buffer::from_json(&Value::Object(map)).expect("decodes");
    assert_eq!(bytes.as_slice(), (0..12).collect::<Vec<u8>>());
}

#[test]
fn base64_is_read_leniently_and_written_padded() {
    // unpadded and URL-safe inputs decode as Node does
    assert_eq!(decode_base64("AQ").expect("unpadded"), [1]);
    assert_eq!(decode_base64("__8").expect("url-safe"), [255, 255]);
    assert_eq!(decode_base64("//8=").expect("standard"), [255, 255]);
    assert_eq!(encode_base64(&[1]), "AQ==");
    let written = serde_json::to_string(&Buffer::from([1u8])).expect("serialises");
    assert_eq!(written, r#"{"type":"Buffer","data":"AQ=="}"#);
}

#[test]
fn list_and_numeric_forms_are_re_emitted_as_base64() {
    let from_list: Buffer =
        serde_json::from_value(json!({"type": "Buffer", "data": [5, 230]})).expect("decodes");
    assert_eq!(from_list.to_json(), json!({"type": "Buffer", "data": "BeY="}));
}

#[test]
fn malformed_values_are_typed_errors_naming_the_problem() {
    let cases = [
        (json!(null), "found null"),
        (json!(7), "found a number"),
        (json!([1, 2]), "found an array"),
        (json!({"type": "Buffer"}), "no `data`"),
        (json!({"type": "Buffer", "data": true}), "found a boolean"),
        (json!({"type": "Buffer", "data": [256]}), "0..=255"),
        (json!({"type": "Buffer", "data": [-1]}), "0..=255"),
        (json!({"type": "Buffer", "data": [1.5]}), "0..=255"),
        (json!({"type": "Buffer", "data": "!!"}), "invalid base64"),
        (json!({"a": 1}), "non-numeric key `a`"),
        (json!({"0": "x"}), "0..=255"),
        (json!("not base64!"), "invalid base64"),
    ];
    for (value, needle) in cases {
        let err = Buffer::from_json(&value).expect_err("must fail");
        assert!(err.to_string().contains(needle), "{value}: {err}");
    }
}

#[test]
fn empty_buffers_round_trip() {
    let empty = Buffer::default();
    assert!(empty.is_empty());
    let json = empty.to_json();
    assert_eq!(json, json!({"type": "Buffer", "data": ""}));
    assert_eq!(Buffer::from_json(&json).expect("decodes"), empty);
}

#[test]
fn random_bytes_round_trip_through_every_encoding() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    for _ in 0..300 {
        let len = rng.random_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let buffer = Buffer::from(bytes.clone());
        let numeric: serde_json::Map<String, Value> =
            bytes.iter().enumerate().map(|(i, b)| (i.to_string(), json!(b))).collect();
        let forms = [
            buffer.to_json(),
            json!({"type": "Buffer", "data": bytes}),
            Value::String(buffer.to_base64()),
            Value::String(buffer.to_base64().trim_end_matches('=').to_owned()),
            Value::String(buffer.to_base64().replace('+', "-").replace('/', "_")),
        ];
        for form in forms {
            assert_eq!(Buffer::from_json(&form).expect("decodes").as_slice(), bytes, "{form}");
        }
        if !bytes.is_empty() {
            let decoded = Buffer::from_json(&Value::Object(numeric)).expect("numeric keys");
            assert_eq!(decoded.as_slice(), bytes);
        }
        let text = serde_json::to_string(&buffer).expect("serialises");
        assert_eq!(serde_json::from_str::<Buffer>(&text).expect("parses"), buffer);
    }
}

//! Property tests (seeded, deterministic): arbitrary bytes and arbitrary
//! envelopes never make the server panic, and it answers only 200, 400, 403
//! or 413 — through the service directly and through real HTTP.

mod support;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use vk_callback::events::EventType;
use vk_callback::{Callback, DecodePolicy};

const MAX_BODY: usize = 2048;

fn callback(policy: DecodePolicy) -> Callback {
    let mut builder = Callback::builder()
        .secret("right")
        .group_secret(2, "two")
        .confirmation("code")
        .decode_policy(policy)
        .max_body_bytes(MAX_BODY)
        .on_unknown(|_, env| async move {
            let _ = env.object();
        });
    for &kind in EventType::ALL {
        builder = builder.event(kind, move |ctx, event| async move {
            assert_eq!(event.event_type(), kind, "event {} routed by type", ctx.event_id());
        });
    }
    builder.build()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(json!("1")),
        Just(json!(0)),
        Just(json!(1)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("message".to_owned()),
            Just("text".to_owned()),
            Just("out".to_owned()),
            Just("attachments".to_owned()),
            Just("type".to_owned()),
            Just("photo".to_owned()),
            Just("user_id".to_owned()),
            Just("payload".to_owned()),
            Just("fwd_messages".to_owned()),
            Just("changes".to_owned()),
            "[a-z_]{1,8}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn event_name() -> impl Strategy<Value = String> {
    let known: Vec<String> = EventType::ALL.iter().map(|k| k.as_str().to_owned()).collect();
    prop_oneof![
        4 => proptest::sample::select(known),
        1 => Just("confirmation".to_owned()),
        1 => "[a-z_]{0,12}",
    ]
}

/// Envelopes that are mostly well-formed, with every field sometimes wrong.
fn envelope() -> impl Strategy<Value = Vec<u8>> {
    let secret =
        prop_oneof![Just(json!("right")), Just(json!("two")), Just(json!("wrong")), json_value()];
    let group = prop_oneof![Just(json!(1)), Just(json!(2)), json_value()];
    let event_id = prop_oneof![".{0,6}".prop_map(Value::String), json_value()];
    (event_name(), group, event_id, secret, json_value(), any::<u8>()).prop_map(
        |(kind, group, event_id, secret, object, mask)| {
            let mut env = Map::new();
            env.insert("type".into(), json!(kind));
            let fields = [
                ("group_id", group),
                ("event_id", event_id),
                ("secret", secret),
                ("object", object),
            ];
            for (bit, (name, value)) in fields.into_iter().enumerate() {
                if mask & (1 << bit) == 0 {
                    env.insert(name.into(), value);
                }
            }
            env.insert("v".into(), json!("5.199"));
            let mut body = serde_json::to_vec(&Value::Object(env)).unwrap_or_default();
            if mask & 0x40 != 0 {
                // cut the body short or corrupt one byte
                let at = usize::from(mask) % body.len().max(1);
                if mask & 0x80 != 0 {
                    body.truncate(at);
                } else if let Some(byte) = body.get_mut(at) {
                    *byte = 0xff;
                }
            }
            body
        },
    )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => envelope(),
        1 => proptest::collection::vec(any::<u8>(), 0..256),
        1 => proptest::collection::vec(any::<u8>(), MAX_BODY - 8..MAX_BODY + 64),
    ]
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(0x00c0_ffee),
        failure_persistence: None,
        ..Config::default()
    })
}

fn allowed(status: u16) -> bool {
    matches!(status, 200 | 400 | 403 | 413)
}

#[test]
fn the_service_answers_only_200_400_403_413() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for policy in [DecodePolicy::Reject, DecodePolicy::Acknowledge] {
        let callback = callback(policy);
        let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
        runner(1500)
            .run(&body(), |body| {
                let request = Request::post("/").body(Full::new(Bytes::from(body))).unwrap();
                let status = rt.block_on(callback.handle(request)).status().as_u16();
                seen.borrow_mut().insert(status);
                prop_assert!(allowed(status), "status {}", status);
                Ok(())
            })
            .unwrap();
        // the generators reach every allowed answer, so the property is not vacuous
        assert_eq!(
            seen.into_inner().into_iter().collect::<Vec<_>>(),
            [200, 400, 403, 413],
            "{policy:?}"
        );
    }
}

#[test]
fn the_http_server_answers_only_200_400_403_413() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = rt.block_on(support::TestServer::start(callback(DecodePolicy::Reject)));
    let addr = server.addr;
    let connect = move || async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        sender
    };
    // One keep-alive connection, reopened when the server closes it (it
    // does after refusing a body it did not read, as in a 413).
    let sender = std::cell::Cell::new(Some(rt.block_on(connect())));
    runner(300)
        .run(&body(), |body| {
            let status = rt.block_on(async {
                let mut current = match sender.take() {
                    Some(open) if !open.is_closed() => open,
                    _ => connect().await,
                };
                if current.ready().await.is_err() {
                    current = connect().await;
                }
                let request = Request::post("/").body(Full::new(Bytes::from(body))).unwrap();
                let response = current.send_request(request).await.unwrap();
                let status = response.status().as_u16();
                response.into_body().collect().await.unwrap();
                sender.set(Some(current));
                status
            });
            prop_assert!(allowed(status), "status {}", status);
            Ok(())
        })
        .unwrap();
    rt.block_on(server.stop());
}

/// A value nesting `depth` levels (arrays of one object at the bottom), to
/// sit on either side of the depth limit.
fn deep(depth: usize) -> Value {
    let mut value = json!({"user_id": 1});
    for _ in 1..depth {
        value = Value::Array(vec![value]);
    }
    value
}

/// The envelope's fields, each once, in an arbitrary order; `object` and an
/// unknown field sometimes nest right at or past the depth limit.
fn shuffled_fields() -> impl Strategy<Value = Vec<(String, Value)>> {
    let limit = vk_callback::MAX_JSON_DEPTH;
    // The envelope is level 1: a field value of depth `limit - 1` fits.
    let near_limit = (limit - 3..limit + 2).prop_map(deep);
    // Deep nesting inside an unknown field of a valid object: a typed
    // decode skips it, a JSON tree holds it, so both must meet one limit.
    let hidden = (limit - 5..limit).prop_map(|depth| {
        json!({"message": {"text": "x", "extra": deep(depth)}, "user_id": 1, "extra": deep(depth)})
    });
    let object = prop_oneof![3 => json_value(), 1 => near_limit.clone(), 1 => hidden];
    let unknown = prop_oneof![2 => json_value(), 1 => near_limit];
    let secret = prop_oneof![Just(json!("right")), Just(json!("wrong")), json_value()];
    (event_name(), prop_oneof![Just(json!(1)), json_value()], secret, object, unknown, any::<u8>())
        .prop_flat_map(|(kind, group, secret, object, unknown, id)| {
            let fields = vec![
                ("type".to_owned(), json!(kind)),
                ("group_id".to_owned(), group),
                ("event_id".to_owned(), json!(format!("e{id}"))),
                ("secret".to_owned(), secret),
                ("object".to_owned(), object),
                ("v".to_owned(), json!("5.199")),
                ("unknown".to_owned(), unknown),
            ];
            (Just(fields.clone()), Just(fields).prop_shuffle())
        })
        .prop_map(|(mut ordered, shuffled)| {
            ordered.extend(shuffled);
            ordered
        })
}

fn write_object(fields: &[(String, Value)]) -> Vec<u8> {
    let parts: Vec<String> =
        fields.iter().map(|(k, v)| format!("{}:{v}", Value::String(k.clone()))).collect();
    format!("{{{}}}", parts.join(",")).into_bytes()
}

#[test]
fn the_answer_does_not_depend_on_the_envelope_field_order() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let callback = |policy| {
        let mut builder = Callback::builder().secret("right").decode_policy(policy).without_dedup();
        for &kind in EventType::ALL {
            builder = builder.event(kind, |_, _| async {});
        }
        builder.build()
    };
    for policy in [DecodePolicy::Reject, DecodePolicy::Acknowledge] {
        let callback = callback(policy);
        let answer = |body: Vec<u8>| {
            let request = Request::post("/").body(Full::new(Bytes::from(body))).unwrap();
            let response = rt.block_on(callback.handle(request));
            let status = response.status().as_u16();
            (status, rt.block_on(response.into_body().collect()).unwrap().to_bytes())
        };
        let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
        runner(600)
            .run(&shuffled_fields(), |both| {
                let (ordered, shuffled) = both.split_at(7);
                let first = answer(write_object(ordered));
                let second = answer(write_object(shuffled));
                seen.borrow_mut().insert(first.0);
                prop_assert_eq!(&first, &second, "{:?} vs {:?}", ordered, shuffled);
                Ok(())
            })
            .unwrap();
        // Accepted, refused (too deep, bad types) and bad secrets all occur.
        assert_eq!(
            seen.into_inner().into_iter().collect::<Vec<_>>(),
            [200, 400, 403],
            "{policy:?}"
        );
    }
}

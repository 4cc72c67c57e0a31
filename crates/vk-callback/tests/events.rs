//! Typed events through real HTTP: every fixture reaches its handler, the
//! context carries the delivery's ids, and bad objects follow the policy.

mod support;

use std::sync::{Arc, Mutex};

use serde_json::json;
use support::{TestServer, envelope, fixtures};
use tokio::sync::mpsc;
use vk_callback::events::{Event, EventType};
use vk_callback::{Callback, DecodePolicy};

#[tokio::test]
async fn every_fixture_reaches_its_typed_handler() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut builder = Callback::builder().secret("s");
    for &kind in EventType::ALL {
        let tx = tx.clone();
        builder = builder.event(kind, move |_, event: Event| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(event);
            }
        });
    }
    let server = TestServer::start(builder.build()).await;
    for (index, (name, object)) in fixtures().into_iter().enumerate() {
        let kind = EventType::from_name(&name).unwrap();
        let answer =
            server.post_json(&envelope(&name, &format!("ev{index}"), "s", object.clone())).await;
        answer.is(200, "ok");
        let event = rx.recv().await.unwrap();
        assert_eq!(event.event_type(), kind);
        assert_eq!(event, Event::decode(kind, object).unwrap());
    }
    server.stop().await;
}

#[tokio::test]
async fn per_type_methods_receive_their_objects_with_the_context() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (seen.clone(), seen.clone());
    let callback = Callback::builder()
        .message_new(move |ctx, new| {
            let a = a.clone();
            async move {
                a.lock().unwrap().push(format!(
                    "{} {} {} {} {}",
                    ctx.group_id(),
                    ctx.event_id(),
                    ctx.api_version(),
                    ctx.retry_counter(),
                    new.message.text
                ));
            }
        })
        .group_join(move |ctx, join| {
            let b = b.clone();
            async move {
                b.lock().unwrap().push(format!(
                    "join {} {} {}",
                    ctx.group_id(),
                    join.user_id,
                    join.join_type
                ));
            }
        })
        .build();
    let server = TestServer::start(callback).await;
    let new = json!({"type": "message_new", "group_id": 42, "event_id": "e-1", "v": "5.199",
        "object": {"message": {"text": "hello"}, "client_info": {}}});
    server
        .post_with(serde_json::to_vec(&new).unwrap(), &[("x-retry-counter", "3")])
        .await
        .is(200, "ok");
    let again = json!({"type": "message_new", "group_id": 42, "event_id": "e-2", "v": "5.131",
        "object": {"message": {"text": "bye"}}});
    server
        .post_with(serde_json::to_vec(&again).unwrap(), &[("x-retry-counter", "many")])
        .await
        .is(200, "ok");
    let join = json!({"type": "group_join", "group_id": 7, "event_id": "e-3",
        "object": {"user_id": 9, "join_type": "request"}});
    server.post_json(&join).await.is(200, "ok");
    assert_eq!(
        *seen.lock().unwrap(),
        ["42 e-1 5.199 3 hello", "42 e-2 5.131 0 bye", "join 7 9 request"]
    );
    server.stop().await;
}

#[tokio::test]
async fn handlers_run_in_order_raw_first() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let push = |label: &'static str| {
        let order = order.clone();
        move || order.lock().unwrap().push(label)
    };
    let (raw, first, second) = (push("raw"), push("typed 1"), push("typed 2"));
    let callback = Callback::builder()
        .message_typing_state(move |_, _| {
            first();
            async {}
        })
        .on_event("message_typing_state", move |_, env| {
            assert_eq!(env.object().unwrap()["state"], "typing");
            raw();
            async {}
        })
        .event(EventType::MessageTypingState, move |_, _| {
            second();
            async {}
        })
        .build();
    let server = TestServer::start(callback).await;
    let object = fixtures()["message_typing_state"].clone();
    server.post_json(&envelope("message_typing_state", "t1", "", object)).await.is(200, "ok");
    assert_eq!(*order.lock().unwrap(), ["raw", "typed 1", "typed 2"]);
    server.stop().await;
}

#[tokio::test]
async fn unknown_types_go_to_the_catch_all_with_the_raw_envelope() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let callback = Callback::builder()
        .on_unknown(move |ctx, env| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((
                    ctx.event_id().to_owned(),
                    env.event_type().to_owned(),
                    env.object().cloned(),
                ));
            }
        })
        .message_new(|_, _| async {})
        .build();
    let server = TestServer::start(callback).await;
    let object = json!({"anything": [1, 2, 3]});
    server.post_json(&envelope("future_event", "u1", "", object.clone())).await.is(200, "ok");
    assert_eq!(rx.recv().await.unwrap(), ("u1".into(), "future_event".into(), Some(object)));
    // a known type never reaches the catch-all
    server.post_json(&envelope("message_new", "u2", "", json!({}))).await.is(200, "ok");
    server.post_json(&envelope("wall_post_new", "u3", "", json!({}))).await.is(200, "ok");
    assert!(rx.try_recv().is_err());
    server.stop().await;
}

fn policy_server(policy: DecodePolicy) -> (Callback, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handled = tx.clone();
    let callback = Callback::builder()
        .decode_policy(policy)
        .message_new(move |_, new| {
            let handled = handled.clone();
            async move {
                let _ = handled.send(format!("handled {:?}", new.message.text));
            }
        })
        .on_decode_error(move |report| {
            let _ = tx.send(format!(
                "report {} {} {}",
                report.event_type,
                report.event_id,
                report.error.as_ref().map_or("missing".to_owned(), |e| e.to_string())
            ));
        })
        .build();
    (callback, rx)
}

#[tokio::test]
async fn wrong_typed_objects_are_400_under_reject() {
    let (callback, mut rx) = policy_server(DecodePolicy::Reject);
    let server = TestServer::start(callback).await;
    let bad = envelope("message_new", "b1", "", json!({"message": {"out": "1"}}));
    server.post_json(&bad).await.is(400, "Bad Request\n");
    assert!(rx.recv().await.unwrap().starts_with("report message_new b1 "));
    let missing = json!({"type": "message_new", "event_id": "b2"});
    server.post_json(&missing).await.is(400, "Bad Request\n");
    assert_eq!(rx.recv().await.unwrap(), "report message_new b2 missing");
    // object: null is an empty object, as in vksdk
    server.post_json(&envelope("message_new", "b3", "", json!(null))).await.is(200, "ok");
    assert_eq!(rx.recv().await.unwrap(), "handled \"\"");
    // no typed handler for the type: nothing is decoded, so nothing fails
    server.post_json(&envelope("wall_post_new", "b4", "", json!("garbage"))).await.is(200, "ok");
    assert!(rx.try_recv().is_err());
    server.stop().await;
}

#[tokio::test]
async fn wrong_typed_objects_are_ok_and_reported_under_acknowledge() {
    let (callback, mut rx) = policy_server(DecodePolicy::Acknowledge);
    let server = TestServer::start(callback).await;
    let bad = envelope("message_new", "a1", "", json!([1, 2]));
    server.post_json(&bad).await.is(200, "ok");
    assert!(rx.recv().await.unwrap().starts_with("report message_new a1 "));
    server
        .post_json(&envelope("message_new", "a2", "", json!({"message": {"text": "fine"}})))
        .await
        .is(200, "ok");
    assert_eq!(rx.recv().await.unwrap(), "handled \"fine\"");
    assert!(rx.try_recv().is_err(), "the bad one never reached the handler");
    server.stop().await;
}

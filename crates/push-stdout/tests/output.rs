//! What the handler writes: one JSON line per item that parses back to
//! what was pushed, whole lines under concurrent pushes, and failed writes
//! (broken pipes) counted, never fatal.

mod support;

use std::sync::Arc;
use std::time::Duration;

use push_core::conformance::sample_receipt;
use push_core::{
    Action, ChannelReq, ChannelTarget, Counters, Handler, Payload, Receipt, Recipient, Registry,
    Timestamp,
};
use push_stdout::{Line, StdoutHandler, parse_line};
use serde_json::json;
use support::GateWriter;

const GRACE: Duration = Duration::from_secs(10);

async fn started(writer: GateWriter, buffer: usize) -> Arc<StdoutHandler> {
    let handler = Arc::new(StdoutHandler::with_writer(writer));
    let enabled = handler.init(&json!({"enabled": true, "buffer": buffer})).await;
    assert!(matches!(enabled, Ok(true)), "{enabled:?}");
    handler
}

fn variety() -> Vec<Receipt> {
    let ts = Timestamp::from_unix_millis(1_704_164_645_678).expect("in range");
    let mut call = Payload::new(Action::Msg, "usrBob", "usrAlice", ts);
    call.webrtc = "started".into();
    call.aonly = true;
    call.seq = 12;
    let mut edit = Payload::new(Action::Msg, "grpX", "usrAlice", ts);
    edit.replace = ":11".into();
    edit.mime = "text/x-drafty".into();
    edit.content = Some(
        json!({"txt": "héllo \"quoted\"\nnew line ✓", "fmt": [{"at": 0, "len": 5, "tp": "ST"}]}),
    );
    let mut sub = Payload::new(Action::Sub, "grpX", "usrAlice", ts);
    sub.want = "JRWPS".into();
    sub.given = "N".into();
    sub.silent = true;
    let read = Payload::new(Action::Read, "grpX", "usrAlice", ts);
    let mut receipts: Vec<Receipt> =
        [call, edit, sub, read].into_iter().map(Receipt::new).collect();
    receipts[0].to.insert(
        "usrBob".into(),
        Recipient { delivered: 1, devices: vec!["tokA".into()], unread: 4 },
    );
    receipts[1].to.insert("usrBob".into(), Recipient::default());
    receipts[1].to.insert("usrCarol".into(), Recipient { unread: 9, ..Recipient::default() });
    receipts[2].channel = "chnX".into();
    receipts.push(sample_receipt(1));
    receipts
}

#[tokio::test]
async fn lines_parse_back_to_exactly_what_was_pushed_in_order() {
    let (writer, seen) = GateWriter::new(usize::MAX);
    let mut registry = Registry::new();
    registry
        .register(push_stdout::NAME, Arc::new(StdoutHandler::with_writer(writer)))
        .expect("registers");
    registry.init(r#"[{"name":"stdout","config":{"enabled":true}}]"#).await.expect("valid");
    let receipts = variety();
    let req = ChannelReq::new("usrBob", ChannelTarget::Device("tokA".into()), true).expect("valid");
    for receipt in &receipts {
        assert_eq!(registry.push(receipt.clone()), 1);
    }
    registry.stop(GRACE).await;
    let lines: Vec<Line> =
        seen.text().lines().map(|l| parse_line(l).expect("a JSON line")).collect();
    let expected: Vec<Line> = receipts.into_iter().map(|r| Line::Receipt(Box::new(r))).collect();
    assert_eq!(lines, expected);
    assert!(seen.text().ends_with('\n'), "every line ends with a newline");
    // A stopped registry offers nothing more.
    assert_eq!(registry.channel_sub(req), 0);
}

#[tokio::test]
async fn a_receipt_line_is_tinode_json_and_a_channel_line_go_field_names() {
    let (writer, seen) = GateWriter::new(usize::MAX);
    let handler = started(writer, 4).await;
    handler.push(&Arc::new(sample_receipt(3)));
    let req =
        ChannelReq::new("usrBob", ChannelTarget::Channel("chnX".into()), false).expect("valid");
    handler.channel(&Arc::new(req.clone()));
    handler.stop(GRACE).await;
    let text = seen.text();
    // Receipts and channel requests have separate queues, so no order
    // between the two kinds is promised.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_by_key(|l| l.starts_with(r#"{"Uid""#));
    assert_eq!(
        lines[0],
        concat!(
            r#"{"to":{"usrBob":{"delivered":0,"unread":2}},"channel":"","payload":{"what":"msg","#,
            r#""silent":false,"topic":"grpQuickBrownFox","ts":"2024-01-02T03:04:05.678Z","from":"usrAlice","#,
            r#""seq":3,"mime":"text/plain","content":"message 3"}}"#
        )
    );
    assert_eq!(lines[1], r#"{"Uid":"usrBob","DeviceID":"","Channel":"chnX","Unsub":false}"#);
    assert_eq!(parse_line(lines[1]).expect("parses"), Line::Channel(req));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lines_never_interleave_under_concurrent_pushes() {
    const PUSHERS: u64 = 8;
    const EACH: u64 = 200;
    // Seven bytes per write: every line takes many writes.
    let (writer, seen) = GateWriter::new(7);
    let handler = started(writer, (PUSHERS * EACH) as usize).await;
    let mut tasks = tokio::task::JoinSet::new();
    for pusher in 0..PUSHERS {
        let handler = Arc::clone(&handler);
        tasks.spawn(async move {
            for i in 0..EACH {
                assert!(handler.push(&Arc::new(sample_receipt(pusher * 1000 + i))).is_accepted());
                tokio::task::yield_now().await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("pusher finished");
    }
    handler.stop(GRACE).await;
    let text = seen.text();
    let seqs: Vec<u64> = text
        .lines()
        .map(|l| match parse_line(l) {
            Ok(Line::Receipt(r)) => r.payload.seq,
            other => panic!("not a whole receipt line: {l:?} ({other:?})"),
        })
        .collect();
    assert_eq!(seqs.len() as u64, PUSHERS * EACH);
    for pusher in 0..PUSHERS {
        let mine: Vec<u64> = seqs.iter().copied().filter(|s| s / 1000 == pusher).collect();
        assert_eq!(
            mine,
            (0..EACH).map(|i| pusher * 1000 + i).collect::<Vec<_>>(),
            "pusher {pusher}"
        );
    }
}

#[tokio::test]
async fn a_broken_pipe_is_a_counted_failure_and_the_handler_keeps_going() {
    let (tx, rx) = tokio::net::unix::pipe::pipe().expect("os pipe");
    drop(rx);
    let handler = Arc::new(StdoutHandler::with_writer(tx));
    assert!(matches!(handler.init(&json!({"enabled": true})).await, Ok(true)));
    for seq in 0..3 {
        assert!(handler.push(&Arc::new(sample_receipt(seq))).is_accepted());
    }
    handler.stop(GRACE).await;
    assert_eq!(handler.counters(), Counters { accepted: 3, failed: 3, ..Counters::default() });
}

#[tokio::test]
async fn a_failed_write_does_not_stop_the_lines_after_it() {
    let (writer, seen) = GateWriter::new(usize::MAX);
    seen.fail_next(1);
    let handler = started(writer, 8).await;
    for seq in 0..3 {
        handler.push(&Arc::new(sample_receipt(seq)));
    }
    handler.stop(GRACE).await;
    assert_eq!(
        handler.counters(),
        Counters { accepted: 3, delivered: 2, failed: 1, ..Counters::default() }
    );
    let seqs: Vec<u64> = seen
        .text()
        .lines()
        .map(|l| match parse_line(l) {
            Ok(Line::Receipt(r)) => r.payload.seq,
            other => panic!("{l:?}: {other:?}"),
        })
        .collect();
    assert_eq!(seqs, [1, 2]);
}

#[test]
fn bad_lines_are_refused() {
    let cases = [
        ("", "EOF"),
        ("not json", "expected"),
        (
            r#"{"to":{},"payload":{"what":"nope","ts":"2024-01-02T03:04:05Z"}}"#,
            "unknown variant `nope`",
        ),
        (r#"{"Uid":"usrA"}"#, "neither a device nor a channel"),
        ("42", "invalid type: integer `42`, expected a channel request object"),
    ];
    for (line, word) in cases {
        match parse_line(line) {
            Ok(parsed) => panic!("{line:?} parsed as {parsed:?}"),
            Err(e) => assert!(e.to_string().contains(word), "{line:?}: {e}"),
        }
    }
}

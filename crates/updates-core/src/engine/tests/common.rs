//! Research §7 scenarios for the common pts, qts and seq boxes (#1–#26,
//! #50, #51): exact RPC list, deliveries and final state.

use super::harness::*;
use crate::error::ClientError;
use crate::tl::*;

fn s100() -> State {
    state(100, 0, 1, 0)
}

#[test]
fn s01_in_order_pts() {
    let mut sim = Sim::new(s100());
    sim.push(sh(nm(101)));
    sim.push(sh(nm(102)));
    sim.push(sh(ed(103, 101)));
    assert_eq!(sim.delivered, ["m101", "m102", "ed103"]);
    assert_eq!(sim.engine.state().pts, 103);
    assert_eq!(sim.last_common().map(|s| s.pts), Some(103));
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn s02_multi_count() {
    let mut sim = Sim::new(s100());
    sim.push(sh(Update::DeleteMessages { messages: vec![1, 2, 3, 4, 5], pts: 105, pts_count: 5 }));
    assert_eq!(sim.delivered, ["dm105"]);
    assert_eq!(sim.engine.state().pts, 105);
}

#[test]
fn s03_duplicates_dropped() {
    let mut sim = Sim::new(s100());
    for u in [nm(101), nm(102), ed(103, 101), nm(102), ed(103, 101), nm(101)] {
        sim.push(sh(u));
    }
    assert_eq!(sim.delivered, ["m101", "m102", "ed103"]);
    assert_eq!(sim.engine.state().pts, 103);
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn s04_reorder_within_window() {
    let mut sim = Sim::new(s100());
    sim.push(sh(nm(102)));
    assert!(sim.delivered.is_empty());
    sim.advance(200);
    sim.push(sh(nm(101)));
    assert_eq!(sim.delivered, ["m101", "m102"]);
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
    assert_eq!(sim.engine.state().pts, 102);
    assert_eq!(sim.engine.pending(), 0);
}

#[test]
fn s05_multi_hole_fill() {
    let mut sim = Sim::new(s100());
    for (p, wait) in [(104, 100), (102, 100), (103, 100), (101, 0)] {
        sim.push(sh(nm(p)));
        sim.advance(wait);
    }
    assert_eq!(sim.delivered, ["m101", "m102", "m103", "m104"]);
    assert_eq!(sim.engine.state().pts, 104);
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn s06_gap_not_filled() {
    let mut sim = Sim::new(s100());
    sim.push(sh(nm(102)));
    sim.advance(499);
    assert!(sim.rpcs.is_empty());
    sim.advance(1);
    assert_eq!(sim.rpcs, [(500, Rpc::Gd { pts: 100, qts: 0, date: 1 })]);
    sim.answer_diff(Ok(diff(vec![msg(101), msg(102)], vec![], state(102, 0, 2, 0))));
    assert_eq!(sim.delivered, ["m101", "m102"]);
    assert_eq!(sim.engine.state().pts, 102);
    assert_eq!(sim.engine.pending(), 0);
    assert_eq!(sim.last_common(), Some(state(102, 0, 2, 0)));
    sim.advance(2000);
    assert_eq!(sim.rpcs.len(), 1);
}

#[test]
fn s07_window_not_extended() {
    let mut sim = Sim::new(s100());
    sim.push(sh(nm(102)));
    sim.advance(400);
    sim.push(sh(nm(104)));
    sim.advance(100);
    assert_eq!(sim.rpcs, [(500, Rpc::Gd { pts: 100, qts: 0, date: 1 })]);
}

#[test]
fn partial_fill_rearms_the_deadline() {
    // 102 and 104 buffered; 101 fills the first hole at +300: the window
    // for the remaining hole (103) starts again then, and 104 is never
    // stranded waiting for an unrelated update.
    let mut sim = Sim::new(s100());
    sim.push(sh(nm(102)));
    sim.push(sh(nm(104)));
    sim.advance(300);
    sim.push(sh(nm(101)));
    assert_eq!(sim.delivered, ["m101", "m102"]);
    sim.advance(499);
    assert!(sim.rpcs.is_empty());
    sim.advance(1);
    assert_eq!(sim.rpcs, [(800, Rpc::Gd { pts: 102, qts: 0, date: 1 })]);
    sim.answer_diff(Ok(diff(vec![msg(103), msg(104)], vec![], state(104, 0, 1, 0))));
    assert_eq!(sim.delivered, ["m101", "m102", "m103", "m104"]);
}

#[test]
fn s10_updates_during_get_difference() {
    let mut sim = Sim::new(s100());
    sim.push(Updates::TooLong);
    assert_eq!(sim.rpc_list(), [Rpc::Gd { pts: 100, qts: 0, date: 1 }]);
    sim.push(sh(nm(104)));
    sim.push(sh(nm(106)));
    assert!(sim.delivered.is_empty());
    let msgs = (101..=105).map(msg).collect();
    sim.answer_diff(Ok(diff(msgs, vec![], state(105, 0, 1, 0))));
    assert_eq!(sim.delivered, ["m101", "m102", "m103", "m104", "m105", "m106"]);
    assert_eq!(sim.engine.state().pts, 106);
    sim.advance(2000);
    assert_eq!(sim.rpcs.len(), 1);
}

#[test]
fn s11_difference_slice_paging() {
    let mut sim = Sim::new(state(100, 0, 10, 0));
    sim.push(Updates::TooLong);
    let page1 = DifferenceBody {
        new_messages: (101..=150).map(msg).collect(),
        state: state(150, 0, 20, 0),
        ..DifferenceBody::default()
    };
    sim.answer_diff(Ok(Difference::Slice(page1)));
    assert_eq!(sim.last_common().map(|s| s.pts), Some(150));
    sim.answer_diff(Ok(diff((151..=160).map(msg).collect(), vec![], state(160, 0, 30, 0))));
    assert_eq!(
        sim.rpc_list(),
        [Rpc::Gd { pts: 100, qts: 0, date: 10 }, Rpc::Gd { pts: 150, qts: 0, date: 20 }]
    );
    let expected: Vec<String> = (101..=160).map(|i| format!("m{i}")).collect();
    assert_eq!(sim.delivered, expected);
    assert_eq!(sim.last_common().map(|s| s.pts), Some(160));
}

#[test]
fn slice_without_progress_stops_with_a_typed_error() {
    let mut sim = Sim::new(state(100, 0, 10, 0));
    sim.push(Updates::TooLong);
    let same = DifferenceBody { state: state(100, 0, 10, 0), ..DifferenceBody::default() };
    sim.answer_diff(Ok(Difference::Slice(same)));
    assert_eq!(sim.rpcs.len(), 1, "no second page");
    assert!(sim.events.iter().any(|e| e.contains("made no progress")), "{:?}", sim.events);
}

#[test]
fn slice_paging_stops_at_the_page_cap() {
    let mut cfg = crate::engine::EngineConfig::new(false);
    cfg.max_pages = 3;
    let mut sim = Sim::with(cfg, state(100, 0, 10, 0), |_| {});
    sim.push(Updates::TooLong);
    for page in 1..=3 {
        let body = DifferenceBody {
            new_messages: vec![msg(100 + page)],
            state: state(100 + page, 0, 10, 0),
            ..DifferenceBody::default()
        };
        sim.answer_diff(Ok(Difference::Slice(body)));
    }
    assert_eq!(sim.rpcs.len(), 3);
    assert!(sim.events.iter().any(|e| e.contains("after 3 pages")), "{:?}", sim.events);
    assert_eq!(sim.delivered, ["m101", "m102", "m103"]);
}

#[test]
fn s13_difference_too_long() {
    let mut sim = Sim::new(s100());
    sim.push(Updates::TooLong);
    sim.answer_diff(Ok(Difference::TooLong { pts: 5000 }));
    sim.answer_diff(Ok(Difference::Empty { date: 99, seq: 7 }));
    assert_eq!(sim.events, ["too_long"]);
    assert!(sim.delivered.is_empty());
    assert_eq!(sim.engine.state(), state(5000, 0, 99, 7));
    assert_eq!(sim.last_common(), Some(state(5000, 0, 99, 7)));
    assert_eq!(
        sim.rpc_list(),
        [Rpc::Gd { pts: 100, qts: 0, date: 1 }, Rpc::Gd { pts: 5000, qts: 0, date: 1 }]
    );
}

#[test]
fn s14_difference_empty_on_idle() {
    let mut sim = Sim::new(state(100, 0, 1000, 7));
    sim.jump();
    assert_eq!(sim.rpcs, [(15 * 60 * 1000, Rpc::Gd { pts: 100, qts: 0, date: 1000 })]);
    sim.answer_diff(Ok(Difference::Empty { date: 2000, seq: 9 }));
    assert_eq!(sim.engine.state(), state(100, 0, 2000, 9));
}

#[test]
fn s15_any_update_resets_idle() {
    let mut sim = Sim::new(s100());
    for _ in 0..6 {
        sim.now += std::time::Duration::from_secs(10 * 60);
        sim.run();
        sim.push(sh(status()));
    }
    assert!(sim.rpcs.is_empty(), "{:?}", sim.rpcs);
    assert_eq!(sim.delivered.len(), 6);
}

#[test]
fn s16_pts_changed() {
    let mut sim = Sim::new(s100());
    sim.push(Updates::full(vec![Update::PtsChanged], 0, 0));
    assert_eq!(sim.rpc_list(), [Rpc::Gd { pts: 100, qts: 0, date: 1 }]);
    sim.answer_diff(Ok(Difference::Empty { date: 5, seq: 0 }));
    assert!(sim.delivered.is_empty());
}

#[test]
fn s17_s18_seq_in_order_date_never_decreases_and_duplicates() {
    let mut sim = Sim::new(state(100, 0, 50, 10));
    sim.push(Updates::full(vec![nm(101)], 60, 11));
    sim.push(Updates::full(vec![nm(102)], 55, 12));
    assert_eq!(sim.delivered, ["m101", "m102"]);
    assert_eq!(sim.engine.state(), state(102, 0, 60, 12));
    sim.push(Updates::full(vec![status()], 70, 12));
    assert_eq!(sim.delivered.len(), 2);
    assert_eq!(sim.engine.state(), state(102, 0, 60, 12));
    assert_eq!(sim.last_common(), Some(state(102, 0, 60, 12)));
}

#[test]
fn s19_seq_gap_filled() {
    let mut sim = Sim::new(state(100, 0, 1, 10));
    sim.push(Updates::full(vec![nm(102)], 1, 12));
    sim.advance(100);
    sim.push(Updates::full(vec![nm(101)], 1, 11));
    assert_eq!(sim.delivered, ["m101", "m102"]);
    assert_eq!(sim.engine.state().seq, 12);
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn s20_seq_gap_not_filled_fetches_after_the_window() {
    let mut sim = Sim::new(state(100, 0, 1, 10));
    sim.push(Updates::full(vec![nm(101)], 1, 12));
    sim.advance(500);
    assert_eq!(sim.rpcs, [(500, Rpc::Gd { pts: 100, qts: 0, date: 1 })]);
    sim.answer_diff(Ok(diff(vec![msg(101)], vec![], state(101, 0, 1, 12))));
    assert_eq!(sim.delivered, ["m101"]);
    assert_eq!(sim.engine.state().seq, 12);
    assert_eq!(sim.engine.pending(), 0);
}

#[test]
fn s21_updates_combined_range() {
    let mut sim = Sim::new(state(100, 0, 1, 10));
    let c = |start, seq, ups| Updates::Combined {
        updates: ups,
        users: vec![],
        chats: vec![],
        date: 1,
        seq_start: start,
        seq,
    };
    sim.push(c(11, 13, vec![nm(101), nm(102), nm(103)]));
    assert_eq!(sim.engine.state().seq, 13);
    sim.push(c(12, 14, vec![status()]));
    assert_eq!(sim.delivered, ["m101", "m102", "m103"]);
    assert_eq!(sim.engine.state().seq, 13);
}

#[test]
fn s22_seq_zero_container() {
    let mut sim = Sim::new(state(100, 0, 50, 10));
    sim.push(Updates::full(vec![nm(101)], 70, 0));
    assert_eq!(sim.delivered, ["m101"]);
    assert_eq!(sim.engine.state(), state(101, 0, 70, 10));
}

#[test]
fn s23_qts_in_order_and_gap() {
    let mut sim = Sim::new(state(100, 50, 1, 0));
    sim.push(sh(enc(51)));
    sim.push(sh(enc(53)));
    sim.advance(100);
    sim.push(sh(enc(52)));
    assert_eq!(sim.delivered, ["q51", "q52", "q53"]);
    assert_eq!(sim.last_common().map(|s| s.qts), Some(53));
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn s24_qts_gap_fetches_difference() {
    let mut sim = Sim::new(state(100, 50, 1, 0));
    sim.push(sh(enc(52)));
    sim.advance(500);
    assert_eq!(sim.rpcs, [(500, Rpc::Gd { pts: 100, qts: 50, date: 1 })]);
    let body = DifferenceBody {
        new_encrypted_messages: vec![serde_json::json!("x51"), serde_json::json!("x52")],
        state: state(100, 52, 1, 0),
        ..DifferenceBody::default()
    };
    sim.answer_diff(Ok(Difference::Difference(body)));
    assert_eq!(sim.delivered, ["q51", "q52"], "positions restored from the state");
    assert_eq!(sim.engine.state().qts, 52);
    assert_eq!(sim.engine.pending(), 0);
}

#[test]
fn s25_zero_sentinels_never_move_a_box() {
    let mut sim = Sim::new(state(100, 50, 1, 0));
    let business =
        Update::Qts { kind: QtsKind::BotNewBusinessMessage, qts: 0, payload: serde_json::json!(0) };
    sim.push(sh(business));
    sim.engine.handle_affected(None, 0, 0, sim.now);
    sim.run();
    sim.push(sh(Update::new_message(7, 555, 0)));
    assert_eq!(sim.delivered, ["e0", "m7"]);
    assert_eq!(sim.engine.state(), state(100, 50, 1, 0));
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn s26_affected_pts_fills_a_gap() {
    let mut sim = Sim::new(state(4416, 0, 1, 0));
    sim.push(sh(ed(4418, 777)));
    assert!(sim.delivered.is_empty());
    sim.engine.handle_affected(None, 4417, 1, sim.now);
    sim.run();
    assert_eq!(sim.delivered, ["ed4418"]);
    assert_eq!(sim.engine.state().pts, 4418);
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn difference_other_updates_are_delivered_directly() {
    // gotd#1853: an edit in other_updates must not be re-run through the
    // box (its pts are covered by new_messages that bypass the box).
    let mut sim = Sim::new(s100());
    sim.push(Updates::TooLong);
    sim.answer_diff(Ok(diff(
        vec![msg(101)],
        vec![ed(102, 101), ed(103, 101)],
        state(103, 0, 1, 0),
    )));
    assert_eq!(sim.delivered, ["m101", "ed102", "ed103"]);
    sim.advance(2000);
    assert_eq!(sim.rpcs.len(), 1, "no spurious second difference");
}

#[test]
fn failed_difference_is_retried_with_backoff() {
    let mut sim = Sim::new(s100());
    sim.push(Updates::TooLong);
    sim.answer_diff(Err(ClientError::Rpc(RpcError::new(420, "FLOOD_WAIT_3"))));
    sim.push(sh(nm(101)));
    assert_eq!(sim.delivered, ["m101"], "live updates keep flowing during the backoff");
    sim.advance(2999);
    assert_eq!(sim.rpcs.len(), 1);
    sim.advance(1);
    assert_eq!(sim.rpcs[1], (3000, Rpc::Gd { pts: 101, qts: 0, date: 1 }));
    assert!(sim.events[0].contains("getDifference failed"));
}

#[test]
fn s50_short_message_unknown_then_known_user() {
    let mut sim = Sim::new(s100());
    let short = |id, pts| {
        Updates::ShortMessage(ShortMessage {
            id,
            user_id: 555,
            pts,
            pts_count: 1,
            date: 5,
            ..ShortMessage::default()
        })
    };
    sim.push(short(1, 101));
    assert!(sim.delivered.is_empty());
    assert_eq!(sim.rpc_list(), [Rpc::Gd { pts: 100, qts: 0, date: 1 }]);
    let body = DifferenceBody {
        new_messages: vec![msg(1)],
        users: vec![User {
            id: 555,
            access_hash: Some(5),
            min: false,
            payload: serde_json::Value::Null,
        }],
        state: state(101, 0, 5, 0),
        ..DifferenceBody::default()
    };
    sim.answer_diff(Ok(Difference::Difference(body)));
    assert_eq!(sim.delivered, ["m1"]);
    assert_eq!(sim.batches[0].users.len(), 1, "the user travels with the message");
    sim.push(short(2, 102));
    assert_eq!(sim.delivered, ["m1", "m2"]);
    match &sim.batches[1].updates[0] {
        Update::NewMessage { message, .. } => assert_eq!(message.from_id, Some(Peer::User(555))),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.rpcs.len(), 1);
}

#[test]
fn s51_short_sent_message_moves_pts_only() {
    let mut sim = Sim::new(s100());
    sim.push(Updates::ShortSentMessage(ShortSentMessage {
        out: true,
        id: 9,
        pts: 101,
        pts_count: 1,
        date: 3,
        ..ShortSentMessage::default()
    }));
    assert!(sim.delivered.is_empty());
    assert_eq!(sim.engine.state().pts, 101);
    sim.push(sh(nm(102)));
    assert_eq!(sim.delivered, ["m102"]);
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn malformed_input_is_reported_and_delivered() {
    let mut sim = Sim::new(s100());
    sim.push(sh(Update::NewChannelMessage { message: msg(1), pts: 5, pts_count: 1 }));
    sim.push(sh(Update::NewMessage { message: msg(2), pts: 101, pts_count: -1 }));
    sim.push(Updates::Combined {
        updates: vec![status()],
        users: vec![],
        chats: vec![],
        date: 1,
        seq_start: 5,
        seq: 3,
    });
    assert_eq!(sim.delivered.len(), 3);
    assert_eq!(sim.events.iter().filter(|e| e.starts_with("report:malformed")).count(), 3);
    assert_eq!(sim.engine.state().pts, 100);
}

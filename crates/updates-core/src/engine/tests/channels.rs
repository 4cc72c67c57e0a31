//! Research §7 channel scenarios (#27–#40) plus the peers' channel bugs:
//! exact RPC list, deliveries and final state.

use super::harness::*;
use crate::engine::EngineConfig;
use crate::error::ClientError;
use crate::tl::*;

fn cfg() -> EngineConfig {
    EngineConfig { catch_up_channels: false, ..EngineConfig::new(false) }
}

/// S{100}; channel 7 at pts 20 with hash 77.
fn sim7(cfg: EngineConfig) -> Sim {
    Sim::with(cfg, state(100, 0, 1, 0), |sim| sim.engine.load_channel(7, 20, 77, sim.now))
}

fn cdiff(
    is_final: bool,
    pts: i32,
    msgs: std::ops::RangeInclusive<i32>,
    c: i64,
) -> ChannelDifference {
    ChannelDifference::Difference {
        is_final,
        pts,
        timeout: None,
        new_messages: msgs.map(|i| cmsg(c, i)).collect(),
        other_updates: vec![],
        chats: vec![],
        users: vec![],
    }
}

fn gcd(channel: i64, pts: i32) -> Rpc {
    Rpc::Gcd { channel, pts, limit: 100, hash: channel * 11 }
}

#[test]
fn s27_channel_in_order() {
    let mut sim = sim7(cfg());
    sim.push(sh(cnm(7, 21)));
    sim.push(sh(cnm(7, 22)));
    sim.push(sh(Update::ReadChannelInbox { channel_id: 7, max_id: 22, pts: 22 }));
    assert_eq!(sim.delivered, ["c7:21", "c7:22", "rci7:22"]);
    assert_eq!(sim.engine.channel_pts(7), Some(22));
    assert_eq!(sim.last_channel(7), Some(22));
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn s30_channel_paging() {
    let mut sim = sim7(cfg());
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    sim.answer_channel(7, Ok(cdiff(false, 120, 21..=120, 7)));
    assert_eq!(sim.last_channel(7), Some(120));
    sim.answer_channel(7, Ok(cdiff(true, 150, 121..=150, 7)));
    assert_eq!(sim.rpc_list(), [gcd(7, 20), gcd(7, 120)]);
    let expected: Vec<String> = (21..=150).map(|i| format!("c7:{i}")).collect();
    assert_eq!(sim.delivered, expected);
    assert_eq!(sim.engine.channel_pts(7), Some(150));
}

#[test]
fn s31_bot_limit() {
    let mut sim = sim7(EngineConfig { catch_up_channels: false, ..EngineConfig::new(true) });
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    assert_eq!(sim.rpc_list(), [Rpc::Gcd { channel: 7, pts: 20, limit: 100_000, hash: 77 }]);
}

#[test]
fn s32_channel_difference_too_long() {
    let mut sim = sim7(cfg());
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    sim.answer_channel(
        7,
        Ok(ChannelDifference::TooLong {
            is_final: true,
            timeout: None,
            dialog: Dialog {
                peer: Some(Peer::Channel(7)),
                pts: Some(9000),
                payload: serde_json::Value::Null,
            },
            messages: vec![cmsg(7, 8999), cmsg(7, 9000)],
            chats: vec![],
            users: vec![],
        }),
    );
    assert_eq!(sim.events, ["channel_too_long:7"]);
    assert!(sim.delivered.is_empty());
    assert_eq!(sim.engine.channel_pts(7), Some(9000));
    assert_eq!(sim.last_channel(7), Some(9000));
    sim.push(sh(cnm(7, 9001)));
    assert_eq!(sim.delivered, ["c7:9001"]);
    assert_eq!(sim.rpcs.len(), 1);
}

#[test]
fn s33_channel_too_long_with_pts_fetches_from_local() {
    let mut sim = sim7(cfg());
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: Some(5000) }));
    assert_eq!(sim.rpc_list(), [gcd(7, 20)]);
}

#[test]
fn s35_unknown_channel_hash_in_envelope() {
    let mut sim = Sim::new(state(100, 0, 1, 0));
    sim.push(Updates::Full {
        updates: vec![cnm(9, 501)],
        users: vec![],
        chats: vec![Chat::channel(9, 99)],
        date: 1,
        seq: 0,
    });
    assert_eq!(sim.saved_hashes, [(9, 99)]);
    assert_eq!(sim.rpc_list(), [gcd(9, 500)]);
    assert_eq!(sim.last_channel(9), Some(500), "created at pts - count and persisted");
    assert!(sim.delivered.is_empty());
    sim.answer_channel(9, Ok(cdiff(true, 501, 501..=501, 9)));
    assert_eq!(sim.delivered, ["c9:501"]);
    assert_eq!(sim.engine.channel_pts(9), Some(501));
    assert_eq!(sim.engine.pending(), 0);
}

#[test]
fn s37_unknown_channel_hash_via_peek() {
    let mut sim = Sim::new(state(100, 0, 900, 0));
    let mut u = cnm(11, 77);
    if let Update::NewChannelMessage { message, .. } = &mut u {
        message.date = 1000;
    }
    sim.push(Updates::short(u, 1000));
    assert_eq!(sim.rpc_list(), [Rpc::Peek { channel: 11, pts: 100, qts: 0, date: 999 }]);
    let peek = DifferenceBody {
        new_messages: vec![msg(101)],
        chats: vec![Chat::channel(11, 121)],
        state: state(101, 0, 1000, 0),
        ..DifferenceBody::default()
    };
    sim.answer_peek(11, Ok(Difference::Difference(peek)));
    assert_eq!(sim.engine.state().pts, 100, "the peek is not applied");
    assert_eq!(sim.saved_hashes, [(11, 121)]);
    assert_eq!(sim.rpcs[1].1, gcd(11, 76));
    sim.answer_channel(11, Ok(cdiff(true, 77, 77..=77, 11)));
    assert_eq!(sim.delivered, ["c11:77"]);
}

#[test]
fn unknown_channel_without_any_hash_is_dropped_and_reported() {
    let mut sim = Sim::new(state(100, 0, 900, 0));
    sim.push(sh(cnm(12, 5)));
    sim.answer_peek(12, Ok(Difference::Empty { date: 1, seq: 0 }));
    assert!(
        sim.events.iter().any(|e| e.contains("no access hash for channel 12; 1 update(s) dropped"))
    );
    assert_eq!(sim.engine.channel_pts(12), None);
    assert_eq!(sim.rpcs.len(), 1);
}

#[test]
fn s38_channel_becomes_private() {
    let mut sim = sim7(cfg());
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    sim.answer_channel(7, Err(ClientError::Rpc(RpcError::new(406, "CHANNEL_PRIVATE"))));
    assert_eq!(sim.events, ["inaccessible:7"]);
    assert_eq!(sim.engine.channel_pts(7), None);
    assert_eq!(sim.engine.channels().count(), 0);
    sim.advance(60_000);
    assert_eq!(sim.rpcs.len(), 1, "no retry loop");
}

#[test]
fn s39_transient_channel_errors_back_off() {
    let mut sim = Sim::with(cfg(), state(100, 0, 1, 0), |sim| {
        sim.engine.load_channel(7, 20, 77, sim.now);
        sim.engine.load_channel(8, 40, 88, sim.now);
    });
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    sim.answer_channel(
        7,
        Err(ClientError::Rpc(RpcError::new(500, "PERSISTENT_TIMESTAMP_OUTDATED"))),
    );
    assert_eq!(sim.engine.channel_pts(7), Some(20));
    sim.push(sh(cnm(8, 41)));
    assert_eq!(sim.delivered, ["c8:41"], "other channels unaffected");
    sim.advance(999);
    assert_eq!(sim.rpcs.len(), 1);
    sim.advance(1);
    assert_eq!(sim.rpcs[1], (1000, gcd(7, 20)));
    sim.answer_channel(7, Err(ClientError::Transport("reset".into())));
    sim.advance(2000);
    assert_eq!(sim.rpcs.len(), 3, "second retry after 2 s");
    sim.answer_channel(7, Ok(ChannelDifference::Empty { is_final: true, pts: 20, timeout: None }));
    assert_eq!(sim.engine.channel_pts(7), Some(20));
    assert!(sim.engine.is_quiet());
}

#[test]
fn s40_channel_updates_inside_common_difference() {
    let mut sim = sim7(cfg());
    sim.push(Updates::TooLong);
    let body = DifferenceBody {
        other_updates: vec![cnm(7, 21)],
        chats: vec![Chat::channel(7, 77)],
        state: state(100, 0, 2, 0),
        ..DifferenceBody::default()
    };
    sim.answer_diff(Ok(Difference::Difference(body)));
    assert_eq!(sim.delivered, ["c7:21"]);
    assert_eq!(sim.engine.channel_pts(7), Some(21));
    assert_eq!(sim.rpc_list(), [Rpc::Gd { pts: 100, qts: 0, date: 1 }]);
}

#[test]
fn channel_gap_in_common_difference_is_fetched_at_once() {
    let mut sim = sim7(cfg());
    sim.push(Updates::TooLong);
    let body = DifferenceBody {
        other_updates: vec![cnm(7, 23)],
        state: state(100, 0, 2, 0),
        ..DifferenceBody::default()
    };
    sim.answer_diff(Ok(Difference::Difference(body)));
    assert_eq!(sim.rpcs[1], (0, gcd(7, 20)));
    sim.answer_channel(7, Ok(cdiff(true, 23, 21..=23, 7)));
    assert_eq!(sim.delivered, ["c7:21", "c7:22", "c7:23"]);
}

#[test]
fn channel_difference_other_updates_are_delivered() {
    // dropped by gotd, grammers and Telethon alike (research §2.14 #2)
    let mut sim = sim7(cfg());
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    let edit = Update::EditChannelMessage { message: cmsg(7, 21), pts: 22, pts_count: 1 };
    sim.answer_channel(
        7,
        Ok(ChannelDifference::Difference {
            is_final: true,
            pts: 22,
            timeout: Some(300),
            new_messages: vec![cmsg(7, 21)],
            other_updates: vec![edit],
            chats: vec![],
            users: vec![],
        }),
    );
    assert_eq!(sim.delivered.len(), 2);
    assert_eq!(sim.engine.channel_pts(7), Some(22));
}

#[test]
fn channel_timeout_is_not_a_cooldown() {
    // gotd#1852: a `timeout: 300` answer must not delay the next gap
    // recovery nor discard live updates.
    let mut sim = sim7(cfg());
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    sim.answer_channel(
        7,
        Ok(ChannelDifference::Empty { is_final: true, pts: 20, timeout: Some(300) }),
    );
    sim.push(sh(cnm(7, 22)));
    sim.advance(500);
    assert_eq!(sim.rpcs[1], (500, gcd(7, 20)));
    sim.push(sh(cnm(7, 23)));
    sim.answer_channel(7, Ok(cdiff(true, 22, 21..=22, 7)));
    assert_eq!(sim.delivered, ["c7:21", "c7:22", "c7:23"]);
}

#[test]
fn channel_reorder_within_window_needs_no_rpc() {
    let mut sim = sim7(cfg());
    sim.push(sh(cnm(7, 22)));
    sim.advance(300);
    sim.push(sh(cnm(7, 21)));
    assert_eq!(sim.delivered, ["c7:21", "c7:22"]);
    sim.advance(5000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn channel_affected_pts_fills_a_gap_and_untracked_is_ignored() {
    let mut sim = sim7(cfg());
    sim.push(sh(cnm(7, 22)));
    sim.engine.handle_affected(Some(7), 21, 1, sim.now);
    sim.engine.handle_affected(Some(99), 5, 1, sim.now);
    sim.run();
    assert_eq!(sim.delivered, ["c7:22"]);
    assert_eq!(sim.engine.channel_pts(99), None);
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

#[test]
fn concurrent_channel_differences_are_capped() {
    let cfg = EngineConfig { max_channel_diffs: 2, ..EngineConfig::new(false) };
    let sim = Sim::with(cfg, state(100, 0, 1, 0), |sim| {
        for c in 1..=6 {
            sim.engine.load_channel(c, 10, c * 11, sim.now);
        }
    });
    // catch-up at start: only two in flight at a time
    let in_flight =
        |sim: &Sim| sim.rpcs.iter().filter(|(_, r)| matches!(r, Rpc::Gcd { .. })).count();
    let mut sim = sim;
    let mut answered = 0;
    // startup already issued 2 (they were cleared from the log by Sim::with)
    assert_eq!(in_flight(&sim), 0);
    let mut order = Vec::new();
    for c in 1..=6 {
        sim.answer_channel(
            c,
            Ok(ChannelDifference::Empty { is_final: true, pts: 10, timeout: None }),
        );
        answered += 1;
        order.extend(sim.rpcs.drain(..).map(|(_, r)| r));
    }
    assert_eq!(answered, 6);
    assert_eq!(order, [gcd(3, 10), gcd(4, 10), gcd(5, 10), gcd(6, 10)]);
    assert!(sim.engine.is_quiet());
}

#[test]
fn idle_channels_cost_no_rpcs() {
    let mut sim = Sim::with(cfg(), state(100, 0, 1, 0), |sim| {
        for c in 1..=1000 {
            sim.engine.load_channel(c, 10, c * 11, sim.now);
        }
    });
    for _ in 0..4 {
        sim.jump();
        if let Some((_, Rpc::Gd { .. })) = sim.rpcs.last() {
            sim.answer_diff(Ok(Difference::Empty { date: 1, seq: 0 }));
        }
    }
    assert_eq!(sim.ms(), 4 * 15 * 60 * 1000);
    assert!(sim.rpcs.iter().all(|(_, r)| matches!(r, Rpc::Gd { .. })), "{:?}", &sim.rpcs[..3]);
    assert_eq!(sim.rpcs.len(), 4, "one getDifference per idle timeout");
}

#[test]
fn channel_polling_is_opt_in_and_spread() {
    let cfg = EngineConfig {
        channel_poll: Some(std::time::Duration::from_secs(60)),
        catch_up_channels: false,
        ..EngineConfig::new(false)
    };
    let mut sim = Sim::with(cfg, state(100, 0, 1, 0), |sim| {
        for c in 0..4 {
            sim.engine.load_channel(c * 256, 10, 5, sim.now);
        }
    });
    sim.advance(60_000);
    assert_eq!(sim.rpcs.len(), 1, "only the first channel is due at 60 s");
    sim.advance(60_000);
    assert_eq!(sim.rpcs.len(), 4);
}

#[test]
fn min_hashes_are_backfilled_and_never_stored() {
    let mut sim = sim7(cfg());
    let min =
        Chat::Channel { id: 7, access_hash: Some(-1), min: true, payload: serde_json::Value::Null };
    sim.push(Updates::Full {
        updates: vec![cnm(7, 21)],
        users: vec![],
        chats: vec![min],
        date: 1,
        seq: 0,
    });
    assert_eq!(sim.delivered, ["c7:21"]);
    assert!(sim.saved_hashes.is_empty(), "a min hash must not be stored");
    match &sim.batches[0].chats[..] {
        [Chat::Channel { access_hash, min, .. }] => {
            assert_eq!(*access_hash, Some(77), "known full hash backfilled");
            assert!(*min, "the min flag stays set");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_channel_with_only_a_min_hash_is_peeked() {
    let mut sim = Sim::new(state(100, 0, 900, 0));
    let min =
        Chat::Channel { id: 9, access_hash: Some(-1), min: true, payload: serde_json::Value::Null };
    sim.push(Updates::Full {
        updates: vec![cnm(9, 501)],
        users: vec![],
        chats: vec![min],
        date: 950,
        seq: 0,
    });
    assert_eq!(sim.rpc_list(), [Rpc::Peek { channel: 9, pts: 100, qts: 0, date: 920 }]);
    assert!(sim.saved_hashes.is_empty());
}

#[test]
fn channel_paging_requires_progress() {
    let mut sim = sim7(cfg());
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    let empty_page = ChannelDifference::Difference {
        is_final: false,
        pts: 20,
        timeout: None,
        new_messages: vec![],
        other_updates: vec![],
        chats: vec![],
        users: vec![],
    };
    sim.answer_channel(7, Ok(empty_page));
    assert_eq!(sim.rpcs.len(), 1, "no second page without progress");
    assert!(
        sim.events.iter().any(|e| e.contains("made no progress at pts 20")),
        "{:?}",
        sim.events
    );
    assert!(sim.engine.is_quiet());
}

#[test]
fn channel_paging_stops_at_the_page_cap() {
    let mut sim = sim7(EngineConfig { max_pages: 2, ..cfg() });
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    sim.answer_channel(7, Ok(cdiff(false, 21, 21..=21, 7)));
    sim.answer_channel(7, Ok(cdiff(false, 22, 22..=22, 7)));
    assert_eq!(sim.rpc_list(), [gcd(7, 20), gcd(7, 21)]);
    assert!(sim.events.iter().any(|e| e.contains("after 2 pages")), "{:?}", sim.events);
    assert_eq!(sim.delivered, ["c7:21", "c7:22"]);
    assert_eq!(sim.engine.channel_pts(7), Some(22));
    // the next trigger continues from where paging stopped
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    assert_eq!(sim.rpcs[2].1, gcd(7, 22));
}

#[test]
fn inaccessible_channel_costs_at_most_one_call_per_later_update() {
    let mut sim = sim7(cfg());
    sim.storage.insert(7, (Some(20), Some(77)));
    sim.push(sh(Update::ChannelTooLong { channel_id: 7, pts: None }));
    sim.answer_channel(7, Err(ClientError::Rpc(RpcError::new(406, "CHANNEL_PRIVATE"))));
    sim.push(sh(cnm(7, 22)));
    assert_eq!(sim.rpcs.len(), 2, "re-adopted once for the new update");
    sim.answer_channel(7, Err(ClientError::Rpc(RpcError::new(406, "CHANNEL_PRIVATE"))));
    sim.advance(60_000);
    assert_eq!(sim.rpcs.len(), 2);
    assert_eq!(sim.events, ["inaccessible:7", "inaccessible:7"]);
    assert!(sim.delivered.is_empty());
}

#[test]
fn failed_peek_is_retried_and_nothing_is_lost() {
    let mut sim = Sim::new(state(100, 0, 900, 0));
    sim.push(sh(cnm(12, 5)));
    assert_eq!(sim.rpcs.len(), 1);
    sim.answer_peek(12, Err(ClientError::Transport("timeout".into())));
    assert!(sim.engine.pending() == 1, "the update is kept");
    sim.advance(999);
    assert_eq!(sim.rpcs.len(), 1);
    sim.advance(1);
    assert!(matches!(sim.rpcs[1], (1000, Rpc::Peek { channel: 12, .. })), "{:?}", sim.rpcs);
    let peek = DifferenceBody {
        chats: vec![Chat::channel(12, 132)],
        state: state(100, 0, 900, 0),
        ..DifferenceBody::default()
    };
    sim.answer_peek(12, Ok(Difference::Difference(peek)));
    assert_eq!(sim.rpcs[2].1, gcd(12, 4));
    sim.answer_channel(12, Ok(cdiff(true, 5, 5..=5, 12)));
    assert_eq!(sim.delivered, ["c12:5"]);
}

#[test]
fn peek_gives_up_after_the_attempt_limit() {
    let mut sim = Sim::new(state(100, 0, 900, 0));
    sim.push(sh(cnm(12, 5)));
    for _ in 0..crate::engine::PEEK_ATTEMPTS {
        sim.answer_peek(12, Err(ClientError::Transport("timeout".into())));
        sim.advance(61_000);
    }
    assert_eq!(sim.rpcs.len(), crate::engine::PEEK_ATTEMPTS as usize);
    assert!(
        sim.events.iter().any(|e| e.contains("no access hash for channel 12")),
        "{:?}",
        sim.events
    );
    assert_eq!(sim.engine.pending(), 0);
}

#[test]
fn channel_updates_do_not_wait_behind_a_seq_gap() {
    let mut sim =
        Sim::with(cfg(), state(100, 0, 1, 10), |sim| sim.engine.load_channel(7, 20, 77, sim.now));
    sim.push(Updates::full(vec![cnm(7, 21), nm(101)], 1, 12));
    assert_eq!(
        sim.delivered,
        ["c7:21"],
        "the channel update is applied, the rest waits for seq 11"
    );
    sim.push(Updates::full(vec![status()], 1, 11));
    assert_eq!(sim.delivered, ["c7:21", "other:status", "m101"]);
    assert_eq!(sim.engine.state().seq, 12);
    sim.advance(2000);
    assert!(sim.rpcs.is_empty());
}

//! Model-based test of a hub: random offers (to one lane, or to every
//! running lane at once, including the saturated lock-free path), takes,
//! deliveries, starts, closes, retirement and counter reads on two lanes
//! against a plain model; plus wake-ups and the one-lock fan-out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Wake;

use proptest::prelude::*;

use super::*;
use crate::{Action, ChannelTarget, Payload, Timestamp};

fn receipt(seq: u64) -> Arc<Receipt> {
    let mut payload = Payload::new(Action::Msg, "grpX", "usrA", Timestamp::UNIX_EPOCH);
    payload.seq = seq;
    Arc::new(Receipt::new(payload))
}

fn request(seq: u64) -> Arc<ChannelReq> {
    let target = ChannelTarget::Channel(format!("chn{seq}"));
    Arc::new(ChannelReq::new("usrA", target, false).unwrap_or_else(|e| panic!("valid: {e}")))
}

fn seq_of(req: &ChannelReq) -> u64 {
    match req.target() {
        ChannelTarget::Channel(id) => id[3..].parse().unwrap_or(u64::MAX),
        ChannelTarget::Device(_) => u64::MAX,
    }
}

/// Counts its wake-ups.
#[derive(Default)]
struct Counting(AtomicUsize);

impl Wake for Counting {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn take(lane: &LaneRef, batch: &mut Batch, wakes: &Arc<Counting>) -> Poll<bool> {
    let waker = Waker::from(Arc::clone(wakes));
    lane.poll_take(batch, &mut Context::from_waker(&waker))
}

#[derive(Debug, Clone)]
enum Op {
    Claim(usize, Option<usize>),
    Offer { lane: usize, channel: bool, only_if_running: bool },
    OfferAll { channel: bool },
    Take(usize),
    Finish(usize),
    Close(usize),
    Retire(usize),
    Read,
}

/// How many lanes the model drives (plus one that is never started).
const LANES: usize = 2;

fn op() -> impl Strategy<Value = Op> {
    let lane = 0..LANES;
    prop_oneof![
        1 => (lane.clone(), prop::option::of(1usize..4)).prop_map(|(l, c)| Op::Claim(l, c)),
        4 => (lane.clone(), any::<bool>(), any::<bool>()).prop_map(|(lane, channel, only_if_running)| {
            Op::Offer { lane, channel, only_if_running }
        }),
        8 => any::<bool>().prop_map(|channel| Op::OfferAll { channel }),
        2 => lane.clone().prop_map(Op::Take),
        3 => lane.clone().prop_map(Op::Finish),
        1 => lane.clone().prop_map(Op::Close),
        1 => lane.prop_map(Op::Retire),
        2 => Just(Op::Read),
    ]
}

/// What one lane should hold and have counted.
#[derive(Debug, Default)]
struct Model {
    state: Option<State>,
    capacity: usize,
    receipts: VecDeque<u64>,
    channels: VecDeque<u64>,
    batch_channels: VecDeque<u64>,
    batch_receipts: VecDeque<u64>,
    accepted: u64,
    dropped: u64,
    finished: u64,
    abandoned: u64,
}

impl Model {
    fn state(&self) -> State {
        self.state.unwrap_or(State::Idle)
    }

    fn offer(&mut self, channel: bool, seq: u64) -> Offer {
        if self.state() != State::Running {
            self.dropped += 1;
            return Offer::Closed;
        }
        let queue = if channel { &mut self.channels } else { &mut self.receipts };
        if queue.len() >= self.capacity {
            self.dropped += 1;
            return Offer::Full;
        }
        queue.push_back(seq);
        self.accepted += 1;
        Offer::Accepted
    }
}

/// One lane, its worker's batch and the worker's waker.
struct Subject {
    lane: LaneRef,
    batch: Batch,
    wakes: Arc<Counting>,
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let hub = Hub::new();
    let mut subjects: Vec<Subject> = (0..LANES)
        .map(|_| Subject { lane: hub.add_lane(), batch: Batch::default(), wakes: Arc::default() })
        .collect();
    // A lane that is never started: the fan-out must skip it.
    let idle = hub.add_lane();
    let mut models: Vec<Model> = (0..LANES).map(|_| Model::default()).collect();
    let mut seq = 0;
    for op in ops {
        seq += 1;
        match op.clone() {
            Op::Claim(i, capacity) => {
                let claimed = subjects[i].lane.claim(capacity);
                let model = &mut models[i];
                prop_assert_eq!(claimed, model.state() == State::Idle);
                if claimed {
                    model.state =
                        Some(if capacity.is_some() { State::Running } else { State::Disabled });
                    model.capacity = capacity.unwrap_or(0);
                }
            }
            Op::Offer { lane: i, channel, only_if_running } => {
                let lane = &subjects[i].lane;
                let got = match channel {
                    true => lane.offer(&request(seq), only_if_running),
                    false => lane.offer(&receipt(seq), only_if_running),
                };
                let model = &mut models[i];
                let expected = (!only_if_running || model.state() == State::Running)
                    .then(|| model.offer(channel, seq));
                prop_assert_eq!(got, expected);
            }
            Op::OfferAll { channel } => {
                let got = match channel {
                    true => hub.offer_running(&request(seq)),
                    false => hub.offer_running(&receipt(seq)),
                };
                let expected = models
                    .iter_mut()
                    .filter(|m| m.state() == State::Running)
                    .map(|m| usize::from(m.offer(channel, seq).is_accepted()))
                    .sum::<usize>();
                prop_assert_eq!(got, expected);
            }
            Op::Take(i) => {
                let (subject, model) = (&mut subjects[i], &mut models[i]);
                if !subject.batch.channels.is_empty() || !subject.batch.receipts.is_empty() {
                    continue; // the worker finishes a batch before taking another
                }
                let got = take(&subject.lane, &mut subject.batch, &subject.wakes);
                let expected = if !model.channels.is_empty() || !model.receipts.is_empty() {
                    model.batch_channels = std::mem::take(&mut model.channels);
                    model.batch_receipts = std::mem::take(&mut model.receipts);
                    Poll::Ready(true)
                } else if model.state() == State::Running {
                    Poll::Pending
                } else {
                    Poll::Ready(false)
                };
                prop_assert_eq!(got, expected);
                let seqs: Vec<u64> = subject.batch.channels.iter().map(|r| seq_of(r)).collect();
                prop_assert_eq!(seqs, Vec::from(model.batch_channels.clone()));
                let seqs: Vec<u64> = subject.batch.receipts.iter().map(|r| r.payload.seq).collect();
                prop_assert_eq!(seqs, Vec::from(model.batch_receipts.clone()));
            }
            Op::Finish(i) => {
                let (batch, model) = (&mut subjects[i].batch, &mut models[i]);
                let done = match batch.channels.pop_front() {
                    Some(_) => model.batch_channels.pop_front().is_some(),
                    None => {
                        batch.receipts.pop_front().is_some()
                            && model.batch_receipts.pop_front().is_some()
                    }
                };
                model.finished += u64::from(done);
            }
            Op::Close(i) => {
                subjects[i].lane.close();
                if models[i].state() == State::Running {
                    models[i].state = Some(State::Closed);
                }
            }
            Op::Retire(i) => {
                let model = &mut models[i];
                subjects[i].lane.retire(model.finished);
                model.state = Some(State::Closed);
                model.abandoned = model.accepted - model.finished;
                model.channels.clear();
                model.receipts.clear();
            }
            Op::Read => {
                // Reading settles what the saturated path counted.
                for (subject, model) in subjects.iter().zip(&models) {
                    let offers = subject.lane.offers();
                    prop_assert_eq!(
                        (offers.accepted, offers.dropped, offers.abandoned),
                        (model.accepted, model.dropped, model.abandoned)
                    );
                }
                prop_assert_eq!(idle.offers(), Offers::default(), "an idle lane is never offered");
            }
        }
        for (subject, model) in subjects.iter().zip(&models) {
            prop_assert_eq!(subject.lane.state(), model.state());
            prop_assert!(
                model.channels.len() <= model.capacity && model.receipts.len() <= model.capacity,
                "a queue never exceeds its capacity"
            );
        }
    }
    for (subject, model) in subjects.iter().zip(&models) {
        let offers = subject.lane.offers();
        prop_assert_eq!((offers.accepted, offers.dropped), (model.accepted, model.dropped));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_lane_behaves_like_its_model(ops in prop::collection::vec(op(), 1..120)) {
        run(&ops)?;
    }
}

#[test]
fn a_waiting_worker_is_woken_once_by_an_accepted_offer_and_by_close() {
    let hub = Hub::new();
    let lane = hub.add_lane();
    assert!(lane.claim(Some(2)));
    let wakes = Arc::new(Counting::default());
    let mut batch = Batch::default();
    assert_eq!(take(&lane, &mut batch, &wakes), Poll::Pending);
    assert_eq!(hub.offer_running(&receipt(1)), 1);
    assert_eq!(hub.offer_running(&receipt(2)), 1, "the waker was taken by the first offer");
    assert_eq!(hub.offer_running(&receipt(3)), 0, "full");
    assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
    assert_eq!(take(&lane, &mut batch, &wakes), Poll::Ready(true));
    assert_eq!(batch.receipts.len(), 2);
    batch.receipts.clear();
    assert_eq!(take(&lane, &mut batch, &wakes), Poll::Pending);
    lane.close();
    assert_eq!(wakes.0.load(Ordering::SeqCst), 2, "close wakes the worker to end");
    assert_eq!(take(&lane, &mut batch, &wakes), Poll::Ready(false));
}

#[test]
fn one_offer_reaches_every_running_lane_and_clones_only_for_the_accepting_ones() {
    let hub = Hub::new();
    let lanes: Vec<LaneRef> = (0..4).map(|_| hub.add_lane()).collect();
    assert!(lanes[0].claim(Some(1)));
    assert!(lanes[1].claim(Some(8)));
    assert!(lanes[2].claim(None));
    let shared = receipt(7);
    assert_eq!(hub.offer_running(&shared), 2);
    assert_eq!(hub.offer_running(&shared), 1, "lane 0 is full");
    assert_eq!(Arc::strong_count(&shared), 1 + 3, "one clone per acceptance");
    let counted: Vec<(u64, u64)> =
        lanes.iter().map(|l| l.offers()).map(|o| (o.accepted, o.dropped)).collect();
    assert_eq!(counted, [(1, 1), (2, 0), (0, 0), (0, 0)], "not-running lanes count nothing");
    lanes[1].retire(0);
    assert_eq!(lanes[1].offers().abandoned, 2);
    assert_eq!(Arc::strong_count(&shared), 1 + 1, "retire drops the queued copies");
}

#[test]
fn saturated_pushes_skip_the_lock_and_are_settled_into_every_running_lane() {
    let hub = Hub::new();
    let lanes: Vec<LaneRef> = (0..3).map(|_| hub.add_lane()).collect();
    assert!(lanes[0].claim(Some(1)));
    assert!(lanes[1].claim(Some(1)));
    assert_eq!(hub.offer_running(&receipt(0)), 2);
    assert_eq!(hub.offer_running(&receipt(1)), 0, "both full: the hub is now saturated");
    for seq in 2..12 {
        assert_eq!(hub.offer_running(&receipt(seq)), 0);
    }
    assert_eq!(hub.saturated[0].0.load(Ordering::Relaxed), SATURATED | 10, "counted lock-free");
    // Starting a third lane settles first: it is not charged for them.
    assert!(lanes[2].claim(Some(4)));
    assert_eq!(hub.saturated[0].0.load(Ordering::Relaxed), 0);
    let dropped: Vec<u64> = lanes.iter().map(|l| l.offers().dropped).collect();
    assert_eq!(dropped, [11, 11, 0]);
    assert_eq!(hub.offer_running(&receipt(12)), 1, "the new lane takes it");
}

//! Error handling: the sans-IO policy on every FCM error code, and the
//! dispatcher against the fake in virtual time — the right number of
//! attempts, `Retry-After` delays, dead-token removal from
//! `MemoryDeviceStore`, fault injection with every outcome accounted for,
//! and abandonment when a batch is dropped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use push_core::{Device, DeviceStore, MemoryDeviceStore, Platform, Timestamp};
use push_fcm::testkit::{FakeFcm, Reply};
use push_fcm::{
    ApiError, Backoff, Class, ClientConfig, DispatchConfig, Dispatcher, FcmClient, Job, Message,
    Outcome, OutcomeRecord, Owner, RetryPolicy, SendError, Target, Verdict, classify,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn api(reply: &Reply) -> SendError {
    let Reply::Error { http, retry_after, .. } = reply else { unreachable!("an error reply") };
    let body = reply.error_body().unwrap_or_default().to_string();
    SendError::Api(ApiError::from_response(
        *http,
        retry_after.map(Duration::from_secs),
        body.as_bytes(),
    ))
}

#[test]
fn every_error_code_is_classified() {
    let secs = |s| Some(Duration::from_secs(s));
    let cases = [
        (Reply::unregistered(), true, Class::DeadToken),
        (Reply::not_found(), true, Class::DeadToken),
        (Reply::not_found(), false, Class::Permanent),
        (Reply::unregistered(), false, Class::Permanent),
        (Reply::invalid_argument("message.token"), true, Class::DeadToken),
        (Reply::invalid_argument("message.data[0].value"), true, Class::Permanent),
        (Reply::sender_id_mismatch(), true, Class::Permanent),
        (Reply::third_party_auth(), true, Class::Permanent),
        (Reply::unauthenticated(), true, Class::Permanent),
        (Reply::quota_exceeded(Some(7)), true, Class::Transient(secs(7))),
        (Reply::unavailable(None), true, Class::Transient(None)),
        (Reply::internal(), true, Class::Transient(None)),
    ];
    for (reply, token_target, expected) in cases {
        assert_eq!(classify(&api(&reply), token_target), expected, "{reply:?}");
    }
    let html = |status| SendError::Api(ApiError::from_response(status, None, b"<html>busy</html>"));
    assert_eq!(classify(&html(503), true), Class::Transient(None), "status alone decides");
    assert_eq!(classify(&html(502), true), Class::Permanent);
    assert!(html(502).to_string().contains("<html>busy"), "the body is kept as message");
    assert_eq!(classify(&SendError::Timeout(Duration::from_secs(1)), true), Class::Transient(None));
    assert_eq!(classify(&SendError::Decode("x".into()), true), Class::Permanent);
}

#[test]
fn backoff_is_jittered_exponential_bounded_and_seeded() {
    let policy = RetryPolicy {
        max_attempts: 8,
        max_delay: Duration::from_secs(10),
        ..RetryPolicy::standard()
    };
    let error: Result<(), SendError> = Err(api(&Reply::internal()));
    let delays = |seed| {
        let mut backoff = Backoff::new(policy, seed);
        (1..8)
            .map(|n| match backoff.decide(n, true, &error) {
                Verdict::Retry(d) => d,
                other => panic!("attempt {n}: {other:?}"),
            })
            .collect::<Vec<_>>()
    };
    let first = delays(1);
    for (n, delay) in first.iter().enumerate() {
        let nominal = Duration::from_secs(1 << n).min(policy.max_delay);
        assert!(
            *delay >= nominal / 2 && *delay <= policy.max_delay,
            "attempt {}: {delay:?}",
            n + 1
        );
        assert!(*delay < nominal.mul_f64(1.5), "attempt {}: {delay:?}", n + 1);
    }
    assert_eq!(first, delays(1), "the same seed gives the same delays");
    assert_ne!(first, delays(2), "another seed jitters differently");
    let mut backoff = Backoff::new(policy, 3);
    assert_eq!(backoff.decide(8, true, &error), Verdict::GaveUp);
    let later: Result<(), SendError> = Err(api(&Reply::unavailable(Some(30))));
    let Verdict::Retry(delay) = backoff.decide(1, true, &later) else { panic!("retry") };
    assert!(delay >= Duration::from_secs(30) && delay <= Duration::from_secs(33), "{delay:?}");
    let too_late: Result<(), SendError> = Err(api(&Reply::unavailable(Some(3600))));
    assert_eq!(backoff.decide(1, true, &too_late), Verdict::GaveUp);
    assert_eq!(backoff.decide(1, true, &Ok::<(), SendError>(())), Verdict::Delivered);
    assert_eq!(
        backoff.decide(1, true, &Err::<(), _>(api(&Reply::unregistered()))),
        Verdict::RemoveToken
    );
}

struct Rig {
    fake: FakeFcm,
    store: Arc<MemoryDeviceStore>,
    dispatcher: Dispatcher,
    records: Arc<Mutex<Vec<OutcomeRecord>>>,
}

async fn rig(concurrency: usize, tokens: &[String]) -> Result<Rig, Box<dyn std::error::Error>> {
    let fake = FakeFcm::start().await?;
    let config = ClientConfig { request_timeout: Duration::from_secs(10), ..fake.client_config() };
    let client = FcmClient::new(fake.service_account(), config)?;
    let store = Arc::new(MemoryDeviceStore::new());
    for token in tokens {
        let device = Device {
            token: token.clone(),
            platform: Platform::Android,
            last_seen: Timestamp::UNIX_EPOCH,
            lang: String::new(),
        };
        store.update(&format!("usr-{token}"), None, device).await?;
    }
    let records = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&records);
    let callback: push_fcm::OutcomeCallback = Arc::new(move |r: &OutcomeRecord| {
        sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(r.clone());
    });
    let config = DispatchConfig {
        policy: RetryPolicy::standard(),
        concurrency,
        validate_only: false,
        seed: 42,
    };
    let dispatcher = Dispatcher::new(
        client,
        Some(Arc::clone(&store) as Arc<dyn DeviceStore>),
        config,
        Some(callback),
    );
    Ok(Rig { fake, store, dispatcher, records })
}

fn jobs(tokens: &[String]) -> Vec<Job> {
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| Job {
            receipt: i as u64 + 1,
            owner: Owner::User(format!("usr-{t}")),
            message: Message::new(Target::Token(t.clone())),
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn each_error_gets_the_right_attempts_delays_and_outcome() -> TestResult {
    let cases: Vec<(&str, Vec<Reply>, Outcome, usize)> = vec![
        ("retry-after", vec![Reply::unavailable(Some(30))], Outcome::Delivered, 2),
        ("quota", vec![Reply::quota_exceeded(None)], Outcome::Delivered, 2),
        ("internal-x5", vec![Reply::internal(); 5], Outcome::FailedAfterRetries, 5),
        (
            "bad-data",
            vec![Reply::invalid_argument("message.data[0].value")],
            Outcome::PermanentFailure,
            1,
        ),
        ("bad-token", vec![Reply::invalid_argument("message.token")], Outcome::TokenRemoved, 1),
        ("unregistered", vec![Reply::unregistered()], Outcome::TokenRemoved, 1),
        ("bare-404", vec![Reply::not_found()], Outcome::TokenRemoved, 1),
        ("mismatch", vec![Reply::sender_id_mismatch()], Outcome::PermanentFailure, 1),
        ("apns-auth", vec![Reply::third_party_auth()], Outcome::PermanentFailure, 1),
        ("reset", vec![Reply::Reset], Outcome::Delivered, 2),
        ("timeout", vec![Reply::Delay(Duration::from_secs(20))], Outcome::Delivered, 2),
        ("garbage", vec![Reply::Garbage], Outcome::PermanentFailure, 1),
    ];
    let tokens: Vec<String> = cases.iter().map(|c| c.0.to_owned()).collect();
    let rig = rig(16, &tokens).await?;
    for (token, replies, _, _) in &cases {
        rig.fake.script(token, replies.clone());
    }
    let outcomes = rig.dispatcher.run(jobs(&tokens)).await;
    let sends = rig.fake.sends();
    let mut by_token: BTreeMap<String, Vec<tokio::time::Instant>> = BTreeMap::new();
    for send in &sends {
        by_token.entry(send.token.clone().unwrap_or_default()).or_default().push(send.at);
    }
    for ((token, _, outcome, attempts), got) in cases.iter().zip(&outcomes) {
        assert_eq!(got, outcome, "{token}");
        assert_eq!(by_token[*token].len(), *attempts, "{token}: attempts");
    }
    let gap = |t: &str| by_token[t][1] - by_token[t][0];
    assert!(
        gap("retry-after") >= Duration::from_secs(30)
            && gap("retry-after") <= Duration::from_secs(33)
    );
    assert!(
        gap("quota") >= Duration::from_millis(500) && gap("quota") < Duration::from_millis(1500)
    );
    assert!(gap("timeout") >= Duration::from_secs(10), "the timeout fired first");
    let live = rig
        .store
        .get_all(&["usr-bad-data", "usr-bad-token", "usr-unregistered", "usr-bare-404"])
        .await?;
    let left: Vec<&str> = live.keys().map(String::as_str).collect();
    assert_eq!(left, ["usr-bad-data"], "only dead tokens are removed");
    let totals = rig.dispatcher.totals();
    assert_eq!(
        (
            totals.delivered,
            totals.token_removed,
            totals.permanent_failure,
            totals.failed_after_retries
        ),
        (4, 3, 4, 1)
    );
    let records = rig.records.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(records.len(), cases.len(), "one callback per message");
    let failed = records.iter().find(|r| r.target == "internal-x5");
    assert_eq!(failed.map(|r| (r.attempts, r.error.is_some())), Some((5, true)));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn fault_injection_accounts_for_every_message() -> TestResult {
    let tokens: Vec<String> = (0..400).map(|i| format!("tok{i}")).collect();
    let rig = rig(32, &tokens).await?;
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut expected_removed = 0;
    for token in &tokens {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let script = match state % 8 {
            0 => vec![Reply::Reset, Reply::Reset],
            1 => vec![Reply::unavailable(Some(2)); 3],
            2 => vec![Reply::internal(); 6],
            3 => vec![Reply::Delay(Duration::from_secs(15))],
            4 => {
                expected_removed += 1;
                vec![Reply::Reset, Reply::unregistered()]
            }
            5 => vec![Reply::quota_exceeded(None), Reply::invalid_argument("message.android.ttl")],
            _ => vec![],
        };
        rig.fake.script(token, script);
    }
    let outcomes = rig.dispatcher.run(jobs(&tokens)).await;
    assert_eq!(outcomes.len(), 400);
    let totals = rig.dispatcher.totals();
    assert_eq!(totals.total(), 400, "{totals:?}");
    assert_eq!(totals.abandoned, 0);
    assert_eq!(totals.token_removed, expected_removed);
    let records = rig.records.lock().map(|r| r.clone()).unwrap_or_default();
    let mut targets: Vec<&str> = records.iter().map(|r| r.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    assert_eq!(targets.len(), 400, "exactly one outcome per message");
    let left = rig
        .store
        .get_all(
            &tokens
                .iter()
                .map(|t| format!("usr-{t}"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .await?;
    assert_eq!(left.len() as u64, 400 - expected_removed);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_dropped_batch_abandons_what_it_had_not_finished() -> TestResult {
    let tokens: Vec<String> = (0..100).map(|i| format!("tok{i}")).collect();
    let rig = rig(8, &tokens).await?;
    rig.dispatcher.run(jobs(&tokens[..10])).await;
    rig.fake.hold();
    let run = rig.dispatcher.run(jobs(&tokens[10..]));
    let stopped = tokio::time::timeout(Duration::from_secs(1), run).await;
    assert!(stopped.is_err(), "held: the batch cannot finish");
    rig.dispatcher.settle().await;
    let totals = rig.dispatcher.totals();
    assert_eq!((totals.delivered, totals.abandoned, totals.total()), (10, 90, 100), "{totals:?}");
    let records = rig.records.lock().map(|r| r.clone()).unwrap_or_default();
    let in_flight =
        records.iter().filter(|r| r.outcome == Outcome::Abandoned && r.attempts == 1).count();
    assert_eq!(in_flight, 8, "8 were on the wire, 82 waited for a slot");
    rig.fake.release();
    Ok(())
}

//! The FCM client against the loopback fake: the wire JSON, the OAuth2
//! JWT-bearer grant (decoded and verified with the test public key), token
//! caching, refresh and the 401 path, topic batches, HTTP versions,
//! bounded concurrency and secrets kept out of `Debug`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use push_fcm::testkit::{FakeFcm, Reply, TEST_CLIENT_EMAIL, TEST_KEY_ID, service_account_json};
use push_fcm::{
    AndroidConfig, AndroidNotification, AndroidPriority, ApnsConfig, ApnsPayload, Aps, ApsAlert,
    ClientConfig, CredentialsError, FCM_SCOPE, FcmClient, HttpVersion, Message, Notification,
    NotificationPriority, ProtoDuration, SendError, ServiceAccount, Target, TokenError, Visibility,
    WebpushConfig,
};
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn setup() -> Result<(FakeFcm, FcmClient), Box<dyn std::error::Error>> {
    let fake = FakeFcm::start().await?;
    let client = FcmClient::new(fake.service_account(), fake.client_config())?;
    Ok((fake, client))
}

fn token(t: &str) -> Message {
    Message::new(Target::Token(t.into()))
}

fn full_message() -> Message {
    let mut message = token("tok-full");
    message.data = BTreeMap::from([("what".into(), "msg".into()), ("seq".into(), "7".into())]);
    message.notification =
        Some(Notification { title: Some("Hi".into()), body: Some("there".into()), image: None });
    message.android = Some(AndroidConfig {
        collapse_key: Some("grpX".into()),
        priority: Some(AndroidPriority::High),
        ttl: Some(ProtoDuration(Duration::from_secs(3600))),
        notification: Some(AndroidNotification {
            tag: Some("grpX".into()),
            notification_priority: Some(NotificationPriority::High),
            visibility: Some(Visibility::Private),
            body_loc_key: Some("bk".into()),
            body_loc_args: vec!["a".into()],
            ..AndroidNotification::default()
        }),
        ..AndroidConfig::default()
    });
    message.apns = Some(ApnsConfig {
        headers: BTreeMap::from([("apns-priority".into(), "10".into())]),
        payload: Some(ApnsPayload {
            aps: Aps {
                alert: Some(ApsAlert {
                    title: Some("Hi".into()),
                    loc_key: Some("k".into()),
                    ..ApsAlert::default()
                }),
                badge: Some(3),
                sound: Some("default".into()),
                content_available: Some(1),
                mutable_content: Some(1),
                thread_id: Some("grpX".into()),
                ..Aps::default()
            },
            custom: BTreeMap::from([("extra".into(), json!(1))]),
        }),
        fcm_options: None,
    });
    message.webpush = Some(WebpushConfig::default());
    message
}

#[tokio::test]
async fn send_puts_the_admin_sdk_wire_json_on_the_wire() -> TestResult {
    let (fake, client) = setup().await?;
    let answer = client.send(&full_message()).await?;
    assert_eq!(answer.name, "projects/msgkit-test/messages/1");
    let sends = fake.sends();
    assert_eq!(sends.len(), 1);
    // What firebase-admin 7.7.0 (Python) encodes for the same message, as
    // printed by its `_messaging_encoder.MessageEncoder` — except
    // `"webpush": {}`, which Python drops and the Go SDK (Tinode's) sends.
    let expected = json!({"message": {
        "token": "tok-full",
        "data": {"seq": "7", "what": "msg"},
        "notification": {"title": "Hi", "body": "there"},
        "android": {
            "collapse_key": "grpX",
            "priority": "high",
            "ttl": "3600s",
            "notification": {
                "tag": "grpX",
                "body_loc_key": "bk",
                "body_loc_args": ["a"],
                "notification_priority": "PRIORITY_HIGH",
                "visibility": "PRIVATE"
            }
        },
        "webpush": {},
        "apns": {
            "headers": {"apns-priority": "10"},
            "payload": {
                "aps": {
                    "alert": {"title": "Hi", "loc-key": "k"},
                    "badge": 3,
                    "sound": "default",
                    "content-available": 1,
                    "mutable-content": 1,
                    "thread-id": "grpX"
                },
                "extra": 1
            }
        }
    }});
    assert_eq!(sends[0].body, expected);
    assert!(!sends[0].validate_only);
    let headers = &sends[0].headers;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["authorization"], "Bearer fake-access-token-1");
    assert_eq!(headers["x-goog-api-format-version"], "2");
    assert_eq!(sends[0].version, "HTTP/2.0", "h2c by prior knowledge");
    // The message reads back from its wire form.
    let back: Message = serde_json::from_value(sends[0].message.clone())?;
    assert_eq!(back, full_message());
    Ok(())
}

#[tokio::test]
async fn validate_sets_validate_only_and_targets_serialise_as_one_key() -> TestResult {
    let (fake, client) = setup().await?;
    client.validate(&token("tok1")).await?;
    client.send(&Message::new(Target::topic("/topics/news"))).await?;
    client.send(&Message::new(Target::Condition("'a' in topics".into()))).await?;
    let sends = fake.sends();
    assert_eq!(sends[0].body, json!({"message": {"token": "tok1"}, "validate_only": true}));
    assert!(sends[0].validate_only);
    assert_eq!(sends[1].body, json!({"message": {"topic": "news"}}));
    assert_eq!(sends[2].body, json!({"message": {"condition": "'a' in topics"}}));
    Ok(())
}

#[test]
fn proto_durations_read_and_write_as_the_sdks_format_them() -> TestResult {
    let half = ProtoDuration(Duration::from_millis(1500));
    assert_eq!(serde_json::to_string(&half)?, r#""1.500000000s""#);
    assert_eq!(serde_json::from_str::<ProtoDuration>(r#""1.5s""#)?, half);
    assert_eq!(serde_json::from_str::<ProtoDuration>(r#""0s""#)?, ProtoDuration(Duration::ZERO));
    assert!(serde_json::from_str::<ProtoDuration>(r#""15""#).is_err());
    assert!(serde_json::from_str::<ProtoDuration>(r#""1.x5s""#).is_err());
    Ok(())
}

#[tokio::test]
async fn http1_and_auto_speak_http11_on_plain_http() -> TestResult {
    let fake = FakeFcm::start().await?;
    for version in [HttpVersion::Http1, HttpVersion::Auto] {
        let config = ClientConfig { http_version: version, ..fake.client_config() };
        FcmClient::new(fake.service_account(), config)?.send(&token("t")).await?;
    }
    let versions: Vec<String> = fake.sends().into_iter().map(|s| s.version).collect();
    assert_eq!(versions, ["HTTP/1.1", "HTTP/1.1"]);
    Ok(())
}

#[tokio::test]
async fn the_token_request_is_a_signed_jwt_bearer_grant() -> TestResult {
    let (fake, client) = setup().await?;
    client.send(&token("t")).await?;
    let requests = fake.token_requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.content_type, "application/x-www-form-urlencoded");
    assert!(
        request.form.starts_with(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
        ),
        "form: {}",
        request.form
    );
    assert_eq!(request.grant_type, "urn:ietf:params:oauth:grant-type:jwt-bearer");
    assert_eq!(request.jwt_error, None, "the JWT verifies with the test public key");
    assert!(!request.assertion.contains('='), "base64url without padding");
    let header = request.jwt_header.clone().unwrap_or_default();
    assert_eq!(header, json!({"alg": "RS256", "typ": "JWT", "kid": TEST_KEY_ID}));
    let claims = request.jwt_claims.clone().unwrap_or_default();
    assert_eq!(claims["iss"], TEST_CLIENT_EMAIL);
    assert_eq!(claims["scope"], FCM_SCOPE);
    assert_eq!(claims["aud"], fake.token_url());
    let (iat, exp) = (claims["iat"].as_u64().unwrap_or(0), claims["exp"].as_u64().unwrap_or(0));
    assert_eq!(exp - iat, 3600);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    assert!(iat.abs_diff(now) < 60, "iat is wall-clock now");
    Ok(())
}

#[test]
fn rs256_signatures_are_deterministic_and_verify() -> TestResult {
    let account =
        ServiceAccount::from_json(service_account_json("https://oauth2.example/token").as_bytes())?;
    let first = account.assertion(FCM_SCOPE, 1_700_000_000)?;
    assert_eq!(first, account.assertion(FCM_SCOPE, 1_700_000_000)?, "PKCS#1 v1.5 is deterministic");
    let (_, claims) = push_fcm::testkit::verify_test_jwt(&first)?;
    assert_eq!(claims["exp"], 1_700_003_600);
    let mut tampered = first.clone();
    tampered.insert(tampered.find('.').unwrap_or(0) + 2, 'x');
    assert!(push_fcm::testkit::verify_test_jwt(&tampered).is_err(), "a changed claim fails");
    Ok(())
}

#[tokio::test]
async fn many_concurrent_sends_share_one_token_request() -> TestResult {
    let (fake, client) = setup().await?;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let client = client.clone();
        tasks.spawn(async move { client.send(&token(&format!("tok{i}"))).await });
    }
    while let Some(result) = tasks.join_next().await {
        result??;
    }
    assert_eq!(fake.token_requests().len(), 1, "single-flight refresh");
    assert_eq!(client.token_fetches(), 1);
    assert_eq!(fake.sends().len(), 200);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_token_is_refreshed_a_margin_before_it_expires() -> TestResult {
    let (fake, client) = setup().await?;
    fake.set_token_lifetime(300);
    client.send(&token("t")).await?;
    tokio::time::sleep(Duration::from_secs(235)).await;
    client.send(&token("t")).await?;
    assert_eq!(fake.token_requests().len(), 1, "still 65 s from expiry: cached");
    tokio::time::sleep(Duration::from_secs(10)).await;
    client.send(&token("t")).await?;
    assert_eq!(fake.token_requests().len(), 2, "within the 60 s margin: refreshed");
    let bearers: Vec<String> =
        fake.sends().iter().map(|s| s.headers["authorization"].clone()).collect();
    assert_eq!(
        bearers,
        ["Bearer fake-access-token-1", "Bearer fake-access-token-1", "Bearer fake-access-token-2"]
    );
    Ok(())
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_resends() -> TestResult {
    let (fake, client) = setup().await?;
    client.send(&token("t")).await?;
    fake.revoke_access_tokens();
    client.send(&token("t")).await?;
    let statuses: Vec<u16> = fake.sends().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [200, 401, 200]);
    assert_eq!(fake.token_requests().len(), 2);
    // A token that keeps being refused fails after one refresh.
    fake.reply_next(Reply::unauthenticated());
    fake.reply_next(Reply::unauthenticated());
    let error = client.send(&token("t")).await.err();
    assert!(matches!(&error, Some(SendError::Api(api)) if api.http_status == 401), "{error:?}");
    assert_eq!(fake.token_requests().len(), 3);
    assert_eq!(fake.sends().len(), 5);
    // 401 THIRD_PARTY_AUTH_ERROR is about APNs credentials: no refresh.
    fake.reply_next(Reply::third_party_auth());
    assert!(client.send(&token("t")).await.is_err());
    assert_eq!(fake.token_requests().len(), 3);
    Ok(())
}

#[tokio::test]
async fn token_endpoint_failures_are_typed() -> TestResult {
    let (fake, client) = setup().await?;
    fake.fail_token_requests([503, 400]);
    let first = client.send(&token("t")).await.err();
    let Some(SendError::Token(first)) = first else { panic!("expected a token error: {first:?}") };
    assert!(matches!(first, TokenError::Rejected { status: 503, .. }) && first.is_transient());
    let second = client.send(&token("t")).await.err();
    let Some(SendError::Token(second)) = second else {
        panic!("expected a token error: {second:?}")
    };
    assert!(!second.is_transient());
    assert!(second.to_string().contains("backend_error"), "{second}");
    client.send(&token("t")).await?;
    assert_eq!(fake.sends().len(), 1, "no send without a token");
    Ok(())
}

#[tokio::test]
async fn callers_waiting_for_a_failed_refresh_share_its_failure() -> TestResult {
    let (fake, client) = setup().await?;
    fake.fail_token_requests([503]);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let client = client.clone();
        tasks.spawn(async move { client.send(&token(&format!("tok{i}"))).await });
    }
    while let Some(result) = tasks.join_next().await {
        let error = result?.err();
        let Some(SendError::Token(error)) = error else { panic!("a token error: {error:?}") };
        assert!(error.is_transient(), "a 503 is transient, shared or not: {error}");
    }
    assert_eq!(fake.token_requests().len(), 1, "one failed fetch, not one per waiting caller");
    client.send(&token("later")).await?;
    assert_eq!(fake.token_requests().len(), 2, "the next call fetches again");
    Ok(())
}

#[tokio::test]
async fn topic_batches_of_at_most_1000_tokens() -> TestResult {
    let (fake, client) = setup().await?;
    fake.kill_token("tok1500");
    let tokens: Vec<String> = (0..2500).map(|i| format!("tok{i}")).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let results = client.subscribe("/topics/news", &refs).await?;
    assert_eq!(results.len(), 2500);
    assert_eq!(results[1500].as_deref(), Some("NOT_FOUND"));
    assert_eq!(results.iter().filter(|r| r.is_some()).count(), 1);
    client.unsubscribe("news", &refs[..3]).await?;
    let calls = fake.topic_calls();
    let shape: Vec<(&str, &str, usize)> =
        calls.iter().map(|c| (c.operation.as_str(), c.to.as_str(), c.tokens.len())).collect();
    assert_eq!(
        shape,
        [
            ("batchAdd", "/topics/news", 1000),
            ("batchAdd", "/topics/news", 1000),
            ("batchAdd", "/topics/news", 500),
            ("batchRemove", "/topics/news", 3)
        ]
    );
    assert!(calls.iter().all(|c| c.access_token_auth.as_deref() == Some("true")));
    assert_eq!(calls[1].tokens[0], "tok1000");
    Ok(())
}

#[tokio::test]
async fn concurrency_is_bounded_across_callers() -> TestResult {
    let fake = FakeFcm::start().await?;
    let client = FcmClient::new(
        fake.service_account(),
        ClientConfig { concurrency: 4, ..fake.client_config() },
    )?;
    client.send(&token("warm")).await?;
    fake.hold();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let client = client.clone();
        tasks.spawn(async move { client.send(&token(&format!("tok{i}"))).await });
    }
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(fake.started(), 1 + 4, "4 requests in flight, 16 waiting for a permit");
    fake.release();
    while let Some(result) = tasks.join_next().await {
        result??;
    }
    assert_eq!(fake.completed(), 21);
    Ok(())
}

#[tokio::test]
async fn secrets_never_show_in_debug_output() -> TestResult {
    let (fake, client) = setup().await?;
    client.send(&token("t")).await?;
    let account = fake.service_account();
    for text in [format!("{account:?}"), format!("{client:?}")] {
        assert!(!text.contains("PRIVATE KEY") && !text.contains("MII"), "{text}");
        assert!(!text.contains("fake-access-token"), "{text}");
    }
    assert!(format!("{account:?}").contains("<redacted>"));
    Ok(())
}

#[test]
fn bad_service_account_keys_are_typed_errors() {
    let good: serde_json::Value =
        serde_json::from_str(&service_account_json("https://t.example/token")).unwrap_or_default();
    let with = |key: &str, value: serde_json::Value| {
        let mut json = good.clone();
        json[key] = value;
        ServiceAccount::from_value(&json).err()
    };
    assert!(matches!(with("project_id", json!("")), Some(CredentialsError::Empty("project_id"))));
    assert!(matches!(
        with("client_email", json!(" ")),
        Some(CredentialsError::Empty("client_email"))
    ));
    assert!(matches!(with("private_key", json!("not a pem")), Some(CredentialsError::Key(_))));
    let ec = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
    assert!(matches!(with("private_key", json!(ec)), Some(CredentialsError::Key(_))));
    assert!(matches!(
        with("token_uri", json!("::nope")),
        Some(CredentialsError::Url { field: "token_uri" })
    ));
    assert!(matches!(with("project_id", json!(5)), Some(CredentialsError::Json(_))));
    assert!(matches!(ServiceAccount::from_json(b"{"), Err(CredentialsError::Json(_))));
    let missing = ServiceAccount::from_file(std::path::Path::new("/nonexistent/key.json")).err();
    assert!(matches!(missing, Some(CredentialsError::File { .. })));
    let text = with("private_key", json!("not a pem")).map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("`private_key`"), "the error names the field: {text}");
    // Without token_uri, Google's endpoint is used.
    let mut json = good.clone();
    json.as_object_mut().map(|o| o.remove("token_uri"));
    let account = ServiceAccount::from_value(&json).ok();
    assert_eq!(account.as_ref().map(ServiceAccount::token_uri), Some(push_fcm::GOOGLE_TOKEN_URI));
}

#[tokio::test]
async fn bad_client_configs_are_refused() -> TestResult {
    let fake = FakeFcm::start().await?;
    let zero = ClientConfig { concurrency: 0, ..fake.client_config() };
    assert!(FcmClient::new(fake.service_account(), zero).is_err());
    let url = ClientConfig { fcm_base_url: "ftp://x".into(), ..fake.client_config() };
    let error = FcmClient::new(fake.service_account(), url).err().map(|e| e.to_string());
    assert!(error.is_some_and(|e| e.contains("`fcm_base_url`")));
    let shared = Arc::new(fake);
    assert!(shared.base_url().starts_with("http://127.0.0.1:"));
    Ok(())
}

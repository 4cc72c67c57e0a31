//! AutoSetting against a fake VK API on 127.0.0.1: call order, parameters,
//! reuse and deletion of servers, VK's confirmation round trip, and typed
//! errors for every failing answer.

#![allow(clippy::unwrap_used, reason = "the fake VK API's helpers fail loudly")]

mod support;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use support::TestServer;
use tokio::net::TcpListener;
use vk_callback::{ApiError, AutoSetting, Callback, SetupError, VkApi};

type Params = BTreeMap<String, String>;
type Script = Arc<dyn Fn(&str, &Params) -> (StatusCode, String) + Send + Sync>;

/// A fake VK API: records every call and answers from `script`. Like VK, its
/// `groups.addCallbackServer` first sends the confirmation request to the
/// URL and refuses the server if the answer is not the code.
struct FakeVk {
    addr: SocketAddr,
    calls: Arc<Mutex<Vec<(String, Params)>>>,
}

impl FakeVk {
    async fn start(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (script, recorded) = (script.clone(), recorded.clone());
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let (script, recorded) = (script.clone(), recorded.clone());
                    async move {
                        let method = request.uri().path().trim_start_matches("/method/").to_owned();
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let params = parse_form(&body);
                        recorded.lock().unwrap().push((method.clone(), params.clone()));
                        let (status, answer) = if method == "groups.addCallbackServer" {
                            confirm_like_vk(&params).await
                        } else {
                            script(&method, &params)
                        };
                        let mut response = Response::new(Full::new(Bytes::from(answer)));
                        *response.status_mut() = status;
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Self { addr, calls }
    }

    fn api(&self) -> VkApi {
        VkApi::new("group-token").unwrap().with_base_url(format!("http://{}/method", self.addr))
    }

    fn methods(&self) -> Vec<String> {
        self.calls.lock().unwrap().iter().map(|(m, _)| m.clone()).collect()
    }

    fn params(&self, method: &str) -> Params {
        let calls = self.calls.lock().unwrap();
        calls.iter().find(|(m, _)| m == method).map(|(_, p)| p.clone()).unwrap()
    }
}

const CODE: &str = "9a8b7c6d";

async fn confirm_like_vk(params: &Params) -> (StatusCode, String) {
    let request = json!({"type": "confirmation", "group_id": 77, "secret": params["secret_key"]});
    let Ok(addr) = params["url"].trim_start_matches("http://").parse::<SocketAddr>() else {
        return vk_error(100, "Invalid url");
    };
    let answer = support::post(addr, serde_json::to_vec(&request).unwrap().into(), &[]).await;
    if answer.status == 200 && answer.body == CODE {
        (StatusCode::OK, json!({"response": {"server_id": 5}}).to_string())
    } else {
        let error =
            json!({"error": {"error_code": 2000, "error_msg": "Servers number limit is reached"}});
        (StatusCode::OK, error.to_string())
    }
}

fn parse_form(body: &[u8]) -> Params {
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn ok(response: Value) -> (StatusCode, String) {
    (StatusCode::OK, json!({ "response": response }).to_string())
}

fn vk_error(code: i64, message: &str) -> (StatusCode, String) {
    (StatusCode::OK, json!({"error": {"error_code": code, "error_msg": message}}).to_string())
}

/// A script for group 77 whose `getCallbackServers` lists `servers`.
fn script(servers: Value) -> Script {
    Arc::new(move |method, _| match method {
        "groups.getById" => ok(json!({"groups": [{"id": 77, "name": "Acme"}], "profiles": []})),
        "groups.getCallbackServers" => ok(json!({"count": 0, "items": servers.clone()})),
        "groups.getCallbackConfirmationCode" => ok(json!({"code": CODE})),
        "groups.deleteCallbackServer" => vk_error(15, "Access denied"),
        "groups.setCallbackSettings" => ok(json!(1)),
        other => panic!("unexpected call {other}"),
    })
}

fn bot() -> Callback {
    Callback::builder()
        .message_new(|_, _| async {})
        .group_join(|_, _| async {})
        .vkpay_transaction(|_, _| async {})
        .on_event("some_future_event", |_, _| async {})
        .secret("global-secret-not-for-77")
        .build()
}

#[tokio::test]
async fn a_fresh_setup_calls_vk_in_order_and_answers_the_confirmation() {
    let callback = bot();
    let server = TestServer::start(callback.clone()).await;
    let vk = FakeVk::start(script(json!([]))).await;
    let url = format!("http://{}", server.addr);
    let setup =
        AutoSetting::new(url.clone()).title("Мой бот").run(&callback, &vk.api()).await.unwrap();

    assert_eq!(
        vk.methods(),
        [
            "groups.getById",
            "groups.getCallbackServers",
            "groups.getCallbackConfirmationCode",
            "groups.addCallbackServer",
            "groups.setCallbackSettings",
        ]
    );
    for (_, params) in vk.calls.lock().unwrap().iter() {
        assert_eq!(params["access_token"], "group-token");
        assert_eq!(params["v"], "5.199");
    }
    let added = vk.params("groups.addCallbackServer");
    assert_eq!((added["group_id"].as_str(), added["url"].as_str()), ("77", url.as_str()));
    assert_eq!(added["title"], "Мой бот");
    assert_eq!(added["secret_key"], setup.secret);
    assert_eq!(setup.secret.len(), 24);
    assert!(setup.secret.bytes().all(|b| b.is_ascii_alphanumeric()));

    let settings = vk.params("groups.setCallbackSettings");
    let switched: Vec<&str> =
        settings.iter().filter(|(_, v)| *v == "1").map(|(k, _)| k.as_str()).collect();
    assert_eq!(switched, ["group_join", "message_new", "some_future_event"]);
    assert_eq!(settings["server_id"], "5");
    assert_eq!(settings["api_version"], "5.199");
    assert_eq!((setup.group_id, setup.server_id, setup.reused), (77, 5, false));
    assert_eq!(setup.confirmation, CODE);
    assert!(!format!("{setup:?}").contains(&setup.secret));

    let event = |secret: &str| json!({"type": "message_new", "group_id": 77, "event_id": secret, "secret": secret, "object": {}});
    server.post_json(&event(&setup.secret)).await.is(200, "ok");
    server.post_json(&event("global-secret-not-for-77")).await.is(403, "Bad Secret\n");
    server.stop().await;
}

#[tokio::test]
async fn a_working_server_is_reused_and_broken_ones_are_deleted() {
    let callback = bot();
    let vk_url = "https://bot.example.org/vk";
    let servers = json!([
        {"id": 1, "title": "old", "url": vk_url, "secret_key": "x", "status": "failed"},
        {"id": 2, "title": "other", "url": "https://elsewhere.example/", "secret_key": "y", "status": "ok"},
        {"id": 3, "title": "live", "url": vk_url, "secret_key": "existing-secret", "status": "ok"},
        {"id": 4, "title": "later", "url": vk_url, "secret_key": "z", "status": "wait"},
    ]);
    let vk = FakeVk::start(script(servers)).await;
    let setup = AutoSetting::new(vk_url).run(&callback, &vk.api()).await.unwrap();
    assert_eq!(
        vk.methods(),
        [
            "groups.getById",
            "groups.getCallbackServers",
            "groups.deleteCallbackServer",
            "groups.getCallbackConfirmationCode",
            "groups.setCallbackSettings",
        ],
        "a failing delete is ignored; the search stops at the working server"
    );
    assert_eq!(vk.params("groups.deleteCallbackServer")["server_id"], "1");
    assert_eq!(vk.params("groups.setCallbackSettings")["server_id"], "3");
    assert_eq!(
        (setup.server_id, setup.reused, setup.secret.as_str()),
        (3, true, "existing-secret")
    );
    assert!(callback.keys().check_secret(77, "existing-secret"));
    assert_eq!(callback.keys().confirmation(77), CODE);
}

#[tokio::test]
async fn long_titles_are_refused_before_any_call() {
    let vk = FakeVk::start(script(json!([]))).await;
    let err = AutoSetting::new("http://x/").title("Очень длинный бот").run(&bot(), &vk.api()).await;
    assert!(matches!(err, Err(SetupError::TitleTooLong(17))), "{err:?}");
    assert!(vk.methods().is_empty());
    let fourteen = AutoSetting::new("http://x/").title("абвгдеёжзийклм");
    assert!(!matches!(fourteen.run(&bot(), &vk.api()).await, Err(SetupError::TitleTooLong(_))));
}

#[tokio::test]
async fn a_user_token_is_a_typed_error() {
    let vk = FakeVk::start(Arc::new(|_, _| {
        vk_error(100, "One of the parameters specified was missing or invalid")
    }))
    .await;
    let err = AutoSetting::new("http://x/").run(&bot(), &vk.api()).await.unwrap_err();
    let SetupError::NeedGroupToken(source) = &err else { panic!("{err:?}") };
    assert_eq!(source.code(), Some(100));
    assert_eq!(err.to_string(), "need a community access token");
    assert_eq!(vk.methods(), ["groups.getById"]);
}

#[tokio::test]
async fn getbyid_accepts_the_old_list_shape_and_reports_no_group() {
    let old = FakeVk::start(Arc::new(|method, params| match method {
        "groups.getById" => ok(json!([{"id": 9}])),
        "groups.getCallbackServers" => ok(json!({"count": 0, "items": []})),
        "groups.getCallbackConfirmationCode" => {
            assert_eq!(params["group_id"], "9");
            vk_error(27, "Group authorization failed: method is unavailable with group auth")
        }
        other => panic!("unexpected {other}"),
    }))
    .await;
    let err = AutoSetting::new("http://x/").run(&bot(), &old.api()).await.unwrap_err();
    let SetupError::Api { step, source } = &err else { panic!("{err:?}") };
    assert_eq!((*step, source.code()), ("groups.getCallbackConfirmationCode", Some(27)));

    let empty = FakeVk::start(Arc::new(|_, _| ok(json!({"groups": []})))).await;
    let err = AutoSetting::new("http://x/").run(&bot(), &empty.api()).await.unwrap_err();
    assert!(matches!(err, SetupError::NoGroup), "{err:?}");
}

#[tokio::test]
async fn a_failed_confirmation_round_trip_fails_add_callback_server() {
    // The callback server answers a different confirmation code than VK expects.
    let callback = bot();
    let other = Callback::builder().confirmation("wrong").build();
    let server = TestServer::start(other).await;
    let vk = FakeVk::start(script(json!([]))).await;
    let url = format!("http://{}", server.addr);
    let err = AutoSetting::new(url).run(&callback, &vk.api()).await.unwrap_err();
    let SetupError::Api { step, source } = &err else { panic!("{err:?}") };
    assert_eq!((*step, source.code()), ("groups.addCallbackServer", Some(2000)));
    assert!(!vk.methods().contains(&"groups.setCallbackSettings".to_owned()));
    server.stop().await;
}

#[tokio::test]
async fn transport_status_and_garbage_answers_are_typed() {
    let vk = FakeVk::start(Arc::new(|method, _| match method {
        "groups.getById" => (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>".into()),
        _ => panic!("unexpected"),
    }))
    .await;
    let err = AutoSetting::new("http://x/").run(&bot(), &vk.api()).await.unwrap_err();
    assert!(matches!(&err, SetupError::Api { source: ApiError::Status(502), .. }), "{err:?}");

    let garbage = FakeVk::start(Arc::new(|_, _| (StatusCode::OK, "{\"respo".into()))).await;
    let err = AutoSetting::new("http://x/").run(&bot(), &garbage.api()).await.unwrap_err();
    assert!(matches!(&err, SetupError::Api { source: ApiError::Decode(_), .. }), "{err:?}");

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/method/", closed.local_addr().unwrap());
    drop(closed);
    let api = VkApi::new("t").unwrap().with_base_url(dead);
    let err = AutoSetting::new("http://x/").run(&bot(), &api).await.unwrap_err();
    assert!(matches!(&err, SetupError::Api { source: ApiError::Transport(_), .. }), "{err:?}");
}

#[tokio::test]
async fn slow_api_answers_time_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _hold = tokio::spawn(async move {
        let (_stream, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
    });
    let api = VkApi::new("t")
        .unwrap()
        .with_base_url(format!("http://{addr}/method/"))
        .with_timeout(std::time::Duration::from_millis(200));
    let err = AutoSetting::new("http://x/").run(&bot(), &api).await.unwrap_err();
    assert!(matches!(&err, SetupError::Api { source: ApiError::Timeout, .. }), "{err:?}");
}

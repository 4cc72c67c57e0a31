//! JSON of receipts and channel requests: Tinode's exact names, its
//! `omitempty` rules, round trips, and bad input.

use push_core::{
    Action, ChannelReq, ChannelReqError, ChannelTarget, Payload, Receipt, Recipient, Timestamp,
};
use serde_json::{Value, json};

fn ts() -> Timestamp {
    Timestamp::from_unix_millis(1_704_164_645_678).expect("in range")
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[test]
fn a_bare_receipt_has_every_required_key_and_no_optional_one() {
    let mut receipt = Receipt::new(Payload::new(Action::Msg, "grpX", "usrA", ts()));
    receipt.to.insert("usrB".into(), Recipient::default());
    let value = serde_json::to_value(&receipt).expect("serialises");
    assert_eq!(keys(&value), ["channel", "payload", "to"]);
    assert_eq!(
        value["to"]["usrB"],
        json!({"delivered": 0, "unread": 0}),
        "devices omitted when empty"
    );
    assert_eq!(
        value["payload"],
        json!({"what": "msg", "silent": false, "topic": "grpX", "ts": "2024-01-02T03:04:05.678Z",
               "from": "usrA", "seq": 0, "mime": ""})
    );
}

#[test]
fn a_full_receipt_uses_tinode_names_and_round_trips() {
    let mut payload = Payload::new(Action::Sub, "usrA", "usrA", ts());
    payload.silent = true;
    payload.seq = 42;
    payload.mime = "text/x-drafty".into();
    payload.content = Some(json!({"txt": "hi", "fmt": [{"at": 0, "len": 2, "tp": "ST"}]}));
    payload.webrtc = "started".into();
    payload.aonly = true;
    payload.replace = ":41".into();
    payload.want = "JRWPS".into();
    payload.given = "N".into();
    let mut receipt = Receipt::new(payload);
    receipt.channel = "chnX".into();
    receipt
        .to
        .insert("usrB".into(), Recipient { delivered: 2, devices: vec!["tok".into()], unread: 7 });
    let value = serde_json::to_value(&receipt).expect("serialises");
    assert_eq!(
        keys(&value["payload"]),
        [
            "aonly", "content", "from", "given", "mime", "replace", "seq", "silent", "topic", "ts",
            "want", "webrtc", "what"
        ]
    );
    assert_eq!(value["to"]["usrB"], json!({"delivered": 2, "devices": ["tok"], "unread": 7}));
    assert_eq!(value["payload"]["what"], "sub");
    let back: Receipt = serde_json::from_value(value).expect("parses back");
    assert_eq!(back, receipt);
}

#[test]
fn receipts_as_tinode_writes_them_are_read() {
    let text = r#"{"to":{"usrB":{"delivered":1,"unread":3}},"channel":"",
        "payload":{"what":"read","silent":true,"topic":"grpX","ts":"2024-01-02T03:04:05.678Z",
        "from":"usrA","seq":9,"mime":"","new_field_from_a_later_server":1}}"#;
    let receipt: Receipt = serde_json::from_str(text).expect("parses");
    assert_eq!(receipt.payload.what, Action::Read);
    assert_eq!(receipt.payload.seq, 9);
    assert_eq!(receipt.to["usrB"].unread, 3);
    assert_eq!(receipt.payload.ts, ts());
}

#[test]
fn bad_receipts_are_refused_naming_the_problem() {
    let base =
        json!({"to": {}, "channel": "", "payload": {"what": "msg", "ts": "2024-01-02T03:04:05Z"}});
    let mut cases = vec![];
    let mut bad = base.clone();
    bad["payload"]["what"] = json!("poke");
    cases.push((bad, "unknown variant `poke`"));
    let mut bad = base.clone();
    bad["payload"]["ts"] = json!("yesterday");
    cases.push((bad, "invalid timestamp `yesterday`"));
    let mut bad = base.clone();
    bad["payload"]["ts"] = json!(1_704_164_645);
    cases.push((bad, "invalid type: integer `1704164645`, expected a string"));
    let mut bad = base.clone();
    bad["payload"]["seq"] = json!(-1);
    cases.push((bad, "invalid value: integer `-1`"));
    let mut bad = base.clone();
    bad["to"] = json!({"usrB": {"unread": "many"}});
    cases.push((bad, "invalid type: string \"many\""));
    let mut bad = base.clone();
    bad["payload"].as_object_mut().expect("object").remove("ts");
    cases.push((bad, "missing field `ts`"));
    cases.push((json!({"to": {}}), "missing field `payload`"));
    for (value, word) in cases {
        match serde_json::from_value::<Receipt>(value.clone()) {
            Ok(r) => panic!("{value} parsed as {r:?}"),
            Err(e) => assert!(e.to_string().contains(word), "{value}: {e}"),
        }
    }
}

#[test]
fn channel_requests_use_go_field_names_in_both_shapes() {
    let device = ChannelReq::new("usrA", ChannelTarget::Device("tok".into()), true).expect("valid");
    assert_eq!(
        serde_json::to_value(&device).expect("serialises"),
        json!({"Uid": "usrA", "DeviceID": "tok", "Channel": "", "Unsub": true})
    );
    let back: ChannelReq =
        serde_json::from_str(r#"{"Uid":"usrA","DeviceID":"tok","Unsub":true}"#).expect("parses");
    assert_eq!(back, device);
    assert_eq!(back.target(), &ChannelTarget::Device("tok".into()));
    assert_eq!((back.uid(), back.unsub()), ("usrA", true));
    let channel: ChannelReq =
        serde_json::from_str(r#"{"Uid":"usrA","DeviceID":"","Channel":"chnX","Unsub":false}"#)
            .expect("parses");
    assert_eq!(channel.target(), &ChannelTarget::Channel("chnX".into()));
}

#[test]
fn invalid_channel_requests_cannot_be_built_or_read() {
    assert_eq!(
        ChannelReq::from_parts("usrA", "tok", "chnX", false),
        Err(ChannelReqError::BothTargets)
    );
    assert_eq!(ChannelReq::from_parts("usrA", "", "", false), Err(ChannelReqError::NoTarget));
    assert_eq!(ChannelReq::from_parts("", "tok", "", false), Err(ChannelReqError::NoUser));
    assert_eq!(
        ChannelReq::new("usrA", ChannelTarget::Channel(String::new()), false),
        Err(ChannelReqError::NoTarget)
    );
    let cases = [
        (r#"{"Uid":"usrA","DeviceID":"tok","Channel":"chnX"}"#, "both a device and a channel"),
        (r#"{"Uid":"usrA"}"#, "neither a device nor a channel"),
        (r#"{"Uid":"","Channel":"chnX"}"#, "no user id"),
        (r#"{"Channel":"chnX"}"#, "missing field `Uid`"),
        (r#"{"Uid":"usrA","Channel":"chnX","uid":"x"}"#, "unknown field `uid`"),
        (r#"{"Uid":"usrA","Channel":"chnX","Unsub":"yes"}"#, "invalid type"),
        (r#"["usrA"]"#, "neither a device nor a channel"),
    ];
    for (text, word) in cases {
        match serde_json::from_str::<ChannelReq>(text) {
            Ok(r) => panic!("{text} parsed as {r:?}"),
            Err(e) => assert!(e.to_string().contains(word), "{text}: {e}"),
        }
    }
}

#[test]
fn devices_and_platforms_read_and_write_tinode_platform_names() {
    use push_core::{Device, Platform};
    for (name, platform) in [
        ("android", Platform::Android),
        ("ios", Platform::Ios),
        ("web", Platform::Web),
        ("", Platform::Unspecified),
        ("harmony", Platform::Other("harmony".into())),
    ] {
        assert_eq!(Platform::from(name), platform);
        assert_eq!(platform.to_string(), name);
        assert_eq!(serde_json::to_value(&platform).expect("serialises"), json!(name));
    }
    let device: Device =
        serde_json::from_value(json!({"token": "tok", "last_seen": "2024-01-02T03:04:05.678Z"}))
            .expect("platform and lang default");
    assert_eq!(
        (device.platform, device.lang.as_str(), device.last_seen),
        (Platform::Unspecified, "", ts())
    );
    for (value, word) in [
        (json!({"token": "tok"}), "missing field `last_seen`"),
        (
            json!({"token": "tok", "platform": 3, "last_seen": "2024-01-02T03:04:05Z"}),
            "invalid type: integer `3`",
        ),
    ] {
        let error = serde_json::from_value::<Device>(value.clone()).expect_err("bad device");
        assert!(error.to_string().contains(word), "{value}: {error}");
    }
}

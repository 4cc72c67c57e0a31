//! Tests for [`AuthCreds`] decoding and lossless round trips.

use serde_json::json;

use super::*;

/// A paired `creds.json` exactly as Baileys rc13 wrote it (research §4).
const PAIRED: &str = r#"{"noiseKey":{"private":{"type":"Buffer","data":"2JTArAO776wfzVaRD7gWjhwtAPWGzhdxvvKqrRZvenw="},"public":{"type":"Buffer","data":"sHg802QCnAI3DiCtNHSmZDPtAvdriKbRN9B9cIumyCM="}},"pairingEphemeralKeyPair":{"private":{"type":"Buffer","data":"IE+8vz4oRa08uZawxR8k1OvLnxFOgYtImPaTTbfOu38="},"public":{"type":"Buffer","data":"W5hW1Pm7Sj0HUAHHDG0YWsiZQdARlPnihEHRh+wabzw="}},"signedIdentityKey":{"private":{"type":"Buffer","data":"kC8lmFOuXNHZRtNYUrJBKlf0o/bkeMlgx2my/N3NG2Y="},"public":{"type":"Buffer","data":"/xxjfQx7BdKsRHzUmGRqUMI4FzKSB2SfkPVaIzXqaHA="}},"signedPreKey":{"keyPair":{"private":{"type":"Buffer","data":"CNLzjf9xrSMZn5oTWLsDS9vmk6IQ4ZfhmA9PaWYKkFM="},"public":{"type":"Buffer","data":"OQM5QhKCo2t/l22E3S0PAaYXuoF/mIRo+ROmC9Qst1Y="}},"signature":{"type":"Buffer","data":"G2TZWHtXgwdf7xyc/j0+ijKU8X/rEWdDamTgY+fecQMx0SQLgrrzEftQqodjZBax7neD9nFbYyZ9abN+6nosgg=="},"keyId":1},"registrationId":253,"advSecretKey":"UQcEn7JZ2sQ4FcaTY0JY52Vp1cMo2E9YKZpPlAU3s/g=","processedHistoryMessages":[{"key":{"remoteJid":"15550000002@s.whatsapp.net","fromMe":false,"id":"3EB0C0FFEE0001"},"messageTimestamp":1710000001}],"nextPreKeyId":7,"firstUnuploadedPreKeyId":7,"accountSyncCounter":1,"accountSettings":{"unarchiveChats":false,"defaultDisappearingMode":{"ephemeralExpiration":0,"ephemeralSettingTimestamp":1710000002}},"registered":false,"lastPropHash":"2VdkPo","routingInfo":{"type":"Buffer","data":"CAIIDQgF"},"additionalData":{"note":"example","nested":{"n":1,"list":[1,"two"]}},"me":{"id":"15550000001:7@s.whatsapp.net","lid":"100000000000001:7@lid","name":"Example"},"account":{"details":"CIetSxCAj7KvBhgH","accountSignatureKey":"kbdiyzh+KMxUWEci4FAq5ZnsW8E63yZ8fxqeJ7GyuC0=","accountSignature":"NXeFdJSx/ACmNgHLTrrb2KRaQSXhP+RdArahnOamlJd1q2OYgFIicbD7LuZXJkg3mgGf9ApmEIXVLXxVETsKRw==","deviceSignature":"jTwPaxyatXS7qNinkdnUhitMijDTS2dwSfaoDKWjW3vbt1dgO8u7LdQSU365Y+beFadnH6z0KyUlePkuGILRiw=="},"signalIdentities":[{"identifier":{"name":"100000000000001:7@lid","deviceId":0},"identifierKey":{"type":"Buffer","data":"BZG3Yss4fijMVFhHIuBQKuWZ7FvBOt8mfH8aniexsrgt"}}],"platform":"android","myAppStateKeyId":"////AAAB","lastAccountSyncTimestamp":1710000100}"#;

fn paired() -> Value {
    serde_json::from_str(PAIRED).expect("fixture is JSON")
}

#[test]
fn a_real_baileys_creds_file_round_trips_as_an_equal_json_value() {
    let creds = AuthCreds::from_json_str(PAIRED).expect("reads");
    assert_eq!(creds.registration_id, 253);
    assert_eq!(creds.signed_pre_key.key_id, 1);
    assert_eq!(creds.signed_pre_key.signature.len(), 64);
    assert_eq!(creds.noise_key.public.len(), 32);
    assert_eq!(creds.me_id(), Some("15550000001:7@s.whatsapp.net"));
    assert_eq!(creds.me_lid(), Some("100000000000001:7@lid"));
    assert_eq!(creds.adv_secret_key_bytes().expect("base64").len(), 32);
    assert_eq!(creds.to_value().expect("writes"), paired());
    let text = creds.to_json_string().expect("writes");
    assert_eq!(serde_json::from_str::<Value>(&text).expect("json"), paired());
}

#[test]
fn unknown_fields_and_foreign_representations_are_preserved() {
    let mut value = paired();
    let object = value.as_object_mut().expect("object");
    object
        .insert("futureField".into(), json!({"deep": [1, {"x": null}], "big": 12345678901234u64}));
    object.insert("anotherOne".into(), json!("text"));
    object.insert("additionalData".into(), Value::Null);
    object["accountSettings"]
        .as_object_mut()
        .expect("object")
        .insert("newSetting".into(), json!(true));
    let creds = AuthCreds::from_value(value.clone()).expect("reads");
    assert_eq!(creds.extra.len(), 2);
    assert_eq!(creds.additional_data, Some(Value::Null));
    assert_eq!(creds.to_value().expect("writes"), value);
    // `account` keeps plain base64 strings, not BufferJSON
    assert!(creds.account.as_ref().expect("account")["details"].is_string());
}

#[test]
fn byte_fields_in_list_form_are_re_emitted_in_baileys_form() {
    let mut value = paired();
    value["routingInfo"] = json!({"type": "Buffer", "data": [8, 2, 8, 13, 8, 5]});
    let creds = AuthCreds::from_value(value).expect("reads");
    assert_eq!(creds.to_value().expect("writes"), paired());
}

#[test]
fn malformed_creds_are_corrupt_and_name_the_problem() {
    let mut missing = paired();
    missing.as_object_mut().expect("object").remove("noiseKey");
    let mut bad_bytes = paired();
    bad_bytes["noiseKey"]["public"] = json!({"type": "Buffer", "data": [300]});
    let mut bad_type = paired();
    bad_type["registrationId"] = json!("253");
    let cases = [
        (AuthCreds::from_value(missing), "noiseKey"),
        (AuthCreds::from_value(bad_bytes), "0..=255"),
        (AuthCreds::from_value(bad_type), "expected u32"),
        (AuthCreds::from_json_str(""), "EOF"),
        (AuthCreds::from_json_str(&PAIRED[..100]), "EOF"),
        (AuthCreds::from_json_str("[]"), "invalid type"),
    ];
    for (result, needle) in cases {
        let err = result.expect_err("must fail");
        assert!(err.is_corrupt(), "{err}");
        let chain = format!("{err}: {}", std::error::Error::source(&err).expect("source"));
        assert!(chain.contains(needle), "{chain}");
    }
}

#[test]
fn absent_optional_fields_stay_absent() {
    let mut value = paired();
    let object = value.as_object_mut().expect("object");
    for key in ["pairingCode", "lastPropHash", "routingInfo", "additionalData", "me", "account"] {
        object.remove(key);
    }
    let creds = AuthCreds::from_value(value.clone()).expect("reads");
    assert_eq!(creds.to_value().expect("writes"), value);
}

#[test]
fn debug_output_never_shows_secrets() {
    let creds = AuthCreds::from_json_str(PAIRED).expect("reads");
    let shown = format!("{creds:?} {:?}", creds.noise_key);
    for secret in [
        creds.adv_secret_key.as_str(),
        &creds.noise_key.private.to_base64(),
        &creds.signed_identity_key.private.to_base64(),
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("registration_id: 253"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

#[test]
fn explicit_nulls_are_kept_as_null() {
    let mut value = paired();
    for key in ["pairingCode", "platform", "lastPropHash", "myAppStateKeyId", "routingInfo"] {
        value[key] = Value::Null;
    }
    value["signedPreKey"]["timestampS"] = Value::Null;
    let creds = AuthCreds::from_value(value.clone()).expect("reads");
    assert_eq!(creds.pairing_code, Some(None));
    assert_eq!(creds.routing_info, Some(None));
    assert_eq!(creds.signed_pre_key.timestamp_s, Some(None));
    assert_eq!(creds.to_value().expect("writes"), value, "nulls are written back");
    let text = creds.to_json_string().expect("writes");
    assert!(text.contains(r#""pairingCode":null"#), "{text}");
    assert!(text.contains(r#""timestampS":null"#), "{text}");
}

#[test]
fn a_baileys_creds_file_is_rewritten_byte_for_byte() {
    // Baileys' own field order and every foreign object's key order
    // (`account`, `additionalData`, `me`) survive a round trip
    let creds = AuthCreds::from_json_str(PAIRED).expect("reads");
    assert_eq!(creds.to_json_string().expect("writes"), PAIRED);
}

#[test]
fn top_level_key_order_is_kept_as_read_and_new_fields_go_last() {
    let text = r#"{"registered":true,"zeta":1,"noiseKey":{"private":{"type":"Buffer","data":"AQ=="},"public":{"type":"Buffer","data":"Ag=="}},"pairingEphemeralKeyPair":{"private":{"type":"Buffer","data":"AQ=="},"public":{"type":"Buffer","data":"Ag=="}},"signedIdentityKey":{"private":{"type":"Buffer","data":"AQ=="},"public":{"type":"Buffer","data":"Ag=="}},"signedPreKey":{"keyPair":{"private":{"type":"Buffer","data":"AQ=="},"public":{"type":"Buffer","data":"Ag=="}},"signature":{"type":"Buffer","data":"AQ=="},"keyId":1},"registrationId":1,"advSecretKey":"AQ==","accountSettings":{"unarchiveChats":false},"pairingCode":null,"processedHistoryMessages":[],"nextPreKeyId":1,"firstUnuploadedPreKeyId":1,"accountSyncCounter":0,"alpha":2}"#;
    let mut creds = AuthCreds::from_json_str(text).expect("reads");
    let fresh_order = AuthCreds::from_json_str(text).expect("reads");
    assert_eq!(creds.to_json_string().expect("writes"), text);
    creds.platform = Some(Some("android".into()));
    let written = creds.to_json_string().expect("writes");
    assert!(written.starts_with(r#"{"registered":true,"zeta":1,"noiseKey""#), "{written}");
    assert!(
        written.ends_with(r#""accountSyncCounter":0,"alpha":2,"platform":"android"}"#),
        "{written}"
    );
    // order is presentation: equality ignores it
    let mut reordered =
        AuthCreds::from_value(serde_json::from_str::<Value>(text).expect("json")).expect("reads");
    reordered.platform = Some(Some("android".into()));
    assert_eq!(reordered, creds);
    assert_ne!(fresh_order, creds);
}

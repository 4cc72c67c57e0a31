//! The real TLS path: a local rustls server (the fake, HTTPS) with a
//! certificate from a test CA generated here (rcgen, ECDSA P-256), and the
//! client configured to trust exactly that CA: HTTP/2 by ALPN, HTTP/1.1 on
//! request, the token request over TLS too; an untrusted server is refused;
//! the plugin delivers over TLS.

use std::sync::Arc;
use std::time::Duration;

use push_core::{
    Action, Device, DeviceStore, Handler, MemoryDeviceStore, Payload, Platform, Receipt, Recipient,
    Timestamp,
};
use push_fcm::testkit::{FakeFcm, service_account_json};
use push_fcm::{
    ClientConfig, FcmClient, FcmHandler, HttpVersion, Message, Roots, SendError, Target, TokenError,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A fresh CA and a server config for `127.0.0.1` signed by it.
fn test_pki() -> Result<(rustls::RootCertStore, rustls::ServerConfig), Box<dyn std::error::Error>> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "msgkit test CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate()?;
    let leaf =
        CertificateParams::new(vec!["127.0.0.1".to_owned()])?.signed_by(&leaf_key, &issuer)?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca_cert.der().clone()], key)?;
    Ok((roots, server))
}

async fn tls_fake() -> Result<(FakeFcm, Roots), Box<dyn std::error::Error>> {
    let (roots, server) = test_pki()?;
    let fake = FakeFcm::start_tls(server).await?;
    assert!(fake.base_url().starts_with("https://127.0.0.1:"));
    Ok((fake, Roots::Custom(Arc::new(roots))))
}

#[tokio::test]
async fn the_client_speaks_http2_over_tls_to_a_trusted_server() -> TestResult {
    let (fake, roots) = tls_fake().await?;
    let config = ClientConfig { http_version: HttpVersion::Auto, roots, ..fake.client_config() };
    let client = FcmClient::new(fake.service_account(), config)?;
    for i in 0..3 {
        client.send(&Message::new(Target::Token(format!("tok{i}")))).await?;
    }
    let versions: Vec<String> = fake.sends().into_iter().map(|s| s.version).collect();
    assert_eq!(versions, ["HTTP/2.0"; 3], "ALPN picked h2");
    assert_eq!(fake.token_requests().len(), 1, "the token came over TLS too");
    assert_eq!(fake.token_requests()[0].jwt_error, None);
    Ok(())
}

#[tokio::test]
async fn http1_over_tls_on_request() -> TestResult {
    let (fake, roots) = tls_fake().await?;
    let config = ClientConfig { http_version: HttpVersion::Http1, roots, ..fake.client_config() };
    FcmClient::new(fake.service_account(), config)?
        .send(&Message::new(Target::topic("news")))
        .await?;
    assert_eq!(fake.sends()[0].version, "HTTP/1.1");
    Ok(())
}

#[tokio::test]
async fn a_server_outside_the_trusted_roots_is_refused() -> TestResult {
    let (fake, _) = tls_fake().await?;
    let (other_ca, _) = test_pki()?;
    for roots in [Roots::WebPki, Roots::Custom(Arc::new(other_ca))] {
        let config =
            ClientConfig { roots, request_timeout: Duration::from_secs(5), ..fake.client_config() };
        let error = FcmClient::new(fake.service_account(), config)?
            .send(&Message::new(Target::Token("t".into())))
            .await
            .err();
        assert!(matches!(error, Some(SendError::Token(TokenError::Transport(_)))), "{error:?}");
    }
    assert!(fake.token_requests().is_empty() && fake.sends().is_empty(), "nothing got through");
    Ok(())
}

#[tokio::test]
async fn the_plugin_delivers_over_tls() -> TestResult {
    let (fake, roots) = tls_fake().await?;
    let store = Arc::new(MemoryDeviceStore::new());
    let device = Device {
        token: "tokBob".into(),
        platform: Platform::Ios,
        last_seen: Timestamp::UNIX_EPOCH,
        lang: String::new(),
    };
    store.update("usrBob", None, device).await?;
    let handler = FcmHandler::new(store as Arc<dyn DeviceStore>).with_roots(roots);
    let credentials: serde_json::Value =
        serde_json::from_str(&service_account_json(fake.token_url()))?;
    let config = json!({"enabled": true, "credentials": credentials, "fcm_base_url": fake.base_url(), "iid_base_url": fake.base_url()});
    assert!(handler.init(&config).await?);
    let mut receipt = Receipt::new(Payload::new(Action::Msg, "grpX", "usrAlice", Timestamp::now()));
    receipt.to.insert("usrBob".into(), Recipient { unread: 1, ..Recipient::default() });
    assert!(handler.push(&Arc::new(receipt)).is_accepted());
    handler.stop(Duration::from_secs(5)).await;
    assert_eq!(handler.counters().delivered, 1);
    assert_eq!(handler.outcomes().delivered, 1);
    assert_eq!(fake.sends()[0].version, "HTTP/2.0");
    Ok(())
}

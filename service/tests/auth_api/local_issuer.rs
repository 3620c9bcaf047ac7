//! The demo's run-time issuer: its tokens pass the real `Authenticator`, and only where aimed.

use std::sync::Arc;

use oms_cds::auth::{AuthConfig, Authenticator, InMemoryReplayCache, LocalIssuer, LOCAL_ISSUER};

use crate::helpers::*;

fn trusting(issuer: &LocalIssuer) -> Authenticator {
    Authenticator::with_extra_issuers(
        AuthConfig::default(),
        BASE_URL,
        reqwest::Client::new(),
        Arc::new(InMemoryReplayCache::default()),
        vec![issuer.trusted_issuer()],
    )
    .expect("the local issuer satisfies the one-issuer rule")
}

#[tokio::test]
async fn a_minted_token_is_accepted_for_the_url_it_names() {
    let issuer = LocalIssuer::generate().expect("a key pair");
    let auth = trusting(&issuer);

    let token = issuer.mint(&service_url()).expect("a token");
    let claims = verify(&auth, &token, SERVICE_PATH).await.expect("accepted");

    assert_eq!(claims.issuer.as_str(), LOCAL_ISSUER);
    assert_eq!((claims.expires_at - claims.issued_at).whole_seconds(), 300);
    assert!(auth.keys_loaded().await);
}

#[tokio::test]
async fn a_minted_token_is_refused_for_another_endpoint_and_when_replayed() {
    let issuer = LocalIssuer::generate().expect("a key pair");
    let auth = trusting(&issuer);

    let discovery_token = issuer
        .mint(&format!("{BASE_URL}/cds-services"))
        .expect("a token");
    assert_eq!(refusal(&auth, &discovery_token).await, "wrong_audience");

    let token = issuer.mint(&service_url()).expect("a token");
    assert!(verify(&auth, &token, SERVICE_PATH).await.is_ok());
    assert_eq!(refusal(&auth, &token).await, "replay");
}

#[tokio::test]
async fn another_processes_demo_key_is_not_trusted() {
    let trusted = LocalIssuer::generate().expect("a key pair");
    let other = LocalIssuer::generate().expect("a key pair");
    let auth = trusting(&trusted);

    let token = other.mint(&service_url()).expect("a token");
    assert_eq!(refusal(&auth, &token).await, "unknown_kid");
}

#[tokio::test]
async fn a_token_minted_long_ago_is_expired() {
    let issuer = LocalIssuer::generate().expect("a key pair");
    let auth = trusting(&issuer);

    let an_hour_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let token = issuer
        .mint_at(&service_url(), an_hour_ago)
        .expect("a token");
    assert_eq!(refusal(&auth, &token).await, "expired");
}

#[tokio::test]
async fn without_a_local_issuer_the_default_config_still_needs_an_issuer() {
    let result = Authenticator::with_extra_issuers(
        AuthConfig::default(),
        BASE_URL,
        reqwest::Client::new(),
        Arc::new(InMemoryReplayCache::default()),
        Vec::new(),
    );
    let error = result.expect_err("no issuer at all");
    assert!(error.to_string().contains("auth.issuers"), "{error}");
}

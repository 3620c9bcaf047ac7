//! `Authenticator::verify`: which tokens are trusted and which are refused, and why.

use oms_cds::auth::{AuthError, IssuerConfig, SigningAlgorithm};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

#[tokio::test]
async fn a_valid_es384_token_is_accepted_with_its_claims() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER)
        .claim("jti", "nonce-es384")
        .claim("tenant", "hospital-a");
    let claims = verify(&auth, &token.signed_by(&key), SERVICE_PATH)
        .await
        .expect("accepted");

    assert_eq!(claims.issuer.as_str(), EHR_ISSUER);
    assert_eq!(claims.jti, "nonce-es384");
    assert_eq!(claims.tenant.as_deref(), Some("hospital-a"));
    assert_eq!(claims.subject, None);
}

#[tokio::test]
async fn a_valid_rs384_token_is_accepted() {
    let key = TestKey::rs384("ehr-rs384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    let claims = verify(
        &auth,
        &Token::from(EHR_ISSUER).signed_by(&key),
        SERVICE_PATH,
    )
    .await
    .expect("accepted");
    assert_eq!(claims.issuer.as_str(), EHR_ISSUER);
}

#[tokio::test]
async fn an_epic_shaped_rs384_token_with_jku_and_nbf_is_accepted() {
    let key = TestKey::rs384("epic-2026");
    let server = jwks_server(&[&key], 1).await;
    let epic_issuer = "https://fhir.epic.example/interconnect-fhir-oauth/oauth2";
    let jku = jwks_url(&server);
    let issuer = IssuerConfig {
        allowed_jku: vec![jku.clone()],
        ..IssuerConfig::with_jwks_url(epic_issuer, &jku)
    };
    let auth = authenticator(config_with(vec![issuer]));

    let now = now();
    let token = Token::from(epic_issuer)
        .jku(&jku)
        .claim("sub", "d2d0b0f1-epic-client-id")
        .claim("nbf", now)
        .claim("iat", now)
        .claim("exp", now + 300);
    let claims = verify(&auth, &token.signed_by(&key), SERVICE_PATH)
        .await
        .expect("accepted");

    assert_eq!(claims.issuer.as_str(), epic_issuer);
    assert_eq!(claims.subject.as_deref(), Some("d2d0b0f1-epic-client-id"));
}

#[tokio::test]
async fn a_sandbox_shaped_es384_token_with_jku_and_no_sub_is_accepted() {
    let key = TestKey::es384("sandbox-key");
    let sandbox_jwks = jwks_server(&[&key], 1).await;
    let sandbox_issuer = "https://sandbox.cds-hooks.org";
    let jku = jwks_url(&sandbox_jwks);
    // The sandbox publishes keys only through jku: the configured source is a static file that
    // does not hold this key, so acceptance proves the allow-listed jku was used.
    let static_set =
        std::env::temp_dir().join(format!("oms-cds-empty-jwks-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&static_set, r#"{"keys":[]}"#).expect("temp file");
    let issuer = IssuerConfig {
        iss: sandbox_issuer.to_owned(),
        jwks_url: None,
        jwks_file: Some(static_set.clone()),
        algorithms: vec![SigningAlgorithm::ES384],
        allowed_jku: vec![jku.clone()],
        jku_files: Default::default(),
        // Pinned keys win by default; this deployment asks for the jku to be fetched.
        fetch_allowed_jku: true,
        tenants: Vec::new(),
        fhir_servers: Vec::new(),
    };
    let auth = authenticator(config_with(vec![issuer]));
    std::fs::remove_file(&static_set).expect("temp file removed");

    let token = Token::from(sandbox_issuer).jku(&jku);
    let claims = verify(&auth, &token.signed_by(&key), SERVICE_PATH)
        .await
        .expect("accepted");

    assert_eq!(claims.issuer.as_str(), sandbox_issuer);
    assert_eq!(claims.subject, None);
}

#[tokio::test]
async fn alg_none_is_refused_before_any_key_lookup() {
    let server = jwks_server(&[&TestKey::es384("k")], 0).await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER).unsigned("k");
    assert_eq!(refusal(&auth, &token).await, "disallowed_algorithm");
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused_before_any_key_lookup() {
    let key = TestKey::rs384("ehr-rs384");
    let server = jwks_server(&[&key], 0).await;
    let auth = ehr_authenticator(&server);

    let public_pem = key.public_pem.clone().expect("RSA keys carry their PEM");
    let forged = Token::from(EHR_ISSUER).signed_with_hmac(&key.kid, public_pem.as_bytes());
    assert_eq!(refusal(&auth, &forged).await, "disallowed_algorithm");
}

#[tokio::test]
async fn an_rs384_token_from_an_unknown_issuer_is_refused_without_fetching_keys() {
    let key = TestKey::rs384("ehr-rs384");
    let server = jwks_server(&[&key], 0).await;
    let auth = ehr_authenticator(&server);

    let token = Token::from("https://stranger.example.org").signed_by(&key);
    assert_eq!(refusal(&auth, &token).await, "unknown_issuer");
}

#[tokio::test]
async fn a_blank_or_over_long_iss_is_an_unknown_issuer() {
    let key = TestKey::rs384("ehr-rs384");
    let server = jwks_server(&[&key], 0).await;
    let auth = ehr_authenticator(&server);

    let over_long = format!("{EHR_ISSUER}{}", "/x".repeat(300));
    for iss in ["", " ", over_long.as_str()] {
        let token = Token::from(iss).signed_by(&key);
        assert_eq!(refusal(&auth, &token).await, "unknown_issuer", "{iss:?}");
    }
}

#[tokio::test]
async fn an_algorithm_the_issuer_is_not_trusted_with_is_refused() {
    let key = TestKey::rs384("ehr-rs384");
    let server = jwks_server(&[&key], 0).await;
    let issuer = IssuerConfig {
        algorithms: vec![SigningAlgorithm::ES384],
        ..ehr_issuer(&jwks_url(&server))
    };
    let auth = authenticator(config_with(vec![issuer]));

    let token = Token::from(EHR_ISSUER).signed_by(&key);
    assert_eq!(refusal(&auth, &token).await, "disallowed_algorithm");
}

#[tokio::test]
async fn a_valid_signature_under_another_keys_kid_is_refused() {
    let signer = TestKey::es384("signer");
    let other = TestKey::es384("other");
    let server = jwks_server(&[&signer, &other], 1).await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER).kid("other").signed_by(&signer);
    assert_eq!(refusal(&auth, &token).await, "bad_signature");
}

#[tokio::test]
async fn a_kid_absent_from_the_key_set_is_refused() {
    let signer = TestKey::es384("signer");
    let server = jwks_server(&[&signer], 1).await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER)
        .kid("not-in-the-set")
        .signed_by(&signer);
    assert_eq!(refusal(&auth, &token).await, "unknown_kid");
}

#[tokio::test]
async fn an_rsa_key_is_never_used_for_an_ec_algorithm() {
    let ec_signer = TestKey::es384("shared-kid");
    let rsa_key = TestKey::rs384("shared-kid");
    let mut rsa_without_alg = rsa_key.public_jwk();
    rsa_without_alg
        .as_object_mut()
        .expect("a JWK object")
        .remove("alg");
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "keys": [rsa_without_alg] })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER).signed_by(&ec_signer);
    assert_eq!(refusal(&auth, &token).await, "key_algorithm_mismatch");
}

#[tokio::test]
async fn a_jku_outside_the_allow_list_is_refused_and_never_fetched() {
    let key = TestKey::es384("attacker-key");
    let attacker = jwks_server(&[&key], 0).await;
    let ehr = jwks_server(&[&TestKey::es384("ehr-key")], 0).await;
    let issuer = IssuerConfig {
        allowed_jku: vec![jwks_url(&ehr)],
        ..ehr_issuer(&jwks_url(&ehr))
    };
    let auth = authenticator(config_with(vec![issuer]));

    let token = Token::from(EHR_ISSUER)
        .jku(&jwks_url(&attacker))
        .signed_by(&key);
    assert_eq!(refusal(&auth, &token).await, "untrusted_jku");
    let requests = attacker.received_requests().await.expect("recording is on");
    assert!(
        requests.is_empty(),
        "the attacker's URL was requested: {requests:?}"
    );
}

#[tokio::test]
async fn a_tampered_payload_fails_the_signature() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    let genuine = Token::from(EHR_ISSUER)
        .claim("tenant", "hospital-a")
        .signed_by(&key);
    let forged_claims = Token::from(EHR_ISSUER)
        .claim("tenant", "hospital-b")
        .signed_by(&key);
    let mut parts: Vec<&str> = genuine.split('.').collect();
    parts[1] = forged_claims.split('.').nth(1).expect("claims part");
    assert_eq!(refusal(&auth, &parts.join(".")).await, "bad_signature");
}

#[tokio::test]
async fn an_audience_of_another_service_or_of_discovery_is_refused() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    let other_service =
        Token::from(EHR_ISSUER).claim("aud", format!("{BASE_URL}/cds-services/other"));
    assert_eq!(
        refusal(&auth, &other_service.signed_by(&key)).await,
        "wrong_audience"
    );
    let discovery = Token::from(EHR_ISSUER).claim("aud", format!("{BASE_URL}/cds-services"));
    assert_eq!(
        refusal(&auth, &discovery.signed_by(&key)).await,
        "wrong_audience"
    );
    let other_host =
        Token::from(EHR_ISSUER).claim("aud", format!("https://evil.example{SERVICE_PATH}"));
    assert_eq!(
        refusal(&auth, &other_host.signed_by(&key)).await,
        "wrong_audience"
    );
}

#[tokio::test]
async fn an_audience_array_containing_the_service_url_is_accepted() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    let token =
        Token::from(EHR_ISSUER).claim("aud", json!(["https://other.example", service_url()]));
    assert!(verify(&auth, &token.signed_by(&key), SERVICE_PATH)
        .await
        .is_ok());
}

#[tokio::test]
async fn feedback_accepts_the_feedback_url_and_the_service_url_as_audience() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);
    let feedback_path = format!("{SERVICE_PATH}/feedback");

    let to_feedback = Token::from(EHR_ISSUER).claim("aud", format!("{BASE_URL}{feedback_path}"));
    assert!(verify(&auth, &to_feedback.signed_by(&key), &feedback_path)
        .await
        .is_ok());
    let to_service = Token::from(EHR_ISSUER).claim("aud", service_url());
    assert!(verify(&auth, &to_service.signed_by(&key), &feedback_path)
        .await
        .is_ok());
}

#[tokio::test]
async fn time_claims_outside_the_window_are_refused_by_reason() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);
    let now = now();

    let expired = Token::from(EHR_ISSUER)
        .claim("iat", now - 600)
        .claim("exp", now - 120);
    assert_eq!(refusal(&auth, &expired.signed_by(&key)).await, "expired");
    let nbf_future = Token::from(EHR_ISSUER).claim("nbf", now + 600);
    assert_eq!(
        refusal(&auth, &nbf_future.signed_by(&key)).await,
        "not_yet_valid"
    );
    let iat_future = Token::from(EHR_ISSUER)
        .claim("iat", now + 600)
        .claim("exp", now + 900);
    assert_eq!(
        refusal(&auth, &iat_future.signed_by(&key)).await,
        "issued_in_future"
    );
    let too_long = Token::from(EHR_ISSUER).claim("exp", now + 2 * 3600);
    assert_eq!(
        refusal(&auth, &too_long.signed_by(&key)).await,
        "lifetime_out_of_range"
    );
}

#[tokio::test]
async fn a_token_without_jti_is_refused() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER).without("jti").signed_by(&key);
    assert_eq!(refusal(&auth, &token).await, "missing_claim");
}

#[tokio::test]
async fn a_replayed_jti_is_refused_the_second_time() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER).signed_by(&key);
    assert!(verify(&auth, &token, SERVICE_PATH).await.is_ok());
    assert_eq!(refusal(&auth, &token).await, "replay");

    let same_jti_new_token = Token::from(EHR_ISSUER)
        .claim("jti", "reused")
        .signed_by(&key);
    let again = Token::from(EHR_ISSUER)
        .claim("jti", "reused")
        .signed_by(&key);
    assert!(verify(&auth, &same_jti_new_token, SERVICE_PATH)
        .await
        .is_ok());
    assert_eq!(refusal(&auth, &again).await, "replay");
}

#[tokio::test]
async fn a_tenant_outside_the_allowed_list_is_refused() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 1).await;
    let issuer = IssuerConfig {
        tenants: vec!["hospital-a".to_owned()],
        ..ehr_issuer(&jwks_url(&server))
    };
    let auth = authenticator(config_with(vec![issuer]));

    let other = Token::from(EHR_ISSUER)
        .claim("tenant", "hospital-b")
        .signed_by(&key);
    assert_eq!(refusal(&auth, &other).await, "tenant_not_allowed");
    let absent = Token::from(EHR_ISSUER).signed_by(&key);
    assert_eq!(refusal(&auth, &absent).await, "tenant_not_allowed");
    let listed = Token::from(EHR_ISSUER)
        .claim("tenant", "hospital-a")
        .signed_by(&key);
    assert!(verify(&auth, &listed, SERVICE_PATH).await.is_ok());
}

#[tokio::test]
async fn truncated_non_base64_and_oversized_tokens_are_refused_without_fetching_keys() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 0).await;
    let auth = ehr_authenticator(&server);
    let token = Token::from(EHR_ISSUER).signed_by(&key);

    let truncated = &token[..token.rfind('.').expect("three parts")];
    assert_eq!(refusal(&auth, truncated).await, "malformed_token");
    assert_eq!(
        refusal(&auth, "not*base64.at~all.sig").await,
        "malformed_token"
    );
    let oversized = Token::from(EHR_ISSUER)
        .claim("padding", "x".repeat(17 * 1024))
        .signed_by(&key);
    assert_eq!(refusal(&auth, &oversized).await, "token_too_large");
}

#[tokio::test]
async fn a_missing_or_non_bearer_authorization_header_is_refused() {
    let server = jwks_server(&[], 0).await;
    let auth = ehr_authenticator(&server);

    assert_eq!(
        auth.verify(None, SERVICE_PATH).await,
        Err(AuthError::MissingToken)
    );
    let basic = axum::http::HeaderValue::from_static("Basic dXNlcjpwYXNz");
    assert_eq!(
        auth.verify(Some(&basic), SERVICE_PATH).await,
        Err(AuthError::NotBearer)
    );
}

#[tokio::test]
async fn two_instances_sharing_a_replay_cache_refuse_a_token_replayed_on_the_other() {
    let key = TestKey::es384("ehr-es384");
    let server = jwks_server(&[&key], 2).await;
    let shared: std::sync::Arc<dyn oms_cds::auth::ReplayCache> =
        std::sync::Arc::new(oms_cds::auth::InMemoryReplayCache::default());
    let instance = || {
        oms_cds::auth::Authenticator::new(
            config_with(vec![ehr_issuer(&jwks_url(&server))]),
            BASE_URL,
            reqwest::Client::new(),
            std::sync::Arc::clone(&shared),
        )
        .expect("a valid configuration")
    };
    let (first, second) = (instance(), instance());

    let token = Token::from(EHR_ISSUER).signed_by(&key);
    assert!(verify(&first, &token, SERVICE_PATH).await.is_ok());
    assert_eq!(refusal(&second, &token).await, "replay");
}

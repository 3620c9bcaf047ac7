//! Authentication end to end: the service trusts a local issuer and checks every call.

use std::sync::Arc;

use oms_cds::auth::{IssuerConfig, LocalIssuer};
use oms_cds::startup::Application;
use oms_cds::state::LocalTrust;
use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{client, minimal_order_sign, post_with_bearer, test_settings, ORDER_SIGN_ID};
use crate::tokens::TestSigner;

struct AuthedApp {
    address: String,
    issuer: Arc<LocalIssuer>,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Test settings requiring auth, on a free port whose URL is the public base URL (the `aud`).
fn authenticated_settings() -> (String, oms_cds::config::Settings) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = test_settings();
    settings.listen = listener.local_addr().unwrap();
    settings.public_base_url = address.clone();
    settings.auth.required = true;
    (address, settings)
}

/// Runs the application until the returned sender is used or dropped.
fn run(application: Application) -> tokio::sync::oneshot::Sender<()> {
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(application.run_until(async {
        let _ = rx.await;
    }));
    shutdown
}

async fn spawn_authenticated(discovery_requires_auth: bool) -> AuthedApp {
    let issuer = Arc::new(LocalIssuer::generate().unwrap());
    let (address, mut settings) = authenticated_settings();
    settings.auth.discovery_requires_auth = discovery_requires_auth;
    let local = LocalTrust {
        issuer: Arc::clone(&issuer),
        serve_tokens: false,
    };
    let application = Application::build_with(settings, Some(local))
        .await
        .unwrap();
    AuthedApp {
        address,
        issuer,
        shutdown: run(application),
    }
}

#[tokio::test]
async fn service_calls_need_a_valid_token_and_a_token_works_once() {
    let app = spawn_authenticated(false).await;
    let url = format!("{}/cds-services/{ORDER_SIGN_ID}", app.address);
    let request = minimal_order_sign();

    let unsigned = client().post(&url).json(&request).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(unsigned.headers()["www-authenticate"], "Bearer");
    assert!(
        unsigned.text().await.unwrap().is_empty(),
        "a 401 carries no detail"
    );

    let token = app.issuer.mint(&url).unwrap();
    let signed = post_with_bearer(&client(), &url, &token, &request).await;
    assert_eq!(signed.status(), 200);
    let body: Value = signed.json().await.unwrap();
    assert!(body["cards"].is_array());

    let replayed = post_with_bearer(&client(), &url, &token, &request).await;
    assert_eq!(replayed.status(), 401, "a replayed jti is refused");

    let discovery_token = app
        .issuer
        .mint(&format!("{}/cds-services", app.address))
        .unwrap();
    let wrong_audience = post_with_bearer(&client(), &url, &discovery_token, &request).await;
    assert_eq!(
        wrong_audience.status(),
        401,
        "a token for discovery is not a token for the service"
    );

    let metrics = client()
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("oms_cds_auth_failures_total{reason=\"replay\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("oms_cds_auth_failures_total{reason=\"missing_token\"} 1"),
        "{metrics}"
    );
    let _ = app.shutdown.send(());
}

#[tokio::test]
async fn discovery_is_open_unless_configured_otherwise() {
    let open = spawn_authenticated(false).await;
    let response = client()
        .get(format!("{}/cds-services", open.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let _ = open.shutdown.send(());

    let closed = spawn_authenticated(true).await;
    let url = format!("{}/cds-services", closed.address);
    assert_eq!(client().get(&url).send().await.unwrap().status(), 401);
    let token = closed.issuer.mint(&url).unwrap();
    assert_eq!(
        client()
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let _ = closed.shutdown.send(());
}

#[tokio::test]
async fn feedback_accepts_a_token_for_the_feedback_url() {
    let app = spawn_authenticated(false).await;
    let url = format!("{}/cds-services/{ORDER_SIGN_ID}/feedback", app.address);
    let body = serde_json::json!({"feedback": [{"card": uuid::Uuid::new_v4().to_string(),
        "outcome": "overridden", "outcomeTimestamp": "2026-11-25T10:00:00Z"}]});
    let token = app.issuer.mint(&url).unwrap();
    let response = post_with_bearer(&client(), &url, &token, &body).await;
    assert_eq!(response.status(), 200);
    let _ = app.shutdown.send(());
}

/// A service trusting `issuer` through configuration (a JWK Set file), the way an EHR is
/// configured, with `fhir_servers` on that issuer and an empty global FHIR allow-list.
async fn spawn_with_configured_issuer(
    issuer: &LocalIssuer,
    fhir_servers: Vec<String>,
) -> AuthedAppAt {
    let jwks_file = crate::helpers::temp_dir().join("jwks.json");
    std::fs::write(&jwks_file, issuer.jwk_set().to_string()).unwrap();
    let (address, mut settings) = authenticated_settings();
    settings.auth.issuers = vec![oms_cds::auth::IssuerConfig {
        jwks_url: None,
        jwks_file: Some(jwks_file),
        fhir_servers,
        ..oms_cds::auth::IssuerConfig::with_jwks_url(issuer.issuer(), "https://unused.example")
    }];
    settings.fhir.allow_http = true;
    settings.fhir.allowed_servers = Vec::new();
    let application = Application::build(settings).await.unwrap();
    AuthedAppAt {
        address,
        shutdown: run(application),
    }
}

struct AuthedAppAt {
    address: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

#[tokio::test]
async fn an_issuers_own_fhir_servers_may_be_called_for_its_requests() {
    use wiremock::matchers::{method, path, query_param};

    let issuer = LocalIssuer::generate().unwrap();
    let fhir = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Condition"))
        .and(query_param("patient", "pat-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "resourceType": "Bundle", "type": "searchset", "entry": []
        })))
        .expect(1)
        .mount(&fhir)
        .await;
    let mut request = minimal_order_sign();
    request["prefetch"]
        .as_object_mut()
        .unwrap()
        .remove("conditions");
    request["fhirServer"] = serde_json::json!(fhir.uri());
    request["fhirAuthorization"] = serde_json::json!({
        "access_token": "opaque-token", "token_type": "Bearer", "expires_in": 300,
        "scope": "user/Condition.read user/Patient.read", "subject": "oms-cds"
    });

    let trusted = spawn_with_configured_issuer(&issuer, vec![fhir.uri()]).await;
    let url = format!("{}/cds-services/{ORDER_SIGN_ID}", trusted.address);
    let response = post_with_bearer(&client(), &url, &issuer.mint(&url).unwrap(), &request).await;
    assert_eq!(
        response.status(),
        200,
        "the issuer's FHIR server is allowed"
    );
    let _ = trusted.shutdown.send(());

    let other = spawn_with_configured_issuer(&issuer, Vec::new()).await;
    let url = format!("{}/cds-services/{ORDER_SIGN_ID}", other.address);
    let response = post_with_bearer(&client(), &url, &issuer.mint(&url).unwrap(), &request).await;
    assert_eq!(
        response.status(),
        412,
        "without the issuer's list the server is not allowed"
    );
    let body: Value = response.json().await.unwrap();
    assert!(body.to_string().contains("allow-list"), "{body}");
    let _ = other.shutdown.send(());
}

/// The `iss` of the EHR configured with pinned keys in these tests.
const PINNED_ISSUER: &str = "https://ehr.example.org";

/// A service trusting `signer`'s key, pinned in a JWK Set file, for [`PINNED_ISSUER`], with
/// `allowed_jku` allow-listed.
async fn spawn_pinned(signer: &TestSigner, allowed_jku: Vec<String>) -> AuthedAppAt {
    let (address, mut settings) = authenticated_settings();
    let mut issuer = IssuerConfig::with_jwks_file(PINNED_ISSUER, signer.write_jwk_set());
    issuer.allowed_jku = allowed_jku;
    settings.auth.issuers = vec![issuer];
    let application = Application::build(settings).await.unwrap();
    AuthedAppAt {
        address,
        shutdown: run(application),
    }
}

/// Asserts the bare `401`: `WWW-Authenticate: Bearer` and no body.
async fn assert_bare_401(response: reqwest::Response, why: &str) {
    assert_eq!(response.status(), 401, "{why}");
    assert_eq!(response.headers()["www-authenticate"], "Bearer", "{why}");
    assert!(response.text().await.unwrap().is_empty(), "{why}");
}

#[tokio::test]
async fn a_token_with_any_crit_header_is_refused() {
    let signer = TestSigner::generate("ehr-key-1");
    let app = spawn_pinned(&signer, Vec::new()).await;
    let url = format!("{}/cds-services/{ORDER_SIGN_ID}", app.address);
    let request = minimal_order_sign();
    let header = json!({"alg": "ES384", "typ": "JWT", "kid": signer.kid});

    let plain = signer.sign(&header, &TestSigner::claims(PINNED_ISSUER, &url));
    let accepted = post_with_bearer(&client(), &url, &plain, &request).await;
    assert_eq!(
        accepted.status(),
        200,
        "the same token without crit is trusted"
    );

    for crit in [json!(["exp"]), json!(["b64"]), json!([])] {
        let mut critical = header.clone();
        critical["crit"] = crit.clone();
        let token = signer.sign(&critical, &TestSigner::claims(PINNED_ISSUER, &url));
        let refused = post_with_bearer(&client(), &url, &token, &request).await;
        assert_bare_401(refused, &format!("crit = {crit}")).await;
    }
    let _ = app.shutdown.send(());
}

#[tokio::test]
async fn a_request_with_two_authorization_headers_is_refused() {
    let signer = TestSigner::generate("ehr-key-1");
    let app = spawn_pinned(&signer, Vec::new()).await;
    let url = format!("{}/cds-services/{ORDER_SIGN_ID}", app.address);
    let header = json!({"alg": "ES384", "typ": "JWT", "kid": signer.kid});
    let mint = || {
        format!(
            "Bearer {}",
            signer.sign(&header, &TestSigner::claims(PINNED_ISSUER, &url))
        )
    };

    let twice = client()
        .post(&url)
        .header(AUTHORIZATION, mint())
        .header(AUTHORIZATION, mint())
        .json(&minimal_order_sign())
        .send()
        .await
        .unwrap();
    assert_bare_401(twice, "two valid tokens").await;

    let once = client()
        .post(&url)
        .header(AUTHORIZATION, mint())
        .json(&minimal_order_sign())
        .send()
        .await
        .unwrap();
    assert_eq!(once.status(), 200, "one of the same tokens is trusted");

    let metrics = client()
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("oms_cds_auth_failures_total{reason=\"several_authorization_headers\"} 1"),
        "{metrics}"
    );
    let _ = app.shutdown.send(());
}

#[tokio::test]
async fn an_allowed_jku_is_verified_with_the_pinned_keys_without_fetching_it() {
    let jku_host = MockServer::start().await;
    let jku = format!("{}/.well-known/jwks.json", jku_host.uri());
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&jku_host)
        .await;
    let signer = TestSigner::generate("ehr-key-1");
    let app = spawn_pinned(&signer, vec![jku.clone()]).await;
    let url = format!("{}/cds-services/{ORDER_SIGN_ID}", app.address);

    let token = signer.sign(
        &signer.sandbox_header(&jku),
        &TestSigner::claims(PINNED_ISSUER, &url),
    );
    let response = post_with_bearer(&client(), &url, &token, &minimal_order_sign()).await;
    assert_eq!(
        response.status(),
        200,
        "verified by kid against the pinned key"
    );

    let elsewhere = format!("{}/other-jwks.json", jku_host.uri());
    let token = signer.sign(
        &signer.sandbox_header(&elsewhere),
        &TestSigner::claims(PINNED_ISSUER, &url),
    );
    let response = post_with_bearer(&client(), &url, &token, &minimal_order_sign()).await;
    assert_eq!(
        response.status(),
        401,
        "a jku off the allow-list is still refused"
    );

    let _ = app.shutdown.send(());
    jku_host.verify().await;
    assert!(jku_host
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}

//! `auth::require` in front of a tiny router: bare 401s, open discovery, claims for handlers.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use oms_cds::auth::{self, AuthConfig, VerifiedClaims};
use tower::ServiceExt;
use wiremock::MockServer;

use crate::helpers::*;

async fn service_handler(claims: VerifiedClaims) -> String {
    claims.issuer.to_string()
}

fn router(config: AuthConfig) -> Router {
    let auth = Arc::new(authenticator(config));
    Router::new()
        .route("/cds-services", get(|| async { "discovery" }))
        .route(SERVICE_PATH, post(service_handler))
        .route_layer(axum::middleware::from_fn_with_state(auth, auth::require))
}

/// The configuration trusting the EHR issuer whose keys `server` publishes.
fn ehr_config(server: &MockServer) -> AuthConfig {
    config_with(vec![ehr_issuer(&jwks_url(server))])
}

fn request(method: &str, uri: &str, token: Option<&str>) -> Request<Body> {
    let builder = Request::builder().method(method).uri(uri);
    let builder = match token {
        Some(token) => builder.header(header::AUTHORIZATION, format!("Bearer {token}")),
        None => builder,
    };
    builder.body(Body::empty()).expect("a request")
}

/// Sends one request through `app`, with `token` as a bearer token when given.
async fn send(app: Router, method: &str, uri: &str, token: Option<&str>) -> Response {
    app.oneshot(request(method, uri, token))
        .await
        .expect("a response")
}

/// A token from the EHR issuer for the discovery endpoint.
fn discovery_token(key: &TestKey) -> String {
    Token::from(EHR_ISSUER)
        .claim("aud", format!("{BASE_URL}/cds-services"))
        .signed_by(key)
}

/// GETs discovery through a router configured with `config`.
async fn get_discovery(config: AuthConfig, token: Option<&str>) -> Response {
    send(router(config), "GET", "/cds-services", token).await
}

async fn body_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("a body");
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// Asserts the bare 401 every refusal gets: `WWW-Authenticate: Bearer` and no body.
async fn assert_bare_401(response: Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .expect("challenge"),
        "Bearer"
    );
    assert_eq!(body_text(response).await, "");
}

#[tokio::test]
async fn a_call_without_a_token_gets_a_bare_401_with_www_authenticate_bearer() {
    let server = jwks_server(&[], 0).await;
    let app = router(ehr_config(&server));

    let response = send(app, "POST", SERVICE_PATH, None).await;

    assert_bare_401(response).await;
}

#[tokio::test]
async fn a_refused_token_gets_the_same_bare_401() {
    let key = TestKey::es384("k");
    let server = jwks_server(&[&key], 1).await;
    let app = router(ehr_config(&server));
    let expired = Token::from(EHR_ISSUER)
        .claim("exp", now() - 3600)
        .claim("iat", now() - 3700)
        .signed_by(&key);

    let response = send(app, "POST", SERVICE_PATH, Some(&expired)).await;

    assert_bare_401(response).await;
}

#[tokio::test]
async fn a_valid_token_reaches_the_handler_with_its_verified_claims() {
    let key = TestKey::es384("k");
    let server = jwks_server(&[&key], 1).await;
    let app = router(ehr_config(&server));
    let token = Token::from(EHR_ISSUER).signed_by(&key);

    let response = send(app, "POST", SERVICE_PATH, Some(&token)).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, EHR_ISSUER);
}

#[tokio::test]
async fn discovery_is_open_without_a_token_and_with_one_by_default() {
    let key = TestKey::es384("k");
    let server = jwks_server(&[&key], 0).await;
    let config = ehr_config(&server);
    let token = discovery_token(&key);

    let anonymous = get_discovery(config.clone(), None).await;
    assert_eq!(anonymous.status(), StatusCode::OK);
    assert_eq!(body_text(anonymous).await, "discovery");
    let with_token = get_discovery(config, Some(&token)).await;
    assert_eq!(with_token.status(), StatusCode::OK);
}

#[tokio::test]
async fn discovery_needs_a_token_when_configured_so() {
    let key = TestKey::es384("k");
    let server = jwks_server(&[&key], 1).await;
    let config = AuthConfig {
        discovery_requires_auth: true,
        ..ehr_config(&server)
    };
    let token = discovery_token(&key);

    let anonymous = get_discovery(config.clone(), None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let with_token = get_discovery(config, Some(&token)).await;
    assert_eq!(with_token.status(), StatusCode::OK);
}

#[tokio::test]
async fn auth_not_required_lets_calls_through_without_claims() {
    let config = AuthConfig {
        required: false,
        ..AuthConfig::default()
    };
    let auth = Arc::new(authenticator(config));
    let app = Router::new()
        .route(
            SERVICE_PATH,
            post(|claims: Option<VerifiedClaims>| async move { format!("{}", claims.is_some()) }),
        )
        .route_layer(axum::middleware::from_fn_with_state(auth, auth::require));

    let response = send(app, "POST", SERVICE_PATH, None).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, "false");
}

#[tokio::test]
async fn a_replay_check_that_cannot_answer_is_a_503_with_retry_after_never_a_401() {
    let key = TestKey::es384("k");
    let server = jwks_server(&[&key], 1).await;
    // A cache with no room can record nothing: whether the token is a replay is unknown.
    let no_room = Arc::new(oms_cds::auth::InMemoryReplayCache::new(0));
    let auth = Arc::new(
        oms_cds::auth::Authenticator::new(
            ehr_config(&server),
            BASE_URL,
            reqwest::Client::new(),
            no_room,
        )
        .expect("a valid test configuration"),
    );
    let app = Router::new()
        .route(SERVICE_PATH, post(service_handler))
        .route_layer(axum::middleware::from_fn_with_state(auth, auth::require));
    let token = Token::from(EHR_ISSUER).signed_by(&key);

    let response = send(app, "POST", SERVICE_PATH, Some(&token)).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    let body: serde_json::Value =
        serde_json::from_str(&body_text(response).await).expect("an OperationOutcome");
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(body["issue"][0]["code"], "transient");
}

//! Fetching JWK Sets: failures lock out only the affected issuer, and refetches are bounded.

use std::time::{Duration, Instant};

use oms_cds::auth::{AuthConfig, JwksCache, JwksFetchPolicy, KeyLookupError, KeyStore};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

fn policy() -> JwksFetchPolicy {
    JwksFetchPolicy {
        ttl: Duration::from_secs(300),
        timeout: Duration::from_millis(500),
        max_bytes: 64 * 1024,
        unknown_kid_refetch_interval: Duration::from_secs(60),
        failed_fetch_retry_interval: Duration::from_secs(5),
    }
}

fn cache(server: &MockServer, policy: JwksFetchPolicy) -> JwksCache {
    let url = jwks_url(server).parse().expect("a URL");
    JwksCache::new(url, reqwest::Client::new(), policy)
}

async fn serve(server: &MockServer, response: ResponseTemplate, times: Option<u64>) {
    let mock = Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(response);
    let mock = match times {
        Some(times) => mock.up_to_n_times(times),
        None => mock,
    };
    mock.mount(server).await;
}

#[tokio::test]
async fn a_jwks_endpoint_answering_500_means_401_with_keys_unavailable() {
    let server = MockServer::start().await;
    serve(&server, ResponseTemplate::new(500), None).await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER).signed_by(&TestKey::es384("k"));
    assert_eq!(refusal(&auth, &token).await, "keys_unavailable");
    assert!(!auth.keys_loaded().await);
}

#[tokio::test]
async fn a_jwks_endpoint_that_refuses_connections_means_keys_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port();
    drop(listener);
    let auth = authenticator(config_with(vec![ehr_issuer(&format!(
        "http://127.0.0.1:{port}/jwks.json"
    ))]));

    let token = Token::from(EHR_ISSUER).signed_by(&TestKey::es384("k"));
    assert_eq!(refusal(&auth, &token).await, "keys_unavailable");
}

#[tokio::test]
async fn a_slow_jwks_endpoint_times_out_within_the_configured_deadline() {
    let server = MockServer::start().await;
    let key = TestKey::es384("k");
    serve(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(jwk_set(&[&key]))
            .set_delay(Duration::from_secs(10)),
        None,
    )
    .await;
    let config = AuthConfig {
        jwks_fetch_timeout_ms: 200,
        ..config_with(vec![ehr_issuer(&jwks_url(&server))])
    };
    let auth = authenticator(config);

    let started = Instant::now();
    assert_eq!(
        refusal(&auth, &Token::from(EHR_ISSUER).signed_by(&key)).await,
        "keys_unavailable"
    );
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[tokio::test]
async fn a_jwks_endpoint_serving_garbage_means_keys_unavailable() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(200).set_body_string("<html>Service Unavailable</html>"),
        None,
    )
    .await;
    let auth = ehr_authenticator(&server);

    let token = Token::from(EHR_ISSUER).signed_by(&TestKey::es384("k"));
    assert_eq!(refusal(&auth, &token).await, "keys_unavailable");
}

#[tokio::test]
async fn a_jwk_set_larger_than_the_limit_is_not_used() {
    let server = MockServer::start().await;
    let key = TestKey::es384("k");
    let mut set = jwk_set(&[&key]);
    set["padding"] = serde_json::Value::String("x".repeat(2048));
    serve(&server, ResponseTemplate::new(200).set_body_json(set), None).await;
    let config = AuthConfig {
        jwks_max_bytes: 1024,
        ..config_with(vec![ehr_issuer(&jwks_url(&server))])
    };
    let auth = authenticator(config);

    assert_eq!(
        refusal(&auth, &Token::from(EHR_ISSUER).signed_by(&key)).await,
        "keys_unavailable"
    );
}

#[tokio::test]
async fn keys_load_once_the_endpoint_recovers() {
    let server = MockServer::start().await;
    let key = TestKey::es384("k");
    serve(&server, ResponseTemplate::new(503), Some(1)).await;
    serve(
        &server,
        ResponseTemplate::new(200).set_body_json(jwk_set(&[&key])),
        None,
    )
    .await;
    let keys = cache(
        &server,
        JwksFetchPolicy {
            failed_fetch_retry_interval: Duration::ZERO,
            ..policy()
        },
    );

    assert!(matches!(
        keys.key("k").await,
        Err(KeyLookupError::Unavailable(_))
    ));
    assert_eq!(
        keys.key("k").await.expect("loaded after recovery").kid(),
        "k"
    );
    assert!(keys.ensure_loaded().await);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_previous_keys() {
    let server = MockServer::start().await;
    let key = TestKey::es384("k");
    serve(
        &server,
        ResponseTemplate::new(200).set_body_json(jwk_set(&[&key])),
        Some(1),
    )
    .await;
    serve(&server, ResponseTemplate::new(500), None).await;
    // A zero TTL makes every lookup refresh, so the second lookup meets the failing endpoint.
    let keys = cache(
        &server,
        JwksFetchPolicy {
            ttl: Duration::ZERO,
            failed_fetch_retry_interval: Duration::ZERO,
            ..policy()
        },
    );

    assert_eq!(keys.key("k").await.expect("first load").kid(), "k");
    assert_eq!(keys.key("k").await.expect("previous keys kept").kid(), "k");
    // The stale set answered at once; its refresh ran in the background and failed.
    assert_eq!(received_eventually(&server, 2).await, 2);
    assert_eq!(keys.key("k").await.expect("previous keys kept").kid(), "k");
}

/// The number of requests `server` received, waiting up to two seconds for it to reach `at_least`
/// (background refreshes finish after the lookup that started them).
async fn received_eventually(server: &MockServer, at_least: usize) -> usize {
    for _ in 0..200 {
        let received = server
            .received_requests()
            .await
            .expect("recording is on")
            .len();
        if received >= at_least {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server
        .received_requests()
        .await
        .expect("recording is on")
        .len()
}

#[tokio::test]
async fn a_stale_set_answers_at_once_while_one_refresh_runs_in_the_background() {
    let server = MockServer::start().await;
    let key = TestKey::es384("k");
    serve(
        &server,
        ResponseTemplate::new(200).set_body_json(jwk_set(&[&key])),
        Some(1),
    )
    .await;
    // Every refresh after the first load is slow: it must not delay verification.
    serve(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(jwk_set(&[&key]))
            .set_delay(Duration::from_millis(1500)),
        None,
    )
    .await;
    let keys = std::sync::Arc::new(cache(
        &server,
        JwksFetchPolicy {
            ttl: Duration::ZERO,
            timeout: Duration::from_secs(5),
            failed_fetch_retry_interval: Duration::ZERO,
            ..policy()
        },
    ));
    assert_eq!(keys.key("k").await.expect("first load").kid(), "k");

    let started = Instant::now();
    let mut lookups = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let keys = std::sync::Arc::clone(&keys);
        lookups.spawn(async move { keys.key("k").await.is_ok() });
    }
    assert_eq!(lookups.join_all().await, vec![true; 16]);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(500), "waited {elapsed:?}");
    // Sixteen stale lookups started exactly one refresh (single flight).
    assert_eq!(received_eventually(&server, 2).await, 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        server.received_requests().await.expect("recording").len(),
        2
    );
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_set_to_pick_up_a_rotated_key() {
    let server = MockServer::start().await;
    let old = TestKey::es384("old");
    let new = TestKey::es384("new");
    serve(
        &server,
        ResponseTemplate::new(200).set_body_json(jwk_set(&[&old])),
        Some(1),
    )
    .await;
    serve(
        &server,
        ResponseTemplate::new(200).set_body_json(jwk_set(&[&old, &new])),
        None,
    )
    .await;
    let keys = cache(
        &server,
        JwksFetchPolicy {
            unknown_kid_refetch_interval: Duration::ZERO,
            ..policy()
        },
    );

    assert_eq!(keys.key("old").await.expect("initial set").kid(), "old");
    assert_eq!(keys.key("new").await.expect("rotated in").kid(), "new");
}

#[tokio::test]
async fn unknown_kids_cause_at_most_one_refetch_per_interval() {
    let key = TestKey::es384("known");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    assert!(verify(
        &auth,
        &Token::from(EHR_ISSUER).signed_by(&key),
        SERVICE_PATH
    )
    .await
    .is_ok());
    for random_kid in ["r1", "r2", "r3", "r4"] {
        let token = Token::from(EHR_ISSUER).kid(random_kid).signed_by(&key);
        assert_eq!(refusal(&auth, &token).await, "unknown_kid");
    }
    // `expect(1)` on the mock: the four unknown kids caused no fetch within the minute.
}

#[tokio::test]
async fn readiness_reports_keys_loaded_once_every_set_has_loaded() {
    let key = TestKey::es384("k");
    let server = jwks_server(&[&key], 1).await;
    let auth = ehr_authenticator(&server);

    assert!(auth.keys_loaded().await);
    assert!(auth.keys_loaded().await, "stays loaded without refetching");
}

#[tokio::test]
async fn concurrent_first_calls_fetch_the_key_set_once() {
    let key = TestKey::es384("k");
    let server = jwks_server(&[&key], 1).await;
    let auth = std::sync::Arc::new(ehr_authenticator(&server));

    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let auth = std::sync::Arc::clone(&auth);
        let token = Token::from(EHR_ISSUER).signed_by(&key);
        calls.spawn(async move { verify(&auth, &token, SERVICE_PATH).await.is_ok() });
    }
    let accepted = calls.join_all().await;
    assert_eq!(accepted, vec![true; 16]);
}

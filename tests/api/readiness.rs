//! `/readyz` per issuer: ready when every issuer has usable keys, pinned or cached; the body says
//! which issuer has which keys; an unreachable `jku` host does not take a replica out of rotation.

use std::time::{Duration, Instant};

use oms_cds::auth::IssuerConfig;
use serde_json::Value;

use crate::helpers::{spawn_app_with, TestApp};
use crate::tokens::TestSigner;

/// A loopback URL nothing listens on: connections are refused.
fn unreachable_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

async fn spawn_requiring_auth(issuers: Vec<IssuerConfig>) -> TestApp {
    spawn_app_with(move |settings| {
        settings.auth.required = true;
        settings.auth.issuers = issuers;
    })
    .await
}

async fn readyz(app: &TestApp) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap(), started.elapsed())
}

#[tokio::test]
async fn readyz_stays_200_with_an_unreachable_jku_host_while_pinned_keys_are_loaded() {
    let signer = TestSigner::generate("ehr-key-1");
    // Pinned keys stand for the allowed jku (nothing to fetch), and a second issuer is set to
    // fetch its allowed jku from a host that refuses connections.
    let mut pinned =
        IssuerConfig::with_jwks_file("https://ehr.example.org", signer.write_jwk_set());
    pinned.allowed_jku = vec![unreachable_url("/.well-known/jwks.json")];
    let mut fetching =
        IssuerConfig::with_jwks_file("https://other-ehr.example.org", signer.write_jwk_set());
    fetching.allowed_jku = vec![unreachable_url("/jwks.json")];
    fetching.fetch_allowed_jku = true;
    let app = spawn_requiring_auth(vec![pinned, fetching]).await;

    for _ in 0..2 {
        let (status, body, elapsed) = readyz(&app).await;
        assert_eq!(status, 200, "{body}");
        assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
        assert_eq!(body["keys"], "ok", "{body}");
        let issuers = body["issuers"].as_array().unwrap();
        assert_eq!(issuers.len(), 2, "{body}");
        assert_eq!(issuers[0]["iss"], "https://ehr.example.org");
        assert_eq!(issuers[0]["ready"], true);
        assert_eq!(issuers[0]["keys"]["state"], "pinned");
        assert_eq!(issuers[0]["keys"]["keys"], 1);
        assert_eq!(issuers[0]["jku"][0]["keys"]["state"], "pinned", "{body}");
        assert_eq!(issuers[1]["iss"], "https://other-ehr.example.org");
        assert_eq!(issuers[1]["ready"], true, "pinned keys are enough");
        assert_eq!(
            issuers[1]["jku"][0]["keys"]["state"], "unavailable",
            "reported, not fetched by the probe: {body}"
        );
    }
    // The same status in metrics: the issuer is usable, the unreachable jku is not.
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = |source: &str| {
        metrics
            .lines()
            .find(|line| {
                line.starts_with("oms_cds_issuer_keys_usable")
                    && line.contains("issuer=\"https://other-ehr.example.org\"")
                    && line.contains(source)
            })
            .map(str::to_owned)
    };
    assert!(
        line("source=\"issuer\"").is_some_and(|l| l.ends_with(" 1")),
        "{metrics}"
    );
    assert!(
        line("/jwks.json\"").is_some_and(|l| l.ends_with(" 0")),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn readyz_is_503_naming_the_issuer_whose_jwks_url_never_loaded() {
    let signer = TestSigner::generate("ehr-key-1");
    let pinned = IssuerConfig::with_jwks_file("https://ehr.example.org", signer.write_jwk_set());
    let down = IssuerConfig::with_jwks_url("https://down.example.org", unreachable_url("/jwks"));
    let app = spawn_requiring_auth(vec![pinned, down]).await;

    let (status, body, _) = readyz(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["keys"], "unavailable");
    let issuers = body["issuers"].as_array().unwrap();
    assert_eq!(issuers[0]["iss"], "https://down.example.org");
    assert_eq!(issuers[0]["ready"], false);
    assert_eq!(issuers[0]["keys"]["state"], "unavailable");
    assert!(
        issuers[0]["keys"]["reason"]
            .as_str()
            .is_some_and(|reason| !reason.is_empty()),
        "{body}"
    );
    assert_eq!(issuers[1]["ready"], true);
    app.stop().await;
}

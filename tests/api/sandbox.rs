//! The CDS Hooks sandbox's captured requests replayed against the service, with tokens shaped
//! exactly like the sandbox's (ES384, `kid` and `jku` headers; `iss`, `aud`, `iat`, `exp` =
//! `iat` + 300, `jti`), signed by a key generated here and pinned in the configuration: the
//! `jku` is allow-listed but never fetched.

use oms_cds::auth::{IssuerConfig, SigningAlgorithm};
use oms_cds::example_dates::shift_dates;
use oms_cds::startup::Application;
use serde_json::Value;

use crate::helpers::{client, post_with_bearer, test_settings, workspace_root};
use crate::tokens::TestSigner;

const SANDBOX_ISSUER: &str = "https://sandbox.cds-hooks.org";
const SANDBOX_JKU: &str = "https://sandbox.cds-hooks.org/.well-known/jwks.json";
/// The day the fixtures were captured; they are moved to today so data ages stay as captured.
const CAPTURED_ON: time::Date = time::macros::date!(2026 - 11 - 30);
/// The sandbox's web origin, sent on its CORS preflights.
const SANDBOX_ORIGIN: &str = "https://sandbox.cds-hooks.org";

fn fixture(name: &str) -> Value {
    let path = workspace_root()
        .join("tests/api/fixtures/sandbox")
        .join(name);
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    shift_dates(
        &mut value,
        CAPTURED_ON,
        time::OffsetDateTime::now_utc().date(),
    );
    value
}

struct SandboxApp {
    address: String,
    signer: TestSigner,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

impl SandboxApp {
    /// Trusts the sandbox issuer with a key made now (a sandbox-shaped uuid `kid`), pinned in
    /// a JWK Set file, with the sandbox's `jku` allow-listed.
    async fn start() -> SandboxApp {
        let signer = TestSigner::generate(&uuid::Uuid::new_v4().to_string());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let mut settings = test_settings();
        settings.listen = address.trim_start_matches("http://").parse().unwrap();
        settings.public_base_url = address.clone();
        settings.auth.required = true;
        let mut issuer = IssuerConfig::with_jwks_file(SANDBOX_ISSUER, signer.write_jwk_set());
        issuer.algorithms = vec![SigningAlgorithm::ES384];
        issuer.allowed_jku = vec![SANDBOX_JKU.to_owned()];
        settings.auth.issuers = vec![issuer];
        settings.cors.allowed_origins = vec![SANDBOX_ORIGIN.to_owned()];
        let application = Application::build(settings).await.unwrap();
        let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(application.run_until(async {
            let _ = rx.await;
        }));
        SandboxApp {
            address,
            signer,
            shutdown,
        }
    }

    /// A token as the sandbox mints one for `url`.
    fn token(&self, url: &str) -> String {
        self.signer.sign(
            &self.signer.sandbox_header(SANDBOX_JKU),
            &TestSigner::claims(SANDBOX_ISSUER, url),
        )
    }

    /// The sandbox's CORS preflight, then the POST with its token; the response body.
    async fn post(&self, path: &str, body: &Value) -> Value {
        let url = format!("{}{path}", self.address);
        let preflight = client()
            .request(reqwest::Method::OPTIONS, &url)
            .header("Origin", SANDBOX_ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type",
            )
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "preflight of {path}");
        assert_eq!(
            preflight.headers()["access-control-allow-origin"],
            SANDBOX_ORIGIN
        );
        let response = post_with_bearer(&client(), &url, &self.token(&url), body).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        body
    }
}

fn topics(response: &Value) -> Vec<String> {
    response["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| card["source"]["topic"]["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_sandboxs_order_select_calls_get_the_cards_a_clinician_expects() {
    let app = SandboxApp::start().await;
    let path = "/cds-services/oms-relapse-order-select";

    // Before a medication is picked there is no order to advise on: the service stays silent.
    let first = app
        .post(path, &fixture("order-select-first-call-no-medication.json"))
        .await;
    assert_eq!(topics(&first), Vec::<String>::new(), "{first}");

    // Oral cyclophosphamide (RxNorm 197550, "Oral Tablet", no route element) picked for a
    // rituximab-naive child with relapsed OMS and an unresected neuroblastoma: offer the full
    // rituximab course and refer for tumour resection. The oral tablet is another use of the
    // drug, not the OMS pulse regimen: no card re-doses it, removes it or counsels on it as such.
    let picked = app
        .post(
            path,
            &fixture("order-select-oral-cyclophosphamide-picked.json"),
        )
        .await;
    assert_eq!(
        topics(&picked),
        ["rituximab-full-course", "neuroblastoma-resection"],
        "{picked}"
    );
    assert!(
        !picked.to_string().contains("\"type\":\"delete\""),
        "{picked}"
    );
    let _ = app.shutdown.send(());
}

#[tokio::test]
async fn the_sandboxs_order_sign_call_gets_the_cards_a_clinician_expects() {
    let app = SandboxApp::start().await;
    // A relapse after a full rituximab course: one additional rituximab dose and screening for
    // an occult neuroblastoma (no work-up on record); the oral cyclophosphamide tablet being
    // signed is another use, left alone.
    let signed = app
        .post(
            "/cds-services/oms-relapse-order-sign",
            &fixture("order-sign.json"),
        )
        .await;
    assert_eq!(
        topics(&signed),
        ["rituximab-redose", "neuroblastoma-screening"],
        "{signed}"
    );
    let _ = app.shutdown.send(());
}

#[tokio::test]
async fn the_sandboxs_feedback_is_stored() {
    let app = SandboxApp::start().await;
    for (path, name) in [
        (
            "/cds-services/oms-relapse-order-select/feedback",
            "feedback-accepted.json",
        ),
        (
            "/cds-services/oms-relapse-order-sign/feedback",
            "feedback-overridden.json",
        ),
    ] {
        let body = app.post(path, &fixture(name)).await;
        assert_eq!(body, serde_json::json!({}), "{name}");
    }
    let _ = app.shutdown.send(());
}

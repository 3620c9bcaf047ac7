//! CORS for browser-based EHRs such as the CDS Hooks sandbox.

use crate::helpers::{spawn_app, spawn_app_with, ORDER_SIGN_ID};

#[tokio::test]
async fn preflight_on_the_service_endpoint_allows_authorization_and_content_type() {
    let app = spawn_app().await;
    for path in [
        "/cds-services".to_string(),
        format!("/cds-services/{ORDER_SIGN_ID}"),
        format!("/cds-services/{ORDER_SIGN_ID}/feedback"),
    ] {
        let response = app
            .client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.address))
            .header("origin", "https://sandbox.cds-hooks.org")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], "*");
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            allowed.contains("authorization") && allowed.contains("content-type"),
            "{allowed}"
        );
        let methods = headers["access-control-allow-methods"].to_str().unwrap();
        assert!(
            methods.contains("POST") && methods.contains("GET"),
            "{methods}"
        );
        assert!(headers.get("access-control-allow-credentials").is_none());
    }
    app.stop().await;
}

#[tokio::test]
async fn configured_origins_are_the_only_ones_allowed() {
    let app =
        spawn_app_with(|s| s.cors.allowed_origins = vec!["https://ehr.example.org".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/cds-services", app.address),
            )
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://ehr.example.org").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://ehr.example.org"
    );
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    app.stop().await;
}

//! Metrics change as traffic flows; the governance summary joins feedback to issued cards.

use oms_cds::example_dates::{shift_dates, EXAMPLES_DATE};
use serde_json::{json, Value};

use crate::helpers::{example, feedback_summary, minimal_order_sign, spawn_app_with, TestApp};

const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef0123";

async fn metrics(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the first sample whose line starts with `prefix` (name and labels).
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

fn redose_request() -> Value {
    let mut request = example("order-select-rituximab-after-full-course.json");
    shift_dates(
        &mut request,
        EXAMPLES_DATE,
        time::OffsetDateTime::now_utc().date(),
    );
    request
}

#[tokio::test]
async fn metrics_count_requests_cards_prefetch_and_feedback() {
    let app = spawn_app_with(|_| {}).await;
    let before = metrics(&app).await;
    assert!(before.contains("oms_cds_build_info{"), "{before}");

    let response: Value = app.post_hook(&redose_request()).await.json().await.unwrap();
    let card = response["cards"][0]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(app.post_hook(&minimal_order_sign()).await.status(), 200);
    let feedback = json!({"feedback": [{"card": card, "outcome": "overridden",
                                         "outcomeTimestamp": "2026-11-25T10:00:00Z"}]});
    assert_eq!(app.post_feedback(&feedback).await.status(), 200);

    let after = metrics(&app).await;
    let route = "oms_cds_http_requests_total{route=\"/cds-services/{id}\",hook=\"order-select\",status=\"200\"}";
    assert_eq!(sample(&after, route), 1.0, "{after}");
    assert!(
        sample(
            &after,
            "oms_cds_cards_issued_total{topic=\"rituximab-redose\",indicator=\"info\"}"
        ) >= 1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, "oms_cds_responses_without_cards_total"),
        1.0,
        "{after}"
    );
    assert!(
        sample(
            &after,
            "oms_cds_prefetch_keys_total{key=\"patient\",outcome=\"satisfied\"}"
        ) >= 2.0,
        "{after}"
    );
    assert!(
        after.contains("oms_cds_feedback_total{outcome=\"overridden\""),
        "{after}"
    );
    let latency = "oms_cds_http_request_duration_seconds_count{route=\"/cds-services/{id}\",hook=\"order-select\"}";
    assert_eq!(sample(&after, latency), 1.0, "{after}");
    assert_eq!(
        sample(&after, "oms_cds_issued_cards_log_dropped_total"),
        0.0
    );
    app.stop().await;
}

async fn summary_round_trip(app: TestApp) {
    let response: Value = app.post_hook(&redose_request()).await.json().await.unwrap();
    let cards = response["cards"].as_array().unwrap();
    let redose = cards
        .iter()
        .find(|c| c["source"]["topic"]["code"] == "rituximab-redose")
        .unwrap();
    let card = redose["uuid"].as_str().unwrap();
    let suggestion = redose["suggestions"][0]["uuid"].as_str().unwrap();
    // The issued-cards log is written off the request path: give the writer a moment.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let feedback = json!({"feedback": [
        {"card": card, "outcome": "accepted", "acceptedSuggestions": [{"id": suggestion}],
         "outcomeTimestamp": "2026-11-25T10:00:00Z"}]});
    assert_eq!(app.post_feedback(&feedback).await.status(), 200);

    let url = format!("{}/admin/feedback/summary", app.address);
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        app.client
            .get(&url)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let summary = feedback_summary(&app.client, &app.address, ADMIN_TOKEN).await;
    let row = summary["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "rituximab-redose")
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(row["issued"].as_i64().unwrap() >= 1, "{summary}");
    assert!(row["accepted"].as_i64().unwrap() >= 1, "{summary}");
    app.stop().await;
}

#[tokio::test]
async fn feedback_summary_on_sqlite() {
    let app = spawn_app_with(|s| {
        s.admin.token = Some(serde_json::from_value(json!(ADMIN_TOKEN)).unwrap())
    })
    .await;
    summary_round_trip(app).await;
}

#[tokio::test]
async fn feedback_summary_on_postgres() {
    let Ok(url) = std::env::var("OMS_CDS_TEST_POSTGRES_URL") else {
        eprintln!("skipping: OMS_CDS_TEST_POSTGRES_URL is not set");
        return;
    };
    let app = spawn_app_with(|s| {
        s.storage.database_url = url.clone();
        s.admin.token = Some(serde_json::from_value(json!(ADMIN_TOKEN)).unwrap());
    })
    .await;
    summary_round_trip(app).await;
}

#[tokio::test]
async fn the_summary_is_not_served_without_an_admin_token_configured() {
    let app = spawn_app_with(|_| {}).await;
    let response = app
        .client
        .get(format!("{}/admin/feedback/summary", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    app.stop().await;
}

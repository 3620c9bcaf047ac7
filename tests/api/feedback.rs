//! Feedback is validated, stored durably (SQLite and PostgreSQL) and idempotent.

use oms_cds::config::StorageSettings;
use oms_cds::identifiers::CardUuid;
use oms_cds::storage::Store;
use oms_cds::wire::feedback::OutcomeKind;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};

/// A suggestion uuid, in the form the service issues.
const SUGGESTION: &str = "5d0a6b4e-3f7c-4b2a-8e1d-0c9b8a7f6e5d";

fn feedback_body(card: &str) -> Value {
    json!({"feedback": [
        {"card": card, "outcome": "accepted", "acceptedSuggestions": [{"id": SUGGESTION}],
         "outcomeTimestamp": "2026-11-25T10:05:31Z"},
        {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-25T10:06:00Z",
         "overrideReason": {"reason": {"system": "https://oms-cds.dev/fhir/CodeSystem/override-reason",
                                        "code": "patient-declined", "display": "Patient declined"},
                            "userComment": "free text is not stored"}}
    ]})
}

async fn round_trip(app: TestApp, database_url: &str) {
    let card = uuid::Uuid::new_v4().to_string();
    for _ in 0..2 {
        let response = app.post_feedback(&feedback_body(&card)).await;
        assert_eq!(response.status(), 200, "storing twice is harmless");
    }
    app.stop().await;
    let store = Store::connect(&StorageSettings {
        database_url: database_url.into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let card = CardUuid::parse(&card).unwrap();
    let rows = store.feedback_for_card(&card).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].outcome, OutcomeKind::Accepted);
    assert_eq!(rows[0].accepted_suggestions, vec![SUGGESTION.to_string()]);
    assert_eq!(rows[1].outcome, OutcomeKind::Overridden);
    assert_eq!(
        rows[1].override_reason_code.as_deref(),
        Some("patient-declined")
    );
}

#[tokio::test]
async fn feedback_round_trip_on_sqlite() {
    let mut url = String::new();
    let app = spawn_app_with(|s| url = s.storage.database_url.clone()).await;
    round_trip(app, &url).await;
}

#[tokio::test]
async fn feedback_round_trip_on_postgres() {
    let Ok(url) = std::env::var("OMS_CDS_TEST_POSTGRES_URL") else {
        eprintln!(
            "skipping: OMS_CDS_TEST_POSTGRES_URL is not set (PostgreSQL half of the storage tests)"
        );
        return;
    };
    let app = spawn_app_with(|s| s.storage.database_url = url.clone()).await;
    round_trip(app, &url).await;
}

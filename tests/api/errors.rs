//! Every error status answers with an OperationOutcome that says what to fix; never a 5xx.

use oms_cds::identifiers::MAX_HOOK_INSTANCE_CHARS;
use serde_json::{json, Value};

use crate::helpers::{
    assert_operation_outcome, minimal_order_sign, spawn_app, spawn_app_with, ORDER_SIGN_ID,
};

async fn outcome_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_operation_outcome(&body);
    body
}

#[tokio::test]
async fn malformed_json_is_rejected_with_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/cds-services/{ORDER_SIGN_ID}", app.address))
        .header("content-type", "application/json")
        .body("{\"hook\": ")
        .send()
        .await
        .unwrap();
    outcome_of(response, 400).await;
    app.stop().await;
}

#[tokio::test]
async fn missing_required_fields_are_rejected_with_400_naming_the_field() {
    let app = spawn_app().await;
    for field in ["hook", "hookInstance", "context"] {
        let mut request = minimal_order_sign();
        request.as_object_mut().unwrap().remove(field);
        let body = outcome_of(app.post_hook(&request).await, 400).await;
        let message = body["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(message.contains(field), "{field}: {message}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_over_long_hook_instance_is_rejected_with_400_naming_the_field() {
    let app = spawn_app().await;
    let mut request = minimal_order_sign();
    request["hookInstance"] = json!("h".repeat(MAX_HOOK_INSTANCE_CHARS + 1));
    let body = outcome_of(app.post_hook(&request).await, 400).await;
    assert_eq!(body["issue"][0]["code"], "invalid", "{body}");
    let message = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        message.contains("hookInstance") && message.contains(&MAX_HOOK_INSTANCE_CHARS.to_string()),
        "{message}"
    );
    app.stop().await;
}

#[tokio::test]
async fn order_sign_without_draft_orders_is_rejected_with_400() {
    let app = spawn_app().await;
    let mut request = minimal_order_sign();
    request["context"]
        .as_object_mut()
        .unwrap()
        .remove("draftOrders");
    let body = outcome_of(app.post_hook(&request).await, 400).await;
    assert!(body["issue"][0]["diagnostics"]
        .as_str()
        .unwrap()
        .contains("draftOrders"));
    app.stop().await;
}

#[tokio::test]
async fn a_hook_the_service_does_not_serve_is_rejected_with_400() {
    let app = spawn_app().await;
    let mut request = minimal_order_sign();
    request["hook"] = json!("patient-view");
    outcome_of(app.post_hook(&request).await, 400).await;
    app.stop().await;
}

#[tokio::test]
async fn fhir_authorization_without_fhir_server_is_rejected_with_400() {
    let app = spawn_app().await;
    let mut request = minimal_order_sign();
    request["fhirAuthorization"] = json!({
        "access_token": "opaque", "token_type": "Bearer", "expires_in": 300,
        "scope": "user/Patient.read", "subject": "oms-cds"
    });
    let body = outcome_of(app.post_hook(&request).await, 400).await;
    assert!(body["issue"][0]["diagnostics"]
        .as_str()
        .unwrap()
        .contains("fhirServer"));
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_service_id_is_404() {
    let app = spawn_app().await;
    outcome_of(
        app.post_json("/cds-services/no-such-service", &minimal_order_sign())
            .await,
        404,
    )
    .await;
    outcome_of(
        app.post_json("/cds-services/no-such-service/feedback", &json!({}))
            .await,
        404,
    )
    .await;
    let response = app
        .client
        .get(format!("{}/nothing-here", app.address))
        .send()
        .await
        .unwrap();
    outcome_of(response, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_method_is_405() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/cds-services/{ORDER_SIGN_ID}", app.address))
        .send()
        .await
        .unwrap();
    outcome_of(response, 405).await;
    let response = app
        .client
        .delete(format!("{}/cds-services", app.address))
        .send()
        .await
        .unwrap();
    outcome_of(response, 405).await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(|settings| settings.max_body_bytes = 4096).await;
    let mut request = minimal_order_sign();
    request["padding"] = json!("x".repeat(8192));
    outcome_of(app.post_hook(&request).await, 413).await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    for content_type in [Some("text/plain"), None] {
        let mut builder = app
            .client
            .post(format!("{}/cds-services/{ORDER_SIGN_ID}", app.address))
            .body(minimal_order_sign().to_string());
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        outcome_of(builder.send().await.unwrap(), 415).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn missing_required_prefetch_without_a_fhir_server_is_412() {
    let app = spawn_app().await;
    let mut request = minimal_order_sign();
    request["prefetch"]
        .as_object_mut()
        .unwrap()
        .remove("conditions");
    let body = outcome_of(app.post_hook(&request).await, 412).await;
    assert!(body["issue"][0]["diagnostics"]
        .as_str()
        .unwrap()
        .contains("conditions"));

    let mut request = minimal_order_sign();
    request["prefetch"]["patient"] = json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}]
    });
    let body = outcome_of(app.post_hook(&request).await, 412).await;
    assert!(body["issue"][0]["diagnostics"]
        .as_str()
        .unwrap()
        .contains("patient"));
    app.stop().await;
}

#[tokio::test]
async fn a_prefetched_patient_of_another_id_is_412_without_naming_either_patient() {
    let app = spawn_app().await;
    let mut request = minimal_order_sign();
    let in_context = request["context"]["patientId"].as_str().unwrap().to_owned();
    request["prefetch"]["patient"] = json!({"resourceType": "Patient", "id": "someone-else-77"});
    let body = outcome_of(app.post_hook(&request).await, 412).await;
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains("not the patient in context"),
        "{diagnostics}"
    );
    assert_eq!(body["issue"][0]["code"], "incomplete");
    assert!(!diagnostics.contains("someone-else-77") && !diagnostics.contains(&in_context));
    app.stop().await;
}

#[tokio::test]
async fn required_prefetch_that_cannot_be_read_is_412() {
    let app = spawn_app().await;
    let mut request = minimal_order_sign();
    request["prefetch"]["conditions"] = json!({"resourceType": "Bundle", "type": "searchset",
        "entry": [{"resource": {"resourceType": "Condition", "id": "c1", "clinicalStatus": {"coding": "relapse"}}}]});
    let body = outcome_of(app.post_hook(&request).await, 412).await;
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains("`conditions` (sent, but none of its entries could be read"),
        "{diagnostics}"
    );

    let mut request = minimal_order_sign();
    request["prefetch"]["conditions"] = json!({"resourceType": "Condition", "id": "c1"});
    let body = outcome_of(app.post_hook(&request).await, 412).await;
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains("`conditions` (sent, but not a Bundle"),
        "{diagnostics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn null_prefetch_values_mean_no_data_not_an_error() {
    let app = spawn_app().await;
    let mut request = minimal_order_sign();
    request["prefetch"]["conditions"] = Value::Null;
    let response = app.post_hook(&request).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"cards": []}));
    app.stop().await;
}

#[tokio::test]
async fn invalid_feedback_is_400() {
    let app = spawn_app().await;
    let cases = [
        json!({"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-11-25T10:00:00Z"}]}),
        json!({"feedback": [{"card": "c", "outcome": "maybe", "outcomeTimestamp": "2026-11-25T10:00:00Z"}]}),
        json!({"feedback": [{"card": "c", "outcome": "overridden"}]}),
        json!({"feedback": []}),
        json!({"cards": []}),
    ];
    for case in cases {
        outcome_of(app.post_feedback(&case).await, 400).await;
    }
    app.stop().await;
}

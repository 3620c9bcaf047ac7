//! One consistent set of request limits: a whole record (2.7 MB, 1,600 resources) passes at
//! the default limits; a flood of tiny entries that fits the body limit is refused with 413.

use serde_json::{json, Value};

use crate::helpers::{assert_operation_outcome, spawn_app, ORDER_SELECT_ID};
use oms_cds_tests::record::{generate, RecordSpec};

/// The size of the real whole records the limits were sized for.
const WHOLE_RECORD_BYTES: usize = 2_700_000;

/// Pads the record's Observations with narrative until the body is at least `bytes` long, as
/// real EHR records carry it.
fn padded_to(mut request: Value, bytes: usize) -> Value {
    let size = request.to_string().len();
    let observations = request["prefetch"]["observations"]["entry"]
        .as_array_mut()
        .expect("an observations Bundle");
    let each = bytes.saturating_sub(size) / observations.len() + 1;
    for entry in observations {
        entry["resource"]["text"] = json!({
            "status": "generated",
            "div": format!(
                "<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>",
                "x".repeat(each)
            ),
        });
    }
    request
}

#[tokio::test]
async fn a_whole_record_of_2_7_mb_and_1600_resources_passes_the_default_limits() {
    let app = spawn_app().await;
    let spec = RecordSpec {
        resources: 1600,
        ..RecordSpec::standard(3)
    };
    let request = padded_to(generate(&spec), WHOLE_RECORD_BYTES);
    let body = request.to_string();
    assert!(body.len() >= WHOLE_RECORD_BYTES, "{} bytes", body.len());
    let response = app
        .client
        .post(format!("{}/cds-services/{ORDER_SELECT_ID}", app.address))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["cards"].is_array());
    app.stop().await;
}

#[tokio::test]
async fn more_resources_than_the_limit_are_refused_with_413_too_costly() {
    let app = spawn_app().await;
    let mut request = crate::helpers::minimal_order_sign();
    // 5,001 tiny Observations: about 400 KB, far under the body limit.
    let entries: Vec<Value> = (0..5001)
        .map(|i| json!({"resource": {"resourceType": "Observation", "id": format!("o{i}")}}))
        .collect();
    request["prefetch"]["observations"] =
        json!({"resourceType": "Bundle", "type": "searchset", "entry": entries});
    let response = app.post_hook(&request).await;
    assert_eq!(response.status(), 413);
    let outcome: Value = response.json().await.unwrap();
    assert_operation_outcome(&outcome);
    assert_eq!(outcome["issue"][0]["code"], "too-costly");
    let diagnostics = outcome["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains("more than 5000 FHIR resources"),
        "{diagnostics}"
    );
    app.stop().await;
}

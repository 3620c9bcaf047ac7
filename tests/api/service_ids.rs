//! One discovery entry, one id, one hook: each listed id answers its own hook only, the former
//! shared id still answers both (unlisted), and feedback is stored under the right id.

use std::time::Duration;

use oms_cds::config::StorageSettings;
use oms_cds::example_dates::{shift_dates, EXAMPLES_DATE};
use oms_cds::identifiers::CardUuid;
use oms_cds::storage::Store;
use serde_json::{json, Value};

use crate::helpers::{
    assert_operation_outcome, client, example, minimal_order_sign, spawn_app_with, spawn_binary,
    temp_dir, LEGACY_ALIAS_ID, ORDER_SELECT_ID, ORDER_SIGN_ID,
};

/// An order-select call for an unrelated order (complete prefetch: the service stays silent).
fn minimal_order_select() -> Value {
    let mut request = example("order-select-unrelated-order.json");
    request["hookInstance"] = json!(uuid::Uuid::new_v4().to_string());
    request
}

/// An order-select call that yields cards (a rituximab redose after a full course).
fn order_select_with_cards() -> Value {
    let mut request = example("order-select-rituximab-after-full-course.json");
    shift_dates(
        &mut request,
        EXAMPLES_DATE,
        time::OffsetDateTime::now_utc().date(),
    );
    request
}

fn feedback_for(card: &str) -> Value {
    json!({"feedback": [{"card": card, "outcome": "overridden",
                         "outcomeTimestamp": "2026-11-25T10:00:00Z"}]})
}

async fn store_at(database_url: &str) -> Store {
    Store::connect(&StorageSettings {
        database_url: database_url.into(),
        ..Default::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn discovery_lists_two_entries_with_distinct_ids_and_not_the_alias() {
    let app = spawn_app_with(|_| {}).await;
    let body: Value = app.get_discovery().await.json().await.unwrap();
    let entries: Vec<(&str, &str)> = body["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["hook"].as_str().unwrap()))
        .collect();
    assert_eq!(
        entries,
        [
            (ORDER_SELECT_ID, "order-select"),
            (ORDER_SIGN_ID, "order-sign")
        ]
    );
    let services = body["services"].as_array().unwrap();
    assert_eq!(
        services[0]["prefetch"], services[1]["prefetch"],
        "both entries ask for the same prefetch"
    );
    assert!(!body.to_string().contains(LEGACY_ALIAS_ID));
    app.stop().await;
}

#[tokio::test]
async fn each_id_answers_its_hook_and_refuses_the_other_with_400() {
    let app = spawn_app_with(|_| {}).await;
    let select = minimal_order_select();
    let sign = minimal_order_sign();
    let cases = [
        (ORDER_SELECT_ID, &select, &sign, "order-sign"),
        (ORDER_SIGN_ID, &sign, &select, "order-select"),
    ];
    for (id, own, other, other_hook) in cases {
        let path = format!("/cds-services/{id}");
        let answered = app.post_json(&path, own).await;
        assert_eq!(answered.status(), 200, "{id}");
        let body: Value = answered.json().await.unwrap();
        assert!(body["cards"].is_array(), "{id}: {body}");

        let refused = app.post_json(&path, other).await;
        assert_eq!(refused.status(), 400, "{id} must refuse {other_hook}");
        let outcome: Value = refused.json().await.unwrap();
        assert_operation_outcome(&outcome);
        let message = outcome["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(message.contains(other_hook), "{message}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_former_shared_id_still_answers_both_hooks() {
    let app = spawn_app_with(|_| {}).await;
    let path = format!("/cds-services/{LEGACY_ALIAS_ID}");
    for request in [minimal_order_select(), minimal_order_sign()] {
        let response = app.post_json(&path, &request).await;
        assert_eq!(response.status(), 200, "{}", request["hook"]);
    }
    app.stop().await;
}

#[tokio::test]
async fn feedback_to_each_id_is_stored_under_that_id_and_alias_feedback_under_the_cards_hook() {
    let database_url = format!("sqlite://{}", temp_dir().join("ids.db").display());
    let url = database_url.clone();
    let app = spawn_app_with(move |settings| settings.storage.database_url = url).await;

    // A card issued through the alias, for order-select.
    let response = app
        .post_json(
            &format!("/cds-services/{LEGACY_ALIAS_ID}"),
            &order_select_with_cards(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let issued = body["cards"][0]["uuid"].as_str().unwrap().to_owned();
    let store = store_at(&database_url).await;
    let issued_uuid = CardUuid::parse(&issued).unwrap();
    // The issued-cards log is written off the request path: wait for it.
    for _ in 0..100 {
        if store
            .issued_card_hook(&issued_uuid)
            .await
            .unwrap()
            .is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let select_card = uuid::Uuid::new_v4().to_string();
    let sign_card = uuid::Uuid::new_v4().to_string();
    let posts = [
        (ORDER_SELECT_ID, &select_card),
        (ORDER_SIGN_ID, &sign_card),
        (LEGACY_ALIAS_ID, &issued),
    ];
    for (id, card) in posts {
        let response = app
            .post_json(&format!("/cds-services/{id}/feedback"), &feedback_for(card))
            .await;
        assert_eq!(response.status(), 200, "{id}");
    }
    app.stop().await;

    let expected = [
        (&select_card, ORDER_SELECT_ID),
        (&sign_card, ORDER_SIGN_ID),
        // Posted to the alias, attributed to the hook the card was shown for.
        (&issued, ORDER_SELECT_ID),
    ];
    for (card, id) in expected {
        let rows = store
            .feedback_for_card(&CardUuid::parse(card).unwrap())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{id}");
        assert_eq!(rows[0].service_id, id);
    }
}

#[tokio::test]
async fn the_alias_logs_one_deprecation_line_per_start() {
    let database_url = format!("sqlite://{}", temp_dir().join("alias.db").display());
    let running = spawn_binary(&[
        ("OMS_CDS_DATABASE_URL", database_url.as_str()),
        ("OMS_CDS__AUTH__REQUIRED", "false"),
    ])
    .await;
    let url = format!("{}/cds-services/{LEGACY_ALIAS_ID}", running.address);
    for request in [
        minimal_order_sign(),
        minimal_order_select(),
        minimal_order_sign(),
    ] {
        let response = client().post(&url).json(&request).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let (status, logs) = running.terminate();
    assert!(status.success(), "{status}");
    let deprecations = logs
        .lines()
        .filter(|line| line.contains("deprecated service id"))
        .count();
    assert_eq!(deprecations, 1, "{logs}");
}

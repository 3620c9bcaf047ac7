//! Service calls over HTTP: the card contract (section 6 of the clinical rules, section 7 of the
//! spec) on every example request, moved to today's date.

use oms_cds::example_dates::{shift_dates, EXAMPLES_DATE};
use serde_json::Value;

use crate::helpers::{assert_no_empty_fields, example, spawn_app, spawn_app_with, workspace_root};

const TOPIC_SYSTEM: &str = "https://oms-cds.dev/fhir/CodeSystem/card-topic";

fn example_requests() -> Vec<(String, Value)> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut requests = Vec::new();
    for entry in std::fs::read_dir(workspace_root().join("examples")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            let mut request = example(&name);
            shift_dates(&mut request, EXAMPLES_DATE, today);
            requests.push((name, request));
        }
    }
    requests
}

#[tokio::test]
async fn every_card_keeps_the_card_contract() {
    let app = spawn_app().await;
    let mut cards_seen = 0;
    for (name, request) in example_requests() {
        let response = app.post_hook(&request).await;
        assert_eq!(response.status(), 200, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_no_empty_fields(&body, "$");
        for card in body["cards"].as_array().unwrap() {
            check_card(&name, card);
            cards_seen += 1;
        }
    }
    assert!(cards_seen > 0, "the examples must produce cards");
    app.stop().await;
}

#[tokio::test]
async fn every_card_links_its_rulebook_page_under_the_public_base_url_and_keeps_references_apart() {
    let base = "https://cds.hospital.example";
    let app = spawn_app_with(|settings| settings.public_base_url = base.to_owned()).await;
    let mut cards_seen = 0;
    for (name, request) in example_requests() {
        let body: Value = app.post_hook(&request).await.json().await.unwrap();
        for card in body["cards"].as_array().unwrap() {
            let topic = card["source"]["topic"]["code"].as_str().unwrap();
            let rulebook = format!("{base}/guideline/{topic}");
            assert!(
                card["links"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|link| link["url"] == rulebook.as_str() && link["type"] == "absolute"),
                "{name}: {topic} has no link to {rulebook}"
            );
            let references = card["extension"]["dev.oms-cds.references"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: {topic} carries no references"));
            for reference in references {
                let reference = reference.as_str().unwrap();
                assert!(
                    !card["detail"].as_str().unwrap().contains(reference),
                    "{name}: {topic} shows {reference}"
                );
            }
            cards_seen += 1;
        }
    }
    assert!(cards_seen > 0);
    app.stop().await;
}

fn check_card(name: &str, card: &Value) {
    let summary = card["summary"].as_str().unwrap();
    assert!(
        summary.chars().count() < 140,
        "{name}: summary too long: {summary}"
    );
    let indicator = card["indicator"].as_str().unwrap();
    assert!(
        ["info", "warning", "critical"].contains(&indicator),
        "{name}: {indicator}"
    );
    assert!(
        card["uuid"]
            .as_str()
            .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok()),
        "{name}"
    );
    assert!(
        card["source"]["label"]
            .as_str()
            .is_some_and(|l| !l.is_empty()),
        "{name}"
    );
    assert_eq!(card["source"]["topic"]["system"], TOPIC_SYSTEM, "{name}");
    if indicator == "warning" {
        let reasons = card["overrideReasons"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: warning without overrideReasons"));
        for reason in reasons {
            for field in ["system", "code", "display"] {
                assert!(
                    reason[field].as_str().is_some_and(|v| !v.is_empty()),
                    "{name}: {field}"
                );
            }
        }
    }
    if let Some(suggestions) = card["suggestions"].as_array() {
        let behavior = card["selectionBehavior"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no selectionBehavior"));
        assert!(["at-most-one", "any"].contains(&behavior));
        let recommended = suggestions
            .iter()
            .filter(|s| s["isRecommended"] == true)
            .count();
        if behavior == "at-most-one" {
            assert!(recommended <= 1, "{name}: {recommended} recommended");
        }
        for suggestion in suggestions {
            assert!(
                suggestion["uuid"].as_str().is_some(),
                "{name}: suggestion without uuid"
            );
            for action in suggestion["actions"].as_array().into_iter().flatten() {
                assert!(
                    action["description"].as_str().is_some(),
                    "{name}: action without description"
                );
                match action["type"].as_str().unwrap() {
                    "create" | "update" => assert!(action["resource"].is_object(), "{name}"),
                    "delete" => {
                        assert!(action["resourceId"].as_str().is_some(), "{name}");
                        assert!(action.get("resource").is_none(), "{name}");
                    }
                    other => panic!("{name}: action type {other}"),
                }
            }
        }
    }
    for link in card["links"].as_array().into_iter().flatten() {
        assert_eq!(link["type"], "absolute", "{name}");
        let url = link["url"].as_str().unwrap();
        // Evidence is linked over https; the rulebook under the configured public base URL.
        assert!(
            url.starts_with("https://") || url.starts_with("http://127.0.0.1"),
            "{name}: {url}"
        );
    }
}

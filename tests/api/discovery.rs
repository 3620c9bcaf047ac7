//! Discovery: content, template grammar and the spec's omission rule.

use serde_json::Value;

use crate::helpers::{
    assert_no_empty_fields, spawn_app, spawn_app_with, temp_dir, ORDER_SELECT_ID, ORDER_SIGN_ID,
};

const PREFETCH_KEYS: [&str; 8] = [
    "patient",
    "conditions",
    "medicationStatements",
    "medicationRequests",
    "medicationAdministrations",
    "observations",
    "procedures",
    "allergies",
];

#[tokio::test]
async fn discovery_lists_the_service_once_per_hook_with_the_prefetch_keys() {
    let app = spawn_app().await;
    let response = app.get_discovery().await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_no_empty_fields(&body, "$");
    let services = body["services"].as_array().unwrap();
    let hooks: Vec<&str> = services
        .iter()
        .map(|s| s["hook"].as_str().unwrap())
        .collect();
    assert_eq!(hooks, ["order-select", "order-sign"]);
    let ids: Vec<&str> = services.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [ORDER_SELECT_ID, ORDER_SIGN_ID]);
    for service in services {
        assert!(service["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(service["description"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        assert!(service["usageRequirements"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        let prefetch = service["prefetch"].as_object().unwrap();
        let mut keys: Vec<&str> = prefetch.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = PREFETCH_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(prefetch["patient"], "Patient/{{context.patientId}}");
        for template in prefetch.values() {
            assert_template_grammar(template.as_str().unwrap());
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn the_observations_template_asks_for_a_code_the_terminology_file_adds() {
    let file = temp_dir().join("local-value-sets.toml");
    std::fs::write(
        &file,
        "[hbsag]\ncodes = [{ system = \"urn:oid:1.2.3\", code = \"HBS-1\" }]\n",
    )
    .unwrap();
    let app = spawn_app_with(|settings| settings.mapping.terminology_file = Some(file)).await;
    let body: Value = app.get_discovery().await.json().await.unwrap();
    for service in body["services"].as_array().unwrap() {
        let observations = service["prefetch"]["observations"].as_str().unwrap();
        assert!(
            observations.starts_with("Observation?patient={{context.patientId}}&code="),
            "{observations}"
        );
        assert!(
            observations
                .contains(",http://loinc.org|5196-1,urn:oid:1.2.3|HBS-1,http://loinc.org|13952-7,"),
            "the added HBsAg code follows the embedded one: {observations}"
        );
    }
    app.stop().await;
}

/// CDS Hooks 2.0 tokens: `{{context.<root field>}}` or one of the four user tokens, nothing else.
fn assert_template_grammar(template: &str) {
    let allowed = [
        "context.patientId",
        "context.userId",
        "context.encounterId",
        "userPractitionerId",
        "userPractitionerRoleId",
        "userPatientId",
        "userRelatedPersonId",
    ];
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed token in {template}"));
        assert!(
            allowed.contains(&&after[..end]),
            "token `{}` in {template}",
            &after[..end]
        );
        rest = &after[end + 2..];
    }
    assert!(!rest.contains("}}"), "stray `}}}}` in {template}");
}

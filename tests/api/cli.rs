//! `oms-cds evaluate` on the repository's example requests.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{assert_no_empty_fields, binary_path, workspace_root};

#[test]
fn evaluate_answers_every_example_request_with_cards() {
    let examples = workspace_root().join("examples");
    let mut evaluated = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.ends_with(".expected.json") {
            continue;
        }
        let output = Command::new(binary_path())
            .args(["evaluate", "--at", "2026-11-25"])
            .arg(&path)
            .env_clear()
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let response: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(response["cards"].is_array(), "{name}");
        assert_no_empty_fields(&response, "$");
        let expected_path = path.with_extension("expected.json");
        if expected_path.exists() {
            let expected: Value =
                serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
            check_expectation(&name, &response, &expected);
        }
        evaluated += 1;
    }
    assert!(
        evaluated >= 4,
        "expected the example requests under examples/, found {evaluated}"
    );
}

fn check_expectation(name: &str, response: &Value, expected: &Value) {
    let topics: Vec<&str> = response["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| card["source"]["topic"]["code"].as_str().unwrap())
        .collect();
    if expected["no_cards"] == true {
        assert!(
            topics.is_empty(),
            "{name}: expected no cards, got {topics:?}"
        );
    }
    for topic in expected["must"].as_array().into_iter().flatten() {
        assert!(
            topics.contains(&topic.as_str().unwrap()),
            "{name}: {topic} missing from {topics:?}"
        );
    }
    for topic in expected["must_not"].as_array().into_iter().flatten() {
        assert!(
            !topics.contains(&topic.as_str().unwrap()),
            "{name}: {topic} must not appear"
        );
    }
}

#[test]
fn evaluate_rejects_an_invalid_request_with_a_message_and_non_zero_exit() {
    let file = crate::helpers::temp_dir().join("bad.json");
    std::fs::write(&file, "{\"hook\": \"order-sign\"}").unwrap();
    let output = Command::new(binary_path())
        .arg("evaluate")
        .arg(&file)
        .env_clear()
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("hookInstance"), "{stderr}");
}

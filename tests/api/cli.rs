//! `oms-cds evaluate` on the repository's example requests.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{assert_no_empty_fields, binary_path, workspace_root};

/// What each example must answer is in its scenario (`tests/scenarios/`); here the binary is
/// checked: every example gives a valid response, and `--seed` makes it byte-for-byte repeatable.
#[test]
fn evaluate_answers_every_example_request_and_a_seed_makes_it_repeatable() {
    let examples = workspace_root().join("examples");
    let mut evaluated = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let run = || {
            Command::new(binary_path())
                .args(["evaluate", "--at", "2026-11-25", "--seed", "7"])
                .arg(&path)
                .env_clear()
                .output()
                .unwrap()
        };
        let (first, second) = (run(), run());
        assert!(
            first.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&first.stderr)
        );
        assert_eq!(first.stdout, second.stdout, "{name}: not repeatable");
        let response: Value = serde_json::from_slice(&first.stdout).unwrap();
        assert!(response["cards"].is_array(), "{name}");
        assert_no_empty_fields(&response, "$");
        evaluated += 1;
    }
    assert!(
        evaluated >= 4,
        "expected the example requests under examples/, found {evaluated}"
    );
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

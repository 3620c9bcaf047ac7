//! The `oms-cds` command line: `evaluate` on the example requests, `config check` on good and
//! broken configurations.

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

/// `oms-cds config check` with a clean environment plus `env`.
fn config_check(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(binary_path())
        .args(["config", "check"])
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn config_check_accepts_the_annotated_example_configuration() {
    let example = workspace_root().join("deploy/oms-cds.example.toml");
    let output = config_check(&["--config", example.to_str().unwrap()], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("configuration valid"), "{stdout}");
}

#[test]
fn config_check_refuses_the_kubernetes_template_in_production_naming_each_placeholder() {
    let base = workspace_root().join("deploy/k8s/base/oms-cds.toml");
    let output = config_check(
        &["--config", base.to_str().unwrap()],
        &[("OMS_CDS_ENVIRONMENT", "production")],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for key in [
        "public_base_url = https://cds.replace-me.invalid",
        "cors.allowed_origins = ",
        "auth.issuers[0].iss = ",
        "auth.issuers[0].jwks_url = ",
        "fhir.allowed_servers = ",
    ] {
        assert!(stderr.contains(key), "{key} not named: {stderr}");
    }
    let site = workspace_root().join("deploy/k8s/overlays/example-site/oms-cds.toml");
    let output = config_check(
        &["--config", site.to_str().unwrap()],
        &[("OMS_CDS_ENVIRONMENT", "production")],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn config_check_refuses_a_misspelt_or_wrongly_typed_file_key_at_its_line() {
    let file = crate::helpers::temp_dir().join("broken.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:8080\"\n\n[storage]\nmax_connections = 8\nquery_timeout_ms = \"fast\"\n",
    )
    .unwrap();
    let output = config_check(&["--config", file.to_str().unwrap()], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("line 5, column 20, key `storage.query_timeout_ms`"),
        "{stderr}"
    );

    std::fs::write(
        &file,
        "[auth]\nrequired = false\n\n[log]\nlevl = \"info\"\n",
    )
    .unwrap();
    let output = config_check(&["--config", file.to_str().unwrap()], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 5, column 1, key `log.levl`: unknown field `levl`"),
        "{stderr}"
    );
}

#[test]
fn config_check_names_a_misspelt_environment_variable_and_refuses_a_silent_log_level() {
    let output = config_check(
        &[],
        &[
            ("OMS_CDS__AUTH__REQUIRED", "false"),
            ("OMS_CDS__AUTH__REQUIRD", "false"),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("environment variable OMS_CDS__AUTH__REQUIRD (key `auth.requird`)"),
        "{stderr}"
    );

    let output = config_check(
        &[],
        &[
            ("OMS_CDS__AUTH__REQUIRED", "false"),
            ("OMS_CDS_LOG_LEVEL", "warning"),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`warning` is not a level"), "{stderr}");
    assert!(
        stderr.contains("off, error, warn, info, debug, trace"),
        "{stderr}"
    );

    // RUST_LOG overrides log.level, so it is held to the same rules.
    let output = config_check(
        &[],
        &[
            ("OMS_CDS__AUTH__REQUIRED", "false"),
            ("RUST_LOG", "verbose"),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("RUST_LOG") && stderr.contains("`verbose` is not a level"),
        "{stderr}"
    );

    // A short name one letter off a setting is ignored, and said so.
    let output = config_check(
        &[],
        &[
            ("OMS_CDS__AUTH__REQUIRED", "false"),
            ("OMS_CDS_LISTN", "0.0.0.0:80"),
        ],
    );
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "warning: environment variable OMS_CDS_LISTN is not a setting and was ignored; \
             did you mean OMS_CDS_LISTEN?"
        ),
        "{stdout}"
    );
}

#[test]
fn config_check_print_shows_the_effective_configuration_without_secrets() {
    let token = "t".repeat(40);
    let output = config_check(
        &["--print"],
        &[
            ("OMS_CDS__AUTH__REQUIRED", "false"),
            (
                "OMS_CDS_DATABASE_URL",
                "postgres://oms:hunter2@db.internal:5432/oms",
            ),
            ("OMS_CDS__ADMIN__TOKEN", token.as_str()),
            ("OMS_CDS__STORAGE__MAX_CONNECTIONS", "3"),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("database_url = \"postgres://oms:[redacted]@db.internal:5432/oms\""),
        "{stdout}"
    );
    assert!(stdout.contains("token = \"[redacted]\""), "{stdout}");
    assert!(stdout.contains("max_connections = 3"), "{stdout}");
    assert!(
        !stdout.contains("hunter2") && !stdout.contains(&token),
        "{stdout}"
    );
}

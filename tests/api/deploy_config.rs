//! The configuration files shipped under `deploy/` load with the service's own loader, so a
//! change to the settings cannot silently break a deployment.

use oms_cds::config::Settings;

use crate::helpers::workspace_root;

#[test]
fn every_deploy_configuration_file_loads_and_validates() {
    let files = [
        "deploy/k8s/base/oms-cds.toml",
        "deploy/k8s/overlays/dev/oms-cds.toml",
        "deploy/compose/oms-cds.toml",
        "deploy/sandbox/oms-cds.toml",
    ];
    for file in files {
        let path = workspace_root().join(file);
        assert!(path.exists(), "{file} is missing");
        let settings = Settings::load_from(Some(&path), Vec::new())
            .unwrap_or_else(|e| panic!("{file}: {e:#}"));
        assert!(settings.max_body_bytes >= 1024, "{file}");
    }
}

#[test]
fn the_sandbox_profile_is_refused_in_production_and_trusts_only_the_sandbox() {
    let path = workspace_root().join("deploy/sandbox/oms-cds.toml");
    let production = [("OMS_CDS_ENVIRONMENT".to_owned(), "production".to_owned())];
    let error = Settings::load_from(Some(&path), production)
        .expect_err("the public sandbox key must not be trusted in production");
    let message = format!("{error:#}");
    assert!(message.contains("sandbox"), "{message}");
    assert!(message.contains("production"), "{message}");

    let settings = Settings::load_from(Some(&path), Vec::new()).unwrap();
    assert!(!settings.is_production());
    let issuers: Vec<&str> = settings
        .auth
        .issuers
        .iter()
        .map(|issuer| issuer.iss.as_str())
        .collect();
    assert_eq!(issuers, [oms_cds::auth::SANDBOX_ISSUER]);
    assert_eq!(
        settings.cors.allowed_origins,
        ["https://sandbox.cds-hooks.org"]
    );
}

#[test]
fn the_shipped_sandbox_key_is_the_one_the_sandbox_pins() {
    let jwks: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("deploy/sandbox/sandbox-public-jwks.json"))
            .unwrap(),
    )
    .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f");
    assert_eq!(key["crv"], "P-384");
    assert!(key.get("d").is_none(), "public key only");
}

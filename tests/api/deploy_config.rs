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
    ];
    for file in files {
        let path = workspace_root().join(file);
        assert!(path.exists(), "{file} is missing");
        let settings = Settings::load_from(Some(&path), Vec::new())
            .unwrap_or_else(|e| panic!("{file}: {e:#}"));
        assert!(settings.max_body_bytes >= 1024, "{file}");
    }
}

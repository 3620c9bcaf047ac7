//! What each subcommand does, apart from argument parsing.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use crate::card_ids::UuidSource;
use crate::catalogue::SERVED_HOOKS;
use crate::config::Settings;
use crate::evaluation::Engine;
use crate::startup::{shutdown_signal, Application};
use crate::wire::request::parse_hook_call;
use crate::wire::response::CdsResponse;

/// `oms-cds serve`.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let application = Application::build(settings).await?;
    tracing::info!(address = %application.local_addr()?, "oms-cds listening");
    application.run_until(shutdown_signal()).await
}

/// `oms-cds evaluate`: the response JSON for one request, as the service would answer it.
pub fn evaluate(
    settings: &Settings,
    file: &Path,
    today: time::Date,
    mut ids: UuidSource,
) -> anyhow::Result<String> {
    let body = if file == Path::new("-") {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .context("cannot read standard input")?;
        body
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let engine = Engine::new(settings)?;
    let call = parse_hook_call(&body, &SERVED_HOOKS)?;
    let report = crate::fhir_client::PrefetchReport::default();
    let evaluation = engine
        .evaluate(&call.call, today, &report)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let response = CdsResponse::from_evaluation(&evaluation, &mut ids, &settings.public_base_url);
    serde_json::to_string_pretty(&response).context("cannot render the response")
}

/// `oms-cds config check`: loads the configuration as `serve` does (same loader, same checks)
/// and describes it; with `print`, the effective configuration as TOML, secrets redacted.
pub fn check_config(file: Option<&Path>, print: bool) -> anyhow::Result<String> {
    let settings = Settings::load(file)?;
    if print {
        let effective = crate::config::redact::effective_toml(&settings)
            .context("cannot render the effective configuration")?;
        // Warnings as TOML comments, so the output stays a configuration file.
        let warnings: String = configuration_warnings(&settings)
            .iter()
            .map(|warning| format!("# warning: {warning}\n"))
            .collect();
        return Ok(format!("{warnings}{effective}"));
    }
    let variables = crate::config::sources::override_names(std::env::vars());
    let mut report = format!(
        "configuration valid: {}",
        file.map_or_else(
            || "embedded defaults".to_owned(),
            |f| f.display().to_string()
        )
    );
    if !variables.is_empty() {
        report.push_str(&format!(", then {}", variables.join(", ")));
    }
    for warning in configuration_warnings(&settings) {
        report.push_str(&format!("\nwarning: {warning}"));
    }
    Ok(report)
}

/// What `config check` warns about: deprecated keys and misspelt-looking variables.
fn configuration_warnings(settings: &Settings) -> Vec<String> {
    let misspelt = settings.misspelt_variables.iter().map(|(variable, meant)| {
        format!("environment variable {variable} is not a setting and was ignored; did you mean {meant}?")
    });
    settings
        .deprecations
        .iter()
        .cloned()
        .chain(misspelt)
        .collect()
}

/// `oms-cds token`: asks the running demo for a token (its key never leaves that process).
pub async fn token(demo: &str, aud: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .context("cannot build the HTTP client")?;
    let response = client
        .get(format!("{}/demo/token", demo.trim_end_matches('/')))
        .query(&[("aud", aud)])
        .send()
        .await
        .with_context(|| format!("no demo answers at {demo}: start one with `oms-cds demo`"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "the demo at {demo} answered {}",
        response.status()
    );
    response.text().await.context("cannot read the token")
}

/// `oms-cds healthcheck`.
pub async fn healthcheck(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .context("cannot build the HTTP client")?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("{url} is unreachable"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(())
}

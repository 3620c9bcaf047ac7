//! `/metrics` as a scraper reads it, from the running binary: the 0.0.4 text format by default
//! (checked by `promtool check metrics` when it is installed), OpenMetrics on request, the
//! process and pool metrics, and every metric the dashboard and the alert rules query.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::{
    client, minimal_order_sign, temp_dir, workspace_root, RunningBinary, ORDER_SIGN_ID,
};

const OPENMETRICS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,text/plain;q=0.5";

async fn running_service() -> RunningBinary {
    let database_url = format!("sqlite://{}", temp_dir().join("metrics.db").display());
    let running = crate::helpers::spawn_binary(&[
        ("OMS_CDS_DATABASE_URL", database_url.as_str()),
        ("OMS_CDS__AUTH__REQUIRED", "false"),
    ])
    .await;
    // One service call, so the histograms and counters have samples as well as zeros.
    let response = client()
        .post(format!("{}/cds-services/{ORDER_SIGN_ID}", running.address))
        .json(&minimal_order_sign())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    running
}

/// The body and content type of one scrape.
async fn scrape(address: &str, accept: Option<&str>) -> (String, String) {
    let mut request = client().get(format!("{address}/metrics"));
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, response.text().await.unwrap())
}

/// Metric families of a 0.0.4 exposition: name -> type.
fn families(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(name, kind)| (name.to_owned(), kind.to_owned()))
        .collect()
}

fn promtool() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("promtool"))
        .find(|candidate| candidate.is_file())
}

#[tokio::test]
async fn the_default_exposition_is_text_004_that_promtool_accepts() {
    let running = running_service().await;
    let (content_type, text) = scrape(&running.address, None).await;
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert!(!text.contains("# EOF"), "{text}");
    for (name, kind) in families(&text) {
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "{name} has no HELP"
        );
        if kind == "counter" {
            assert!(
                name.ends_with("_total"),
                "counter {name} in 0.0.4 ends in _total"
            );
        }
    }
    let Some(promtool) = promtool() else {
        eprintln!("skipping the promtool check: promtool is not installed");
        return;
    };
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn openmetrics_is_served_when_the_scraper_asks_for_it() {
    let running = running_service().await;
    let (content_type, text) = scrape(&running.address, Some(OPENMETRICS_ACCEPT)).await;
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        text.contains("# TYPE oms_cds_http_requests counter\n"),
        "{text}"
    );
    assert!(text.contains("oms_cds_http_requests_total{"), "{text}");
}

#[tokio::test]
async fn process_pool_and_known_label_series_are_exported() {
    let running = running_service().await;
    let (_, text) = scrape(&running.address, None).await;
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no sample {prefix}\n{text}"))
    };
    assert!(value("process_resident_memory_bytes ") > 0.0);
    assert!(value("process_open_fds ") > 0.0);
    assert!(value("process_max_fds ") >= value("process_open_fds "));
    // Read in clock ticks: a service scraped right after start may not have used one yet.
    assert!(value("process_cpu_seconds_total ") >= 0.0);
    assert!(value("process_start_time_seconds ") > 1.7e9);
    assert!(value("oms_cds_db_pool_max_connections ") >= 1.0);
    assert!(value("oms_cds_db_pool_connections{state=\"idle\"} ") >= 0.0);
    assert!(value("oms_cds_db_pool_connections{state=\"in_use\"} ") >= 0.0);
    // Series that exist before their first event, at 0.
    for zero in [
        "oms_cds_issued_cards_log_dropped_total{reason=\"write_failed\"} ",
        "oms_cds_issued_cards_log_dropped_total{reason=\"queue_full\"} ",
        "oms_cds_http_requests_total{route=\"/cds-services/{id}\",hook=\"order-select\",status=\"503\"} ",
        "oms_cds_auth_failures_total{reason=\"expired\"} ",
        "oms_cds_prefetch_keys_total{key=\"patient\",outcome=\"failed\"} ",
        "oms_cds_storage_faults_total{operation=\"issued_cards\",kind=\"error\"} ",
    ] {
        assert_eq!(value(zero), 0.0, "{zero}");
    }
    assert_eq!(
        value("oms_cds_http_requests_total{route=\"/cds-services/{id}\",hook=\"order-sign\",status=\"200\"} "),
        1.0
    );
}

/// Metric names in a PromQL text: the identifiers of this service's and the process' metrics.
fn metric_names(promql: &str) -> BTreeSet<String> {
    promql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|word| word.starts_with("oms_cds_") || word.starts_with("process_"))
        .map(str::to_owned)
        .collect()
}

fn dashboard_queries() -> Vec<String> {
    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("expr" | "query", Value::String(expr)) => out.push(expr.clone()),
                        _ => collect(value, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            _ => {}
        }
    }
    let path = workspace_root().join("deploy/monitoring/dashboard.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut queries = Vec::new();
    collect(&dashboard, &mut queries);
    queries
}

/// The `expr:` texts of the PrometheusRule (block scalars included), read as plain text.
fn alert_expressions() -> Vec<String> {
    let path = workspace_root().join("deploy/k8s/base/prometheusrule.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut expressions = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((indent, rest)) = line.split_once("expr:") else {
            continue;
        };
        let rest = rest.trim();
        if rest.is_empty() || rest.starts_with('|') || rest.starts_with('>') {
            let mut block = String::new();
            while let Some(next) = lines.next_if(|next| {
                next.trim().is_empty() || next.len() - next.trim_start().len() > indent.len()
            }) {
                block.push_str(next.trim());
                block.push('\n');
            }
            expressions.push(block);
        } else {
            expressions.push(rest.to_owned());
        }
    }
    expressions
}

#[tokio::test]
async fn every_metric_the_dashboard_and_alerts_query_is_exported() {
    let running = running_service().await;
    let (_, text) = scrape(&running.address, None).await;
    let exported = families(&text);
    let is_exported = |name: &str| {
        exported.iter().any(|(family, kind)| {
            family == name
                || (kind == "histogram"
                    && ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|suffix| name.strip_suffix(suffix) == Some(family.as_str())))
        })
    };
    let dashboard = dashboard_queries();
    let alerts = alert_expressions();
    assert!(dashboard.len() >= 8, "{dashboard:?}");
    assert!(alerts.len() >= 6, "{alerts:?}");
    let mut used = BTreeSet::new();
    for expr in dashboard.iter().chain(&alerts) {
        used.extend(metric_names(expr));
    }
    let unknown: Vec<&String> = used.iter().filter(|name| !is_exported(name)).collect();
    assert!(unknown.is_empty(), "not exported: {unknown:?}");
}

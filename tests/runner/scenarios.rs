//! Runs every clinical scenario in `tests/scenarios/<area>/<name>.json` through the service's own
//! request path (default configuration, embedded terminology), checks its expectations and the
//! card contract, compares its answer with the snapshot `<name>.cards.md` beside it, collects every
//! failure with the scenario's name, then fails once.
//!
//! Side effect: every suggested resource is written to `<target>/suggested-resources/` (emptied
//! first) for the independent FHIR validator (`scripts/validate-fhir.sh`).

#![allow(
    clippy::unwrap_used,
    reason = "a test harness fails loudly on unexpected input"
)]

use std::fs;
use std::path::{Path, PathBuf};

use oms_cds::config::Settings;
use oms_cds::evaluation::Engine;
use oms_cds_tests::scenario::{answer, Answer, Scenario};
use oms_cds_tests::snapshot::{self, SnapshotOutcome};
use oms_cds_tests::{contract, expectations};
use serde_json::Value;

#[test]
fn every_scenario_meets_its_expectations_the_card_contract_and_its_snapshot() {
    let root = repository_root();
    let scenarios = root.join("tests/scenarios");
    let files = scenario_files(&scenarios);
    assert!(
        files.len() >= 35,
        "expected the scenario suite, found {} files",
        files.len()
    );
    let output = suggested_resources_dir();
    let _ = fs::remove_dir_all(&output);
    fs::create_dir_all(&output).unwrap();

    let engine = Engine::new(&Settings::default()).unwrap();
    let mut failures = Vec::new();
    let mut written_snapshots = Vec::new();
    let mut resources = 0;
    for file in &files {
        let name = file
            .strip_prefix(&scenarios)
            .unwrap()
            .with_extension("")
            .to_string_lossy()
            .into_owned();
        let problems = match run(&root, file, &engine) {
            Ok((scenario, request, answer)) => {
                resources += write_resources(&output, &name.replace('/', "-"), &answer.body);
                let mut problems = expectations::check(&answer, &scenario.expect, &scenario.proves);
                problems.extend(contract::check(&answer, &request));
                let rendered = snapshot::render(&name, &scenario, &request, &answer);
                match snapshot::compare_or_update(&file.with_extension("cards.md"), &rendered) {
                    Ok(SnapshotOutcome::Matched) => {}
                    Ok(SnapshotOutcome::Written) => written_snapshots.push(name.clone()),
                    Ok(SnapshotOutcome::Stale(difference)) => problems.push(format!(
                        "the snapshot is stale (UPDATE_SNAPSHOTS=1 rewrites it after review), {difference}"
                    )),
                    Ok(SnapshotOutcome::Missing) => problems.push(
                        "no snapshot (CI=true): run the scenarios locally and commit the .cards.md"
                            .to_owned(),
                    ),
                    Err(error) => problems.push(format!("snapshot: {error}")),
                }
                problems
            }
            Err(error) => vec![error],
        };
        failures.extend(problems.into_iter().map(|p| format!("{name}: {p}")));
    }
    println!(
        "{} scenarios; {resources} suggested resources written to {}; snapshots written: {:?}",
        files.len(),
        output.display(),
        written_snapshots
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every snapshot belongs to a scenario: a renamed or deleted scenario leaves none behind.
#[test]
fn every_snapshot_has_its_scenario() {
    let scenarios = repository_root().join("tests/scenarios");
    let mut orphans = Vec::new();
    let mut pending = vec![scenarios];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".cards.md"))
            {
                if !path.with_file_name(format!("{stem}.json")).exists() {
                    orphans.push(path);
                }
            }
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots without a scenario: {orphans:?}"
    );
}

fn run(root: &Path, file: &Path, engine: &Engine) -> Result<(Scenario, Value, Answer), String> {
    let scenario = Scenario::read(file).map_err(|e| e.to_string())?;
    let today = scenario.date().map_err(|e| e.to_string())?;
    let body = scenario.request_body(root).map_err(|e| e.to_string())?;
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let answer = answer(engine, &body, today);
    Ok((scenario, request, answer))
}

fn write_resources(dir: &Path, name: &str, body: &Value) -> usize {
    let resources = body["cards"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(expectations::actions)
        .map(|action| &action["resource"])
        .filter(|resource| resource.is_object());
    let mut count = 0;
    for (index, resource) in resources.enumerate() {
        let path = dir.join(format!("{name}-{}.json", index + 1));
        fs::write(&path, serde_json::to_string_pretty(resource).unwrap()).unwrap();
        count += 1;
    }
    count
}

fn scenario_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn suggested_resources_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository_root().join("target"));
    target.join("suggested-resources")
}

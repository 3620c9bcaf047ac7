//! A scenario's answer as a clinician reads it, in markdown: the `<name>.cards.md` snapshot
//! beside each scenario file. Every change to a card's words shows as a diff of these files.
//!
//! `UPDATE_SNAPSHOTS=1 cargo test -p oms-cds-tests --test scenarios` rewrites them. Otherwise a
//! stale snapshot fails the run, and so does a missing one under `CI=true` (elsewhere a missing
//! snapshot is written, and said so).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::expectations::actions;
use crate::scenario::{drug_of, timing_text, topic_of, Answer, Scenario};

/// What became of a snapshot.
#[derive(Debug, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// It matched.
    Matched,
    /// It was written (missing outside CI, or `UPDATE_SNAPSHOTS` set).
    Written,
    /// It differs from the answer; the first differing line is given.
    Stale(String),
    /// It is missing and `CI=true`.
    Missing,
}

/// Compares `rendered` with the snapshot at `path`, or writes it.
pub fn compare_or_update(path: &Path, rendered: &str) -> std::io::Result<SnapshotOutcome> {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v != "0");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match std::fs::read_to_string(path) {
        Ok(current) if current == rendered => Ok(SnapshotOutcome::Matched),
        Ok(_) | Err(_) if update => {
            std::fs::write(path, rendered)?;
            Ok(SnapshotOutcome::Written)
        }
        Ok(current) => Ok(SnapshotOutcome::Stale(first_difference(&current, rendered))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !in_ci => {
            std::fs::write(path, rendered)?;
            Ok(SnapshotOutcome::Written)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(SnapshotOutcome::Missing),
        Err(error) => Err(error),
    }
}

fn first_difference(old: &str, new: &str) -> String {
    let mut old_lines = old.lines();
    let mut new_lines = new.lines();
    for number in 1.. {
        match (old_lines.next(), new_lines.next()) {
            (None, None) => break,
            (old, new) if old != new => {
                return format!(
                    "line {number}:\n  snapshot: {}\n  answer:   {}",
                    old.unwrap_or("<end>"),
                    new.unwrap_or("<end>")
                )
            }
            _ => {}
        }
    }
    "line endings".to_owned()
}

/// The answer as the clinician reads it.
pub fn render(name: &str, scenario: &Scenario, request: &Value, answer: &Answer) -> String {
    let mut out = String::new();
    let hook = request["hook"].as_str().unwrap_or("no hook");
    let _ = writeln!(out, "# {name}\n");
    let _ = writeln!(out, "{}\n", scenario.description.trim());
    if let Some(file) = &scenario.request_file {
        let _ = writeln!(out, "Request: `{file}`\n");
    }
    let _ = writeln!(out, "Proves: {}\n", scenario.proves.what.trim());
    let _ = writeln!(
        out,
        "Evaluated on {} · {hook} · HTTP {}",
        scenario.evaluation_date, answer.status
    );
    if answer.status != 200 {
        let issue = &answer.body["issue"][0];
        let _ = writeln!(
            out,
            "\nOperationOutcome ({} / {}): {}",
            text(&issue["severity"]),
            text(&issue["code"]),
            text(&issue["diagnostics"])
        );
        return out;
    }
    let cards: Vec<&Value> = answer.body["cards"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if cards.is_empty() {
        let _ = writeln!(out, "\nNo cards: the service stays silent.");
        return out;
    }
    for (index, card) in cards.iter().enumerate() {
        let primary = answer.cards.get(index).is_some_and(|card| card.is_primary);
        render_card(&mut out, index + 1, card, primary);
    }
    out
}

fn render_card(out: &mut String, number: usize, card: &Value, primary: bool) {
    let _ = writeln!(
        out,
        "\n---\n\n## {number}. [{}] {}\n",
        text(&card["indicator"]),
        text(&card["summary"])
    );
    let _ = writeln!(
        out,
        "Topic `{}`{} · source: {}\n",
        topic_of(card),
        if primary { " (primary)" } else { "" },
        text(&card["source"]["label"])
    );
    let detail = text(&card["detail"]);
    if !detail.is_empty() {
        let _ = writeln!(out, "{}\n", detail.trim_end());
    }
    let suggestions = card["suggestions"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if !suggestions.is_empty() {
        let _ = writeln!(out, "Suggestions ({}):", text(&card["selectionBehavior"]));
        for suggestion in suggestions {
            let recommended = if suggestion["isRecommended"] == true {
                " (recommended)"
            } else {
                ""
            };
            let _ = writeln!(out, "- {}{recommended}", text(&suggestion["label"]));
            for action in suggestion["actions"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "  - {}: {}",
                    text(&action["type"]),
                    text(&action["description"])
                );
                if let Some(line) = resource_line(action) {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        out.push('\n');
    }
    let links: Vec<String> = card["links"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|link| format!("[{}]({})", text(&link["label"]), text(&link["url"])))
        .collect();
    if !links.is_empty() {
        let _ = writeln!(out, "Links: {}\n", links.join(" · "));
    }
    let references: Vec<&str> = card["extension"][crate::contract::REFERENCES_EXTENSION]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !references.is_empty() {
        let _ = writeln!(
            out,
            "References (extension, not shown to the clinician): {}\n",
            references.join(", ")
        );
    }
    let overrides: Vec<&str> = card["overrideReasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|reason| reason["display"].as_str())
        .collect();
    if !overrides.is_empty() {
        let _ = writeln!(out, "Override reasons: {}", overrides.join("; "));
    }
    debug_assert!(actions(card).count() >= suggestions.len());
}

/// The ordered resource in one line: what, how much, how, how often, and its dosage text.
fn resource_line(action: &Value) -> Option<String> {
    let resource = &action["resource"];
    match resource["resourceType"].as_str()? {
        "MedicationRequest" => {
            let dosage = &resource["dosageInstruction"][0];
            let quantity = &dosage["doseAndRate"][0]["doseQuantity"];
            let route = dosage["route"]["coding"][0]["display"]
                .as_str()
                .or_else(|| dosage["route"]["text"].as_str())
                .unwrap_or("route?");
            Some(format!(
                "MedicationRequest{} ({}): {} {} {route}, {}; \"{}\"",
                id_part(resource),
                drug_of(resource),
                quantity["value"],
                text(&quantity["code"]),
                timing_text(dosage),
                text(&dosage["text"])
            ))
        }
        "ServiceRequest" => Some(format!(
            "ServiceRequest{}: {}",
            id_part(resource),
            text(&resource["code"]["text"])
        )),
        other => Some(other.to_owned()),
    }
}

/// ` <id>` for an update of a draft (created resources have no id).
fn id_part(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .map_or_else(String::new, |id| format!(" {id}"))
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

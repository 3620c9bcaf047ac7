//! Runs every clinical scenario in `tests/scenarios/<area>/<name>.json` through the real mapping
//! (`fhir_mapping::Mapper`, default configuration, embedded terminology) and `cards::evaluate`,
//! checks the expectations and the card contract (section 6), collects every failure with its file
//! name, then fails once.
//!
//! Side effect: every suggested resource is written to `target/suggested-resources/<scenario>-<n>.json`
//! for the independent FHIR validator (`scripts/validate-fhir.sh`).

#![allow(
    clippy::unwrap_used,
    reason = "a test harness fails loudly on unexpected input"
)]

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use cards::{Card, ClinicalConfig, Indicator};
use fhir_mapping::{
    Hook, HookRequest, Mapper, MappingConfig, Prefetch, PrefetchValue, Terminology,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use time::Date;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    description: String,
    evaluation_date: String,
    request: Value,
    expect: Expectation,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Expectation {
    topics_present: Vec<String>,
    topics_absent: Vec<String>,
    no_cards: bool,
    primary: Option<String>,
    primary_mg: Option<f64>,
    indicators: std::collections::BTreeMap<String, String>,
    action_types: std::collections::BTreeMap<String, Vec<String>>,
    no_mg_amounts: bool,
    /// The dose of the first suggested MedicationRequest on a card, by topic.
    card_mg: std::collections::BTreeMap<String, f64>,
    /// Phrases a card's summary or detail must contain, by topic.
    text_contains: std::collections::BTreeMap<String, Vec<String>>,
}

#[test]
fn every_scenario_meets_its_expectations_and_the_card_contract() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
    let files = scenario_files(&root);
    assert!(
        files.len() >= 25,
        "expected the scenario suite, found {} files",
        files.len()
    );
    let output = suggested_resources_dir();
    let _ = fs::remove_dir_all(&output);
    fs::create_dir_all(&output).unwrap();

    let mapper = Mapper::new(MappingConfig::default(), Terminology::embedded());
    let config = ClinicalConfig::default();
    let mut failures = Vec::new();
    let mut written = 0;
    for file in &files {
        let name = file
            .strip_prefix(&root)
            .unwrap()
            .with_extension("")
            .to_string_lossy()
            .replace('/', "-");
        let problems = match run(file, &mapper, &config) {
            Ok((cards, scenario)) => {
                written += write_resources(&output, &name, &cards);
                dump_if_asked(&name, &cards);
                let mut problems = check_expectations(&cards, &scenario.expect);
                problems.extend(check_contract(&cards, &scenario.request));
                problems
            }
            Err(error) => vec![error],
        };
        failures.extend(
            problems
                .into_iter()
                .map(|problem| format!("{name}: {problem}")),
        );
    }
    println!(
        "{} scenarios, {written} suggested resources written to {}",
        files.len(),
        output.display()
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn run(
    file: &Path,
    mapper: &Mapper,
    config: &ClinicalConfig,
) -> Result<(Vec<Card>, Scenario), String> {
    let text = fs::read_to_string(file).map_err(|e| format!("unreadable: {e}"))?;
    let scenario: Scenario =
        serde_json::from_str(&text).map_err(|e| format!("not a scenario: {e}"))?;
    assert!(!scenario.description.is_empty());
    let today = Date::parse(
        &scenario.evaluation_date,
        &time::format_description::well_known::Iso8601::DATE,
    )
    .map_err(|e| format!("evaluation_date: {e}"))?;
    let request = &scenario.request;
    let hook = match request["hook"].as_str() {
        Some("order-select") => Hook::OrderSelect,
        Some("order-sign") => Hook::OrderSign,
        other => return Err(format!("unsupported hook {other:?}")),
    };
    let context = &request["context"];
    let patient_id = context["patientId"]
        .as_str()
        .ok_or("no context.patientId")?;
    let selections: Vec<String> = context["selections"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let draft_orders = raw(&context["draftOrders"]);
    let mut prefetch = Prefetch::new();
    for (key, value) in request["prefetch"].as_object().into_iter().flatten() {
        let value = if value.is_null() {
            PrefetchValue::Null
        } else {
            PrefetchValue::Resource(raw(value))
        };
        prefetch.insert(key.clone(), value);
    }
    let hook_request = HookRequest {
        hook,
        patient_id,
        selections: &selections,
        draft_orders: &draft_orders,
        prefetch: &prefetch,
    };
    let facts = mapper
        .map(&hook_request, today)
        .map_err(|e| format!("mapping failed: {e}"))?;
    Ok((cards::evaluate(&facts, config), scenario))
}

fn check_expectations(cards: &[Card], expect: &Expectation) -> Vec<String> {
    let mut problems = Vec::new();
    let topics: Vec<&str> = cards.iter().map(|card| card.topic.code()).collect();
    if expect.no_cards && !cards.is_empty() {
        problems.push(format!("expected no cards, got {topics:?}"));
    }
    for topic in &expect.topics_present {
        if !topics.contains(&topic.as_str()) {
            problems.push(format!("missing topic {topic} (got {topics:?})"));
        }
    }
    for topic in &expect.topics_absent {
        if topics.contains(&topic.as_str()) {
            problems.push(format!("unexpected topic {topic}"));
        }
    }
    let primaries: Vec<&Card> = cards.iter().filter(|card| card.is_primary).collect();
    match &expect.primary {
        Some(primary) if primaries.len() != 1 || primaries[0].topic.code() != primary => {
            problems.push(format!(
                "expected primary {primary}, got {:?}",
                primaries.iter().map(|c| c.topic.code()).collect::<Vec<_>>()
            ));
        }
        None if !primaries.is_empty() => problems.push("expected no primary card".to_owned()),
        _ => {}
    }
    if let Some(expected_mg) = expect.primary_mg {
        let actual = primaries.first().and_then(|card| primary_dose_mg(card));
        if actual.is_none_or(|mg| (mg - expected_mg).abs() > 1e-9) {
            problems.push(format!(
                "primary dose: expected {expected_mg} mg, got {actual:?}"
            ));
        }
    }
    for (topic, expected_mg) in &expect.card_mg {
        let actual = cards
            .iter()
            .find(|card| card.topic.code() == topic)
            .and_then(primary_dose_mg);
        if actual.is_none_or(|mg| (mg - expected_mg).abs() > 1e-9) {
            problems.push(format!(
                "{topic}: expected {expected_mg} mg suggested, got {actual:?}"
            ));
        }
    }
    for (topic, phrases) in &expect.text_contains {
        let Some(card) = cards.iter().find(|card| card.topic.code() == topic) else {
            problems.push(format!("{topic}: card missing for the text check"));
            continue;
        };
        for phrase in phrases {
            if !card.summary.contains(phrase.as_str()) && !card.detail.contains(phrase.as_str()) {
                problems.push(format!(
                    "{topic}: {phrase:?} not in the summary or detail:\n{}\n{}",
                    card.summary, card.detail
                ));
            }
        }
    }
    for (topic, indicator) in &expect.indicators {
        match cards.iter().find(|card| card.topic.code() == topic) {
            Some(card) if card.indicator.code() != indicator => {
                problems.push(format!(
                    "{topic}: indicator {} instead of {indicator}",
                    card.indicator.code()
                ));
            }
            None => problems.push(format!("{topic}: card missing for the indicator check")),
            _ => {}
        }
    }
    for (topic, expected) in &expect.action_types {
        let Some(card) = cards.iter().find(|card| card.topic.code() == topic) else {
            problems.push(format!("{topic}: card missing for the action check"));
            continue;
        };
        let actual: BTreeSet<&str> = card
            .suggestions
            .iter()
            .flat_map(|s| s.actions.iter())
            .map(|a| a.kind.code())
            .collect();
        let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
        if actual != expected {
            problems.push(format!(
                "{topic}: action types {actual:?} instead of {expected:?}"
            ));
        }
    }
    if expect.no_mg_amounts {
        for card in cards {
            if shows_mg_amount(card) {
                problems.push(format!(
                    "{}: shows an mg amount although doses are withheld",
                    card.topic.code()
                ));
            }
        }
    }
    problems
}

/// The dose of the first MedicationRequest of a card's recommended (else first) suggestion.
fn primary_dose_mg(card: &Card) -> Option<f64> {
    let suggestion = card
        .suggestions
        .iter()
        .find(|s| s.is_recommended)
        .or_else(|| card.suggestions.first())?;
    suggestion
        .actions
        .iter()
        .filter_map(|action| action.resource.as_ref())
        .find_map(|resource| {
            let resource = &resource.0;
            (resource["resourceType"] == "MedicationRequest")
                .then(|| {
                    resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]
                        .as_f64()
                })
                .flatten()
        })
}

/// Section 6, checked on every card of every scenario.
fn check_contract(cards: &[Card], request: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let speaks_about_relapse = !cards.is_empty()
        && cards
            .iter()
            .all(|card| card.topic.code() != "diagnosis-unconfirmed");
    if speaks_about_relapse && cards.iter().filter(|card| card.is_primary).count() != 1 {
        problems.push("not exactly one primary card".to_owned());
    }
    let draft_ids: HashSet<String> = request["context"]["draftOrders"]["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["resource"]["id"].as_str().map(str::to_owned))
        .collect();
    let patient = format!(
        "Patient/{}",
        request["context"]["patientId"].as_str().unwrap_or_default()
    );
    problems.extend(check_coherence(cards));
    let mut uuids = HashSet::new();
    for card in cards {
        let topic = card.topic.code();
        let mut problem = |text: String| problems.push(format!("{topic}: {text}"));
        if card.summary.chars().count() >= 140 {
            problem(format!(
                "summary of {} characters",
                card.summary.chars().count()
            ));
        }
        if card.source_label.trim().is_empty() {
            problem("empty source label".to_owned());
        }
        if !uuids.insert(card.uuid) {
            problem("duplicate card uuid".to_owned());
        }
        if card.indicator == Indicator::Warning
            && (card.override_reasons.is_empty()
                || card
                    .override_reasons
                    .iter()
                    .any(|r| r.system.is_empty() || r.code.is_empty() || r.display.is_empty()))
        {
            problem("warning card without complete override reasons".to_owned());
        }
        if card.suggestions.is_empty() != card.selection_behavior.is_none() {
            problem(
                "selectionBehavior must be present exactly when there are suggestions".to_owned(),
            );
        }
        if card.suggestions.iter().filter(|s| s.is_recommended).count() > 1 {
            problem("more than one recommended suggestion".to_owned());
        }
        if !card.detail.contains('`') {
            problem("detail cites no FHIR reference".to_owned());
        }
        if shows_mg_amount(card) && !card.detail.contains("**Working**") {
            problem("shows an mg amount without its working".to_owned());
        }
        for link in &card.links {
            if !link.url.starts_with("https://") {
                problem(format!("link {} is not absolute", link.url));
            }
        }
        for suggestion in &card.suggestions {
            if !uuids.insert(suggestion.uuid) {
                problem("duplicate suggestion uuid".to_owned());
            }
            for action in &suggestion.actions {
                if action.description.trim().is_empty() {
                    problem("action without description".to_owned());
                }
                match action.kind.code() {
                    "delete" => match &action.resource_id {
                        Some(id)
                            if action.resource.is_none()
                                && draft_ids.contains(id.split('/').nth(1).unwrap_or_default()) => {
                        }
                        _ => problem(format!(
                            "delete must name a draft by resourceId, got {:?}",
                            action.resource_id
                        )),
                    },
                    kind => match &action.resource {
                        None => problem(format!("{kind} without a resource")),
                        Some(resource) => {
                            let resource = &resource.0;
                            if kind == "update"
                                && !resource["id"]
                                    .as_str()
                                    .is_some_and(|id| draft_ids.contains(id))
                            {
                                problem("update does not keep a draft's id".to_owned());
                            }
                            for text in check_resource(resource, &patient) {
                                problem(text);
                            }
                        }
                    },
                }
            }
        }
    }
    problems
}

/// The cards of one response checked against each other: no card changes a draft that another
/// card removes, the same order is never created by two cards, and when doses are withheld no
/// card shows an mg amount.
fn check_coherence(cards: &[Card]) -> Vec<String> {
    let mut problems = Vec::new();
    let all: Vec<_> = cards.iter().flat_map(actions_of).collect();
    for (deleter, action) in all.iter().filter(|(_, a)| a.kind.code() == "delete") {
        let Some(removed) = action.resource_id.as_deref() else {
            continue;
        };
        for (updater, other) in all.iter().filter(|(_, a)| a.kind.code() == "update") {
            let target = other.resource.as_ref().and_then(|r| {
                r.0["id"]
                    .as_str()
                    .map(|id| format!("MedicationRequest/{id}"))
            });
            if updater != deleter && target.as_deref() == Some(removed) {
                problems.push(format!(
                    "{updater} updates {removed}, which {deleter} deletes"
                ));
            }
        }
    }
    let mut created: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for card in cards {
        let mut mine = BTreeSet::new();
        for (_, action) in actions_of(card) {
            let Some(resource) = action
                .resource
                .as_ref()
                .filter(|_| action.kind.code() == "create")
            else {
                continue;
            };
            let resource = &resource.0;
            let what = match resource["resourceType"].as_str() {
                Some("MedicationRequest") => format!(
                    "MedicationRequest {}",
                    resource["medicationCodeableConcept"]["coding"][0]["code"]
                ),
                _ => format!(
                    "ServiceRequest {} {}",
                    resource["code"]["coding"][0]["code"], resource["code"]["text"]
                ),
            };
            mine.insert(what);
        }
        for what in mine {
            if let Some(other) = created.insert(what.clone(), card.topic.code()) {
                problems.push(format!(
                    "{what} is created by both {other} and {}",
                    card.topic.code()
                ));
            }
        }
    }
    let withheld = cards
        .iter()
        .any(|card| card.topic.code() == "missing-body-measurements");
    for card in cards
        .iter()
        .filter(|card| withheld && shows_mg_amount(card))
    {
        problems.push(format!(
            "{}: shows an mg amount next to missing-body-measurements",
            card.topic.code()
        ));
    }
    problems
}

/// Every action of a card's suggestions, with the card's topic code.
fn actions_of(card: &Card) -> Vec<(&'static str, &cards::Action)> {
    card.suggestions
        .iter()
        .flat_map(|s| s.actions.iter())
        .map(|action| (card.topic.code(), action))
        .collect()
}

fn check_resource(resource: &Value, patient: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let kind = resource["resourceType"].as_str().unwrap_or_default();
    if !matches!(kind, "MedicationRequest" | "ServiceRequest") {
        problems.push(format!("unexpected resource type {kind:?}"));
    }
    if resource["status"] != "draft" || resource["intent"] != "order" {
        problems.push(format!("{kind} must be status draft, intent order"));
    }
    if resource["subject"]["reference"] != patient {
        problems.push(format!("{kind} subject is not {patient}"));
    }
    if kind == "MedicationRequest" {
        let rxnorm = resource["medicationCodeableConcept"]["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|coding| coding["system"] == "http://www.nlm.nih.gov/research/umls/rxnorm");
        if !rxnorm {
            problems.push("MedicationRequest without an RxNorm coding".to_owned());
        }
        let dosage = &resource["dosageInstruction"][0];
        let repeat = &dosage["timing"]["repeat"];
        let quantity = &dosage["doseAndRate"][0]["doseQuantity"];
        if !dosage["text"].is_string()
            || !dosage["route"]["coding"][0]["code"].is_string()
            || ["frequency", "period", "periodUnit", "count"]
                .iter()
                .any(|field| repeat[field].is_null())
            || quantity["system"] != "http://unitsofmeasure.org"
            || quantity["code"] != "mg"
            || !quantity["value"].is_number()
        {
            problems.push(format!("incomplete dosageInstruction: {dosage}"));
        }
    }
    if kind == "ServiceRequest" && resource["code"]["text"].as_str().is_none_or(str::is_empty) {
        problems.push("ServiceRequest without code text".to_owned());
    }
    problems
}

/// An mg amount anywhere on the card: summary, detail, action descriptions or a suggested dose.
fn shows_mg_amount(card: &Card) -> bool {
    let actions = card.suggestions.iter().flat_map(|s| s.actions.iter());
    mentions_mg_amount(&card.summary)
        || mentions_mg_amount(&card.detail)
        || actions
            .clone()
            .any(|action| mentions_mg_amount(&action.description))
        || actions
            .filter_map(|action| action.resource.as_ref())
            .any(|resource| {
                resource.0["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
            })
}

/// `250 mg` or `8.5 mg` (an amount), not `375 mg/m2` (a rate) or `mg` as a word.
fn mentions_mg_amount(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(" mg").any(|(at, _)| {
        let after = bytes.get(at + 3).copied();
        at > 0
            && bytes[at - 1].is_ascii_digit()
            && after != Some(b'/')
            && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

/// `SCENARIO_DUMP=<part of a name> cargo test -p cards --test scenarios -- --nocapture` prints
/// that scenario's cards as a clinician would read them.
fn dump_if_asked(name: &str, cards: &[Card]) {
    let Ok(wanted) = std::env::var("SCENARIO_DUMP") else {
        return;
    };
    if !name.contains(&wanted) {
        return;
    }
    for card in cards {
        println!(
            "=== {name}: [{}] {} ({})\n{}\n",
            card.indicator.code(),
            card.summary,
            card.topic.code(),
            card.detail
        );
        for suggestion in &card.suggestions {
            println!(
                "  suggestion: {} (recommended: {})",
                suggestion.label, suggestion.is_recommended
            );
            for action in &suggestion.actions {
                println!("    {}: {}", action.kind.code(), action.description);
            }
        }
    }
}

fn write_resources(dir: &Path, name: &str, cards: &[Card]) -> usize {
    let resources = cards
        .iter()
        .flat_map(|card| card.suggestions.iter())
        .flat_map(|suggestion| suggestion.actions.iter())
        .filter_map(|action| action.resource.as_ref());
    let mut count = 0;
    for (index, resource) in resources.enumerate() {
        let path = dir.join(format!("{name}-{}.json", index + 1));
        fs::write(&path, serde_json::to_string_pretty(&resource.0).unwrap()).unwrap();
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

fn suggested_resources_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("suggested-resources")
}

fn raw(value: &Value) -> Box<RawValue> {
    RawValue::from_string(value.to_string()).unwrap()
}

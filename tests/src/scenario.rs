//! The one scenario format, and running a scenario through the service's own request path.
//!
//! A scenario file (`tests/scenarios/<area>/<name>.json`) holds a CDS Hooks request (inline, or
//! `request_file` naming a file of the repository such as `examples/<name>.json`), the evaluation
//! date, what it proves and what the answer must be. Running it is exactly what the service does
//! with a request body, without HTTP: `parse_hook_call` (which wraps `fhir_mapping::HookCall`),
//! the 412 check, the mapping, the rules, and the response JSON with uuids from a seed.

use std::collections::BTreeMap;
use std::path::Path;

use cards::Card;
use fhir_mapping::Facts;
use oms_cds::card_ids::UuidSource;
use oms_cds::catalogue::SERVED_HOOKS;
use oms_cds::error::ApiError;
use oms_cds::evaluation::{Engine, Evaluation};
use oms_cds::fhir_client::PrefetchReport;
use oms_cds::wire::request::parse_hook_call;
use oms_cds::wire::response::CdsResponse;
use serde::Deserialize;
use serde_json::Value;
use time::Date;

/// The seed of the card and suggestion uuids in every scenario answer.
pub const UUID_SEED: u64 = 0x0_C0DE_0035;

/// The service's public address in the scenarios: the cards' rulebook links start with it.
pub const RULEBOOK_BASE: &str = "https://cds.hospital.example";

/// One scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// One or two sentences: the clinical situation and what the service must do.
    pub description: String,
    /// The fact or data issue this scenario proves.
    pub proves: Proof,
    /// The date the request is evaluated on (`YYYY-MM-DD`).
    pub evaluation_date: String,
    /// The request, inline.
    #[serde(default)]
    pub request: Option<Value>,
    /// The request, as a path relative to the repository's root.
    #[serde(default)]
    pub request_file: Option<String>,
    /// What the answer must be.
    pub expect: Expectation,
}

/// What a scenario proves: a sentence, and the data issues and facts it shows.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// The fact, rule or data issue, in words.
    pub what: String,
    /// Data issue kinds (`DataIssueKind::code`) the mapping must report.
    #[serde(default)]
    pub data_issues: Vec<String>,
    /// Phrases the mapped facts must contain (their `Debug` text), e.g. `relapse_date: Some(2026-11-22)`.
    #[serde(default)]
    pub facts_contain: Vec<String>,
}

/// What the answer must be. Every field is optional; an empty expectation still runs the card
/// contract and the snapshot.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Expectation {
    /// The HTTP status (200 unless said).
    pub status: Option<u16>,
    /// Phrases the OperationOutcome's diagnostics must contain (for a 4xx or 412).
    pub operation_outcome_contains: Vec<String>,
    /// The service stays silent.
    pub no_cards: bool,
    /// Topics (`source.topic.code`) that must be there.
    pub topics_present: Vec<String>,
    /// Topics that must not be there.
    pub topics_absent: Vec<String>,
    /// The primary card's topic; absent means "no primary card".
    pub primary: Option<String>,
    /// Indicator by topic.
    pub indicators: BTreeMap<String, String>,
    /// The set of action types of a card's suggestions, by topic.
    pub action_types: BTreeMap<String, Vec<String>>,
    /// Doses suggested by a card.
    pub doses: Vec<DoseExpectation>,
    /// No card shows an mg amount anywhere.
    pub no_mg_amounts: bool,
    /// Draft orders (`MedicationRequest/id`) that no card may offer to delete.
    pub no_delete_of: Vec<String>,
    /// Draft orders (`MedicationRequest/id`) that no card may delete or update (another use,
    /// another indication).
    pub untouched: Vec<String>,
    /// Phrases a card's summary or detail must contain, by topic.
    pub text_contains: BTreeMap<String, Vec<String>>,
    /// Text that must appear nowhere in the answer (an id of another patient, say).
    pub absent_everywhere: Vec<String>,
}

/// A dose a card suggests: the first MedicationRequest for `drug` in the card's recommended
/// suggestion (else its first suggestion that has one).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseExpectation {
    /// The card's topic.
    pub topic: String,
    /// The drug, as the suggested order's medication text (lower case), e.g. `rituximab`.
    pub drug: String,
    /// The amount per dose.
    pub amount: f64,
    /// Its UCUM unit, e.g. `mg`.
    pub unit: String,
    /// The timing, as `timing_text` writes it (e.g. `4 doses, every 1 wk`).
    pub timing: String,
}

/// A scenario file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not readable, not JSON or not the scenario format.
    #[error("not a scenario: {0}")]
    Format(String),
}

/// What the service answered, and what it knew.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status the service would send.
    pub status: u16,
    /// The response body: `{"cards": [...]}` or an OperationOutcome.
    pub body: Value,
    /// The rules' cards (empty for an error).
    pub cards: Vec<Card>,
    /// The mapped facts, when the request got that far.
    pub facts: Option<Facts>,
}

impl Scenario {
    /// Reads a scenario file.
    pub fn read(path: &Path) -> Result<Scenario, ScenarioError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ScenarioError::Format(e.to_string()))?;
        let scenario: Scenario =
            serde_json::from_str(&text).map_err(|e| ScenarioError::Format(e.to_string()))?;
        if scenario.description.trim().is_empty() || scenario.proves.what.trim().is_empty() {
            return Err(ScenarioError::Format(
                "`description` and `proves.what` must say something".into(),
            ));
        }
        if scenario.request.is_some() == scenario.request_file.is_some() {
            return Err(ScenarioError::Format(
                "give exactly one of `request` and `request_file`".into(),
            ));
        }
        Ok(scenario)
    }

    /// The evaluation date.
    pub fn date(&self) -> Result<Date, ScenarioError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Date::parse(&self.evaluation_date, format)
            .map_err(|e| ScenarioError::Format(format!("evaluation_date: {e}")))
    }

    /// The request body, read from `request_file` (relative to `root`) when given.
    pub fn request_body(&self, root: &Path) -> Result<Vec<u8>, ScenarioError> {
        match (&self.request, &self.request_file) {
            (Some(request), _) => Ok(request.to_string().into_bytes()),
            (None, Some(file)) => std::fs::read(root.join(file))
                .map_err(|e| ScenarioError::Format(format!("request_file {file}: {e}"))),
            (None, None) => Err(ScenarioError::Format("no request".into())),
        }
    }
}

/// Answers a request body as the service would on `today`, with uuids from `UUID_SEED`.
pub fn answer(engine: &Engine, body: &[u8], today: Date) -> Answer {
    match evaluate(engine, body, today) {
        Ok(evaluation) => {
            let response = CdsResponse::from_evaluation(
                &evaluation,
                &mut UuidSource::seeded(UUID_SEED),
                RULEBOOK_BASE,
            );
            Answer {
                status: 200,
                body: serde_json::to_value(&response).unwrap_or(Value::Null),
                cards: evaluation.cards,
                facts: Some(evaluation.mapped.facts),
            }
        }
        Err(error) => Answer {
            status: error.status().as_u16(),
            body: serde_json::to_value(error.operation_outcome()).unwrap_or(Value::Null),
            cards: Vec::new(),
            facts: None,
        },
    }
}

fn evaluate(engine: &Engine, body: &[u8], today: Date) -> Result<Evaluation, ApiError> {
    let call = parse_hook_call(body, &SERVED_HOOKS)?;
    Ok(engine.evaluate(&call.call, today, &PrefetchReport::default())?)
}

/// The timing of a suggested dosage, in the words scenario files use: `4 doses, every 1 wk`.
pub fn timing_text(dosage: &Value) -> String {
    let repeat = &dosage["timing"]["repeat"];
    let count = repeat["count"].as_u64().map_or_else(
        || "no count".to_owned(),
        |n| format!("{n} dose{}", if n == 1 { "" } else { "s" }),
    );
    let per = match repeat["frequency"].as_u64() {
        Some(1) | None => String::new(),
        Some(n) => format!("{n} times "),
    };
    let period = repeat["period"]
        .as_f64()
        .map_or_else(String::new, |p| format!("{p}"));
    let unit = repeat["periodUnit"].as_str().unwrap_or("?");
    format!("{count}, {per}every {period} {unit}")
}

/// The suggested MedicationRequests of a response card, recommended suggestion first.
pub fn suggested_medication_requests(card: &Value) -> Vec<&Value> {
    let suggestions: Vec<&Value> = card["suggestions"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let (recommended, others): (Vec<&Value>, Vec<&Value>) = suggestions
        .into_iter()
        .partition(|s| s["isRecommended"] == true);
    recommended
        .into_iter()
        .chain(others)
        .flat_map(|s| s["actions"].as_array().into_iter().flatten())
        .map(|action| &action["resource"])
        .filter(|resource| resource["resourceType"] == "MedicationRequest")
        .collect()
}

/// A MedicationRequest's drug, in lower case: its medication text, else its first display; for a
/// contained Medication (an updated draft keeps the one the EHR sent), its code's, else its
/// first ingredient's.
pub fn drug_of(request: &Value) -> String {
    let label = |concept: &Value| {
        concept["text"]
            .as_str()
            .or_else(|| concept["coding"][0]["display"].as_str())
            .map(str::to_lowercase)
    };
    if let Some(drug) = label(&request["medicationCodeableConcept"]) {
        return drug;
    }
    let local = request["medicationReference"]["reference"]
        .as_str()
        .and_then(|reference| reference.strip_prefix('#'));
    let medication = request["contained"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|resource| local.is_some() && resource["id"].as_str() == local);
    medication
        .and_then(|medication| {
            label(&medication["code"])
                .or_else(|| label(&medication["ingredient"][0]["itemCodeableConcept"]))
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// A response card's topic code.
pub fn topic_of(card: &Value) -> &str {
    card["source"]["topic"]["code"].as_str().unwrap_or("?")
}

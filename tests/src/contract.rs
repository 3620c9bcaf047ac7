//! The card contract, checked on every answer of every scenario: the CDS Hooks response rules,
//! the project's card rules (one primary card, working beside every mg amount, drafts kept by
//! id) and the coherence of the cards with each other.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::expectations::actions;
use crate::scenario::{topic_of, Answer, RULEBOOK_BASE};

/// Every way the answer to `request` breaks the card contract.
pub fn check(answer: &Answer, request: &Value) -> Vec<String> {
    if answer.status != 200 {
        return Vec::new();
    }
    let cards: Vec<&Value> = answer.body["cards"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let mut problems = Vec::new();
    let speaks_about_relapse = !cards.is_empty()
        && cards
            .iter()
            .all(|card| topic_of(card) != "diagnosis-unconfirmed");
    let primaries = answer.cards.iter().filter(|card| card.is_primary).count();
    if speaks_about_relapse && primaries != 1 {
        problems.push(format!("{primaries} primary cards instead of one"));
    }
    let draft_ids: HashSet<&str> = request["context"]["draftOrders"]["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["resource"]["id"].as_str())
        .collect();
    let patient = format!(
        "Patient/{}",
        request["context"]["patientId"].as_str().unwrap_or_default()
    );
    let request_references = resources_of(request);
    problems.extend(check_coherence(&cards));
    let mut uuids = HashSet::new();
    for card in &cards {
        let topic = topic_of(card);
        let mut problem = |text: String| problems.push(format!("{topic}: {text}"));
        let summary = card["summary"].as_str().unwrap_or_default();
        if summary.is_empty() || summary.chars().count() >= 140 {
            problem(format!("summary of {} characters", summary.chars().count()));
        }
        if card["source"]["label"]
            .as_str()
            .is_none_or(|l| l.trim().is_empty())
        {
            problem("empty source label".to_owned());
        }
        if !card["uuid"].as_str().is_some_and(|u| uuids.insert(u)) {
            problem("missing or duplicate card uuid".to_owned());
        }
        if card["indicator"] == "warning" && !has_complete_override_reasons(card) {
            problem("warning card without complete override reasons".to_owned());
        }
        let suggestions = card["suggestions"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        if suggestions.is_empty() != card["selectionBehavior"].is_null() {
            problem(
                "selectionBehavior must be present exactly when there are suggestions".to_owned(),
            );
        }
        if suggestions
            .iter()
            .filter(|s| s["isRecommended"] == true)
            .count()
            > 1
        {
            problem("more than one recommended suggestion".to_owned());
        }
        let detail = card["detail"].as_str().unwrap_or_default();
        let budget = if card_is_primary(answer, card) {
            PRIMARY_DETAIL_BUDGET
        } else {
            DETAIL_BUDGET
        };
        if detail.chars().count() > budget {
            problem(format!(
                "detail of {} characters, over the budget of {budget}",
                detail.chars().count()
            ));
        }
        for text in visible_texts(card) {
            if let Some(reference) = fhir_reference_in(text) {
                problem(format!("visible text names the FHIR reference {reference}"));
            }
        }
        let references = card["extension"][REFERENCES_EXTENSION]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        if references.is_empty() {
            problem(format!("no references in extension.{REFERENCES_EXTENSION}"));
        }
        for reference in references {
            if !reference
                .as_str()
                .is_some_and(|r| request_references.contains(r))
            {
                problem(format!(
                    "reference {reference} names no resource of the request"
                ));
            }
        }
        // A card may name another card by its summary (quoted): that amount is the other card's.
        let own = without_other_summaries(card, &cards);
        if shows_mg_amount(&own) && !detail.contains("**Working**") {
            problem("shows an mg amount without its working".to_owned());
        }
        let rulebook = format!("{RULEBOOK_BASE}/guideline/{topic}");
        if !card["links"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|link| link["url"] == rulebook.as_str())
        {
            problem(format!("no link to its rulebook page {rulebook}"));
        }
        for link in card["links"].as_array().into_iter().flatten() {
            if !link["url"]
                .as_str()
                .is_some_and(|url| url.starts_with("https://") || url.starts_with("http://"))
            {
                problem(format!("link {} is not absolute", link["url"]));
            }
        }
        for suggestion in suggestions {
            if !suggestion["uuid"].as_str().is_some_and(|u| uuids.insert(u)) {
                problem("missing or duplicate suggestion uuid".to_owned());
            }
        }
        for action in actions(card) {
            if action["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
            {
                problem("action without description".to_owned());
            }
            for text in check_action(action, &draft_ids, &patient) {
                problem(text);
            }
        }
    }
    problems
}

/// The card with the quoted summaries of the other cards taken out of its detail.
fn without_other_summaries(card: &Value, cards: &[&Value]) -> Value {
    let mut own = card.clone();
    let mut detail = card["detail"].as_str().unwrap_or_default().to_owned();
    for other in cards.iter().filter(|other| other["uuid"] != card["uuid"]) {
        if let Some(summary) = other["summary"].as_str() {
            detail = detail.replace(&format!("\"{summary}\""), "\"(another card)\"");
        }
    }
    own["detail"] = Value::String(detail);
    own
}

/// The card's `extension` key listing the FHIR references behind it.
pub const REFERENCES_EXTENSION: &str = "dev.oms-cds.references";

/// At most this many characters of markdown in the primary card's detail, its working included.
pub const PRIMARY_DETAIL_BUDGET: usize = 1500;

/// At most this many characters in every other card's detail.
pub const DETAIL_BUDGET: usize = 600;

/// The FHIR resource types whose `Type/id` references must never reach visible text.
const RESOURCE_TYPES: [&str; 17] = [
    "AllergyIntolerance",
    "Bundle",
    "Condition",
    "DiagnosticReport",
    "Encounter",
    "Flag",
    "Goal",
    "Medication",
    "MedicationAdministration",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Patient",
    "Practitioner",
    "Procedure",
    "ServiceRequest",
    "Organization",
];

/// The first `Type/id` reference in `text`, if any.
pub fn fhir_reference_in(text: &str) -> Option<String> {
    for resource_type in RESOURCE_TYPES {
        let pattern = format!("{resource_type}/");
        for (at, _) in text.match_indices(&pattern) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let id: String = text[at + pattern.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
                .collect();
            if !id.is_empty() {
                return Some(format!("{resource_type}/{id}"));
            }
        }
    }
    None
}

/// What a clinician sees of a card: summary, detail, suggestion labels, action descriptions.
fn visible_texts(card: &Value) -> Vec<&str> {
    let mut texts = vec![
        card["summary"].as_str().unwrap_or_default(),
        card["detail"].as_str().unwrap_or_default(),
    ];
    for suggestion in card["suggestions"].as_array().into_iter().flatten() {
        texts.push(suggestion["label"].as_str().unwrap_or_default());
    }
    texts.extend(actions(card).map(|action| action["description"].as_str().unwrap_or_default()));
    texts
}

/// Whether the wire card is the answer's primary card.
fn card_is_primary(answer: &Answer, card: &Value) -> bool {
    let topic = topic_of(card);
    answer
        .cards
        .iter()
        .any(|domain| domain.is_primary && domain.topic.code() == topic)
}

/// Every `Type/id` of the request's resources: the prefetch (values and Bundle entries), the
/// draft orders, and the Patient in context.
fn resources_of(request: &Value) -> HashSet<String> {
    let mut found = HashSet::new();
    let mut add = |resource: &Value| {
        if let (Some(kind), Some(id)) = (resource["resourceType"].as_str(), resource["id"].as_str())
        {
            found.insert(format!("{kind}/{id}"));
        }
    };
    let mut containers: Vec<&Value> = request["prefetch"]
        .as_object()
        .map(|prefetch| prefetch.values().collect())
        .unwrap_or_default();
    containers.push(&request["context"]["draftOrders"]);
    for container in containers {
        add(container);
        for entry in container["entry"].as_array().into_iter().flatten() {
            add(&entry["resource"]);
        }
    }
    if let Some(patient) = request["context"]["patientId"].as_str() {
        found.insert(format!("Patient/{patient}"));
    }
    found
}

fn has_complete_override_reasons(card: &Value) -> bool {
    let reasons = card["overrideReasons"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    !reasons.is_empty()
        && reasons.iter().all(|reason| {
            ["system", "code", "display"]
                .iter()
                .all(|field| reason[field].as_str().is_some_and(|v| !v.is_empty()))
        })
}

/// The caps per administration day (section 5), by RxNorm ingredient code.
const CAPS_PER_DAY: [(&str, f64); 4] = [
    ("121191", 1000.0),
    ("3002", 1200.0),
    ("3264", 40.0),
    ("6902", 1000.0),
];

/// A suggested MedicationRequest whose amount per administration day, read back from the FHIR
/// `doseQuantity` and `timing.repeat` actually sent, is above its drug's cap.
fn over_cap(resource: &Value) -> Option<String> {
    if resource["resourceType"] != "MedicationRequest" {
        return None;
    }
    let codes: Vec<&str> = resource["medicationCodeableConcept"]["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|coding| coding["code"].as_str())
        .collect();
    let (code, cap) = CAPS_PER_DAY
        .into_iter()
        .find(|(code, _)| codes.contains(code))?;
    let dosage = &resource["dosageInstruction"][0];
    let dose = dosage["doseAndRate"][0]["doseQuantity"]["value"].as_f64()?;
    let repeat = &dosage["timing"]["repeat"];
    let period = repeat["period"].as_f64().unwrap_or(1.0);
    let per_day = if repeat["periodUnit"] == "d" && period > 0.0 && period <= 1.0 {
        dose * repeat["frequency"].as_f64().unwrap_or(1.0) / period
    } else {
        dose
    };
    (per_day > cap + 1e-9)
        .then(|| format!("suggests {per_day} mg/day of {code}, above the cap {cap}"))
}

fn check_action(action: &Value, draft_ids: &HashSet<&str>, patient: &str) -> Vec<String> {
    if let Some(problem) = over_cap(&action["resource"]) {
        return vec![problem];
    }
    let kind = action["type"].as_str().unwrap_or("?");
    if kind == "delete" {
        let names_a_draft = action["resourceId"]
            .as_str()
            .and_then(|id| id.split_once('/'))
            .is_some_and(|(_, id)| draft_ids.contains(id));
        return if names_a_draft && action["resource"].is_null() {
            Vec::new()
        } else {
            vec![format!(
                "delete must name a draft by resourceId, got {}",
                action["resourceId"]
            )]
        };
    }
    let resource = &action["resource"];
    if resource.is_null() {
        return vec![format!("{kind} without a resource")];
    }
    let mut problems = check_resource(resource, patient, kind == "update");
    if kind == "update"
        && !resource["id"]
            .as_str()
            .is_some_and(|id| draft_ids.contains(id))
    {
        problems.push("update does not keep a draft's id".to_owned());
    }
    problems
}

/// `keeps_draft_medication`: an update keeps the draft's medication as the EHR sent it (a
/// `medicationReference` to a contained Medication is fine); a created order codes it in RxNorm.
fn check_resource(resource: &Value, patient: &str, keeps_draft_medication: bool) -> Vec<String> {
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
        let kept_reference =
            keeps_draft_medication && resource["medicationReference"]["reference"].is_string();
        if !rxnorm && !kept_reference {
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

/// The cards of one answer checked against each other: no card changes a draft that another
/// card removes, the same order is never created by two cards, and when doses are withheld no
/// card shows an mg amount.
fn check_coherence(cards: &[&Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let all: Vec<(&str, &Value)> = cards
        .iter()
        .flat_map(|card| actions(card).map(move |action| (topic_of(card), action)))
        .collect();
    for (deleter, action) in all.iter().filter(|(_, a)| a["type"] == "delete") {
        let Some(removed) = action["resourceId"].as_str() else {
            continue;
        };
        for (updater, other) in all.iter().filter(|(_, a)| a["type"] == "update") {
            let target = other["resource"]["id"]
                .as_str()
                .map(|id| format!("MedicationRequest/{id}"));
            if updater != deleter && target.as_deref() == Some(removed) {
                problems.push(format!(
                    "{updater} updates {removed}, which {deleter} deletes"
                ));
            }
        }
    }
    let mut created: HashMap<String, &str> = HashMap::new();
    for card in cards {
        let mine: BTreeSet<String> = actions(card)
            .filter(|action| action["type"] == "create")
            .map(|action| created_order(&action["resource"]))
            .collect();
        for what in mine {
            if let Some(other) = created.insert(what.clone(), topic_of(card)) {
                problems.push(format!(
                    "{what} is created by both {other} and {}",
                    topic_of(card)
                ));
            }
        }
    }
    let withheld = cards
        .iter()
        .any(|card| topic_of(card) == "missing-body-measurements");
    for card in cards
        .iter()
        .filter(|card| withheld && shows_mg_amount(card))
    {
        problems.push(format!(
            "{}: shows an mg amount next to missing-body-measurements",
            topic_of(card)
        ));
    }
    problems
}

/// What a created resource orders, to find the same order created twice.
fn created_order(resource: &Value) -> String {
    match resource["resourceType"].as_str() {
        Some("MedicationRequest") => format!(
            "MedicationRequest {}",
            resource["medicationCodeableConcept"]["coding"][0]["code"]
        ),
        _ => format!(
            "ServiceRequest {} {}",
            resource["code"]["coding"][0]["code"], resource["code"]["text"]
        ),
    }
}

/// An mg amount anywhere on a response card: summary, detail, action descriptions or a
/// suggested dose.
pub fn shows_mg_amount(card: &Value) -> bool {
    let text = |field: &Value| mentions_mg_amount(field.as_str().unwrap_or_default());
    text(&card["summary"])
        || text(&card["detail"])
        || actions(card).any(|action| {
            text(&action["description"])
                || action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
                    ["code"]
                    == "mg"
        })
}

pub use cards::amounts::mentions_mg_amount;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mg_detector_tells_amounts_from_rates() {
        assert!(mentions_mg_amount("give 230 mg IV"));
        assert!(mentions_mg_amount("8.5 mg"));
        assert!(!mentions_mg_amount("375 mg/m2 IV"));
        assert!(!mentions_mg_amount("30 mg/kg/day"));
        assert!(!mentions_mg_amount("no dose in mg is shown"));
    }
}

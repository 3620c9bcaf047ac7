//! Every JSON and fhirbolt (de)serialisation of the crate, behind a few non-generic functions.
//!
//! Why here and like this:
//! - fhirbolt's typed (de)serialisers are huge generic code; calling them from one place, for the
//!   one `Resource` type, compiles them once.
//! - fhirbolt 0.4 R4 mis-parses a JSON Bundle (or a resource with `contained` resources) when
//!   asked for a *concrete* resource type: after the first nested resource it fails with
//!   "invalid type: string ..., expected Uri". So a Bundle's envelope is read with serde_json
//!   (`envelope`: entries as spans of the text) and every resource goes through the `Resource`
//!   enum in a fresh call.
//!   The `Resource` enum handles `contained` resources correctly (tested below), so they need no
//!   separate treatment.
//!
//! Mode: fhirbolt's *strict* mode, for safety rather than taste. Measured on fhirbolt 0.4.0:
//! in compatibility and lax mode, an unknown element whose value is an array
//! (`{"resourceType":"Condition","status":[]}`) makes the parser loop forever, a denial of
//! service by one request; strict mode rejects it at once. Lax mode would also pad missing
//! required elements with invented defaults. The price: a resource with a vendor element is
//! rejected whole, and becomes a data issue naming it and the element.
//!
//! fhirbolt also *panics* on some wrongly shaped input (an array where an object or a primitive
//! belongs, e.g. `"code": []`), in every mode; `resource` catches that panic and reports it as an
//! unparseable resource, so one bad resource never takes the request (or the service) down.

use std::cell::Cell;

use fhirbolt::model::r4::Resource;
use fhirbolt::serde::{DeserializationConfig, DeserializationMode};
use serde::Deserialize;

/// The part of an OperationOutcome a data issue quotes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeSummary {
    /// `issue[].diagnostics` or `issue[].details.text`, joined.
    pub text: String,
    /// Whether any issue has severity `error` or `fatal` (not just information or a warning).
    pub has_error: bool,
}

/// Summarises an OperationOutcome's issues for a data issue message.
pub fn operation_outcome_summary(json: &str) -> OutcomeSummary {
    #[derive(Deserialize)]
    struct Outcome {
        #[serde(default)]
        issue: Vec<Issue>,
    }
    #[derive(Deserialize)]
    struct Issue {
        severity: Option<String>,
        diagnostics: Option<String>,
        details: Option<Details>,
    }
    #[derive(Deserialize)]
    struct Details {
        text: Option<String>,
    }
    let issues = serde_json::from_str::<Outcome>(json)
        .map(|outcome| outcome.issue)
        .unwrap_or_default();
    let has_error = issues
        .iter()
        .any(|issue| matches!(issue.severity.as_deref(), Some("error" | "fatal")));
    let text = issues
        .into_iter()
        .filter_map(|issue| {
            issue
                .diagnostics
                .or_else(|| issue.details.and_then(|details| details.text))
        })
        .collect::<Vec<_>>()
        .join("; ");
    OutcomeSummary { text, has_error }
}

/// Parses one resource (never a Bundle's entries in the same call) as FHIR R4, in strict mode
/// (see the module docs for why).
///
/// fhirbolt 0.4 panics on some malformed input (an array where an object or a primitive
/// belongs); the panic is contained here and the resource becomes a parse failure like any
/// other, so one bad resource never takes the request down.
pub fn resource(text: &str) -> Result<Resource, String> {
    let config = DeserializationConfig {
        mode: DeserializationMode::Strict,
    };
    let _contained = ContainedPanics::begin();
    std::panic::catch_unwind(|| fhirbolt::json::from_str::<Resource>(text, Some(config)))
        .map_err(|_| "the FHIR parser failed on this resource (malformed structure)".to_owned())?
        .map_err(|error| error.to_string())
}

thread_local! {
    /// Whether this thread is inside [`resource`]'s `catch_unwind`.
    static CONTAINING_PARSER_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic raised on this thread now is a FHIR parser panic that this crate contains
/// (the resource becomes a data issue). For a process's panic hook, which runs before the
/// unwinding reaches `catch_unwind`: such a panic is expected, not a bug to alert on, and its
/// message may quote the resource.
pub fn parser_panic_is_contained() -> bool {
    CONTAINING_PARSER_PANICS.with(Cell::get)
}

/// Marks the thread as containing parser panics until dropped (then restores what was before).
struct ContainedPanics {
    before: bool,
}

impl ContainedPanics {
    fn begin() -> ContainedPanics {
        ContainedPanics {
            before: CONTAINING_PARSER_PANICS.with(|flag| flag.replace(true)),
        }
    }
}

impl Drop for ContainedPanics {
    fn drop(&mut self) {
        CONTAINING_PARSER_PANICS.with(|flag| flag.set(self.before));
    }
}

/// Serialises a resource as FHIR R4 JSON; the one place fhirbolt serialises.
///
/// A resource built from the model always serialises; should fhirbolt still fail (an invalid
/// decimal string), the result is JSON `null`, which a FHIR consumer rejects visibly rather than
/// receiving a half-written resource.
pub fn resource_to_json(resource: Resource) -> serde_json::Value {
    fhirbolt::json::to_json_value(resource, None).unwrap_or(serde_json::Value::Null)
}

/// Parses a CodeableConcept by wrapping it in a `Basic` resource (test data helper).
#[cfg(test)]
pub fn codeable_concept(json: &str) -> Result<fhirbolt::model::r4::types::CodeableConcept, String> {
    let wrapped = format!(r#"{{"resourceType":"Basic","code":{json}}}"#);
    match resource(&wrapped)? {
        Resource::Basic(basic) => Ok(*basic.code),
        _ => Err("not a Basic".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_searchset_bundle_with_several_full_urls_yields_every_entry_parsed() {
        let bundle = r#"{
          "resourceType": "Bundle", "type": "searchset", "total": 3,
          "link": [{"relation": "next", "url": "https://ehr.example/fhir/Observation?page=2"}],
          "entry": [
            {"fullUrl": "https://ehr.example/fhir/Observation/w1",
             "resource": {"resourceType": "Observation", "id": "w1", "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
               "valueQuantity": {"value": 16.0, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}},
             "search": {"mode": "match"}},
            {"fullUrl": "https://ehr.example/fhir/Observation/h1",
             "resource": {"resourceType": "Observation", "id": "h1", "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]},
               "valueQuantity": {"value": 102, "unit": "cm", "system": "http://unitsofmeasure.org", "code": "cm"}}},
            {"fullUrl": "urn:uuid:6b38d25d-19bd-496a-a509-0ec6215e5bd8",
             "resource": {"resourceType": "Patient", "id": "p1", "birthDate": "2019-03"}}
          ]}"#;
        let head = crate::envelope::read_head(bundle);
        let entries: Vec<_> = head.entry_texts(bundle).collect();
        let full_urls: Vec<_> = entries
            .iter()
            .map(|(entry, _)| entry.full_url.clone().unwrap())
            .collect();
        assert_eq!(
            full_urls[2],
            "urn:uuid:6b38d25d-19bd-496a-a509-0ec6215e5bd8"
        );
        let ids: Vec<String> = entries
            .iter()
            .map(|(_, text)| {
                let parsed = resource(text).unwrap();
                parsed.id().and_then(|id| id.value.clone()).unwrap()
            })
            .collect();
        assert_eq!(ids, ["w1", "h1", "p1"]);
        assert!(matches!(
            resource(entries[2].1).unwrap(),
            Resource::Patient(_)
        ));
    }

    #[test]
    fn a_medication_request_with_a_contained_medication_parses_through_the_resource_enum() {
        let request = r##"{
          "resourceType": "MedicationRequest", "id": "mr1",
          "contained": [
            {"resourceType": "Medication", "id": "med1",
             "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "121191"}]}},
            {"resourceType": "Medication", "id": "med2", "code": {"text": "sodium chloride 0.9%"}}
          ],
          "status": "active", "intent": "order",
          "medicationReference": {"reference": "#med1"},
          "subject": {"reference": "Patient/p1"},
          "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": 375, "system": "http://unitsofmeasure.org", "code": "mg/m2"}}]}]
        }"##;
        let Resource::MedicationRequest(parsed) = resource(request).unwrap() else {
            panic!("not a MedicationRequest");
        };
        let contained_ids: Vec<_> = parsed
            .contained
            .iter()
            .map(|c| c.id().and_then(|id| id.value.clone()).unwrap())
            .collect();
        assert_eq!(contained_ids, ["med1", "med2"]);
        // The fields after `contained` are intact: the defect of concrete types does not occur.
        assert_eq!(parsed.status.value.as_deref(), Some("active"));
        assert_eq!(parsed.dosage_instruction.len(), 1);
    }

    #[test]
    fn the_sandbox_draft_without_intent_or_medication_is_a_parse_error_with_a_reason() {
        let draft = r#"{"resourceType": "MedicationRequest", "id": "sandbox-1", "status": "draft",
          "category": {"coding": [{"code": "outpatient"}]}, "subject": {"reference": "Patient/p1"}}"#;
        let error = resource(draft).unwrap_err();
        assert!(
            error.contains("intent") || error.contains("category"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_element_is_named_in_the_error() {
        let patient = r#"{"resourceType": "Patient", "id": "p1", "vendorFlag": true}"#;
        let error = resource(patient).unwrap_err();
        assert!(error.contains("vendorFlag"), "{error}");
    }

    #[test]
    fn an_unknown_array_element_is_rejected_promptly_instead_of_hanging_the_parser() {
        let condition = r#"{"resourceType": "Condition", "status": []}"#;
        assert!(resource(condition).unwrap_err().contains("status"));
    }

    #[test]
    fn a_wrongly_shaped_element_that_makes_fhirbolt_panic_is_an_error() {
        let observation = r#"{"resourceType": "Observation", "status": "final", "code": []}"#;
        assert!(resource(observation).is_err());
    }

    #[test]
    fn a_panic_hook_sees_the_parser_panic_as_contained_and_nothing_else() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        // Counts the contained panics of this thread; every other panic goes to the hook that
        // was there, so other tests running meanwhile report as usual.
        let contained = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&contained);
        let test_thread = std::thread::current().id();
        let previous = Arc::new(std::panic::take_hook());
        let delegate = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == test_thread && parser_panic_is_contained() {
                counted.fetch_add(1, Ordering::SeqCst);
            } else {
                delegate(info);
            }
        }));
        let observation = r#"{"resourceType": "Observation", "status": "final", "code": []}"#;
        let parsed = resource(observation);
        let after = parser_panic_is_contained();
        let _ = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| previous(info)));

        assert!(parsed.is_err());
        assert_eq!(contained.load(Ordering::SeqCst), 1);
        assert!(!after, "the flag ends with the parse");
    }

    #[test]
    fn outcomes_are_summarised() {
        let outcome = r#"{"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "timeout", "diagnostics": "search timed out"},
            {"severity": "error", "code": "forbidden", "details": {"text": "no access to labs"}}]}"#;
        let summary = operation_outcome_summary(outcome);
        assert_eq!(summary.text, "search timed out; no access to labs");
        assert!(summary.has_error);
    }

    #[test]
    fn a_parsed_resource_serialises_back_to_fhir_json() {
        let patient = r#"{"resourceType": "Patient", "id": "p1", "birthDate": "2019"}"#;
        let json = resource_to_json(resource(patient).unwrap());
        assert_eq!(json["resourceType"], "Patient");
        assert_eq!(json["birthDate"], "2019");
    }
}

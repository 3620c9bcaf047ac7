//! Mapping tests from realistic FHIR JSON: the shared example requests, facts per rule of
//! section 2, and a never-panics property over arbitrary JSON.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use fhir_mapping::*;
use fhir_mapping::{Mapper, Terminology};
use serde_json::{json, Value};
use time::macros::date;
use time::Date;

const TODAY: Date = date!(2026 - 11 - 25);

fn dec(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

/// A request read by the one request parser, `HookCall::parse`.
struct Request(HookCall);

impl Request {
    /// From a whole CDS Hooks request body.
    fn from_hook_json(body: &Value) -> Request {
        Request(HookCall::parse(body.to_string().as_bytes()).unwrap())
    }

    /// An order-sign request for `pat-1` with these draft orders and prefetch resources (all in
    /// one searchset Bundle; the index reads resources whatever key they arrive under).
    fn sign(drafts: Vec<Value>, resources: Vec<Value>) -> Request {
        Request::sign_for("pat-1", drafts, resources)
    }

    /// The same for another patient in context.
    fn sign_for(patient_id: &str, drafts: Vec<Value>, resources: Vec<Value>) -> Request {
        Request::from_hook_json(&json!({
            "hook": "order-sign",
            "hookInstance": "1f0c2b5e-8a53-4f0e-9a1e-2c1c4a1d9b10",
            "context": {
                "userId": "Practitioner/prac-1",
                "patientId": patient_id,
                "draftOrders": bundle("collection", drafts),
            },
            "prefetch": { "observations": bundle("searchset", resources) },
        }))
    }

    fn map(&self) -> Facts {
        self.map_with(MappingConfig::default())
    }

    fn map_with(&self, config: MappingConfig) -> Facts {
        let mapper = Mapper::new(config, Terminology::embedded());
        mapper.map(&self.0, TODAY).unwrap().facts
    }
}

fn bundle(kind: &str, resources: Vec<Value>) -> Value {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|resource| {
            let url = format!(
                "https://ehr.example/fhir/{}/{}",
                resource["resourceType"].as_str().unwrap_or("Unknown"),
                resource["id"].as_str().unwrap_or("none")
            );
            json!({ "fullUrl": url, "resource": resource })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": kind, "entry": entry })
}

/// One of the repository's example requests (`examples/`), mapped.
fn example(name: &str) -> Facts {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/").to_owned() + name + ".json";
    let body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Request::from_hook_json(&body).map()
}

fn rxnorm(code: &str, name: &str) -> Value {
    json!({ "coding": [{ "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code, "display": name }], "text": name })
}

fn observation(id: &str, loinc: &str, date: &str, value: f64, unit: &str) -> Value {
    json!({
        "resourceType": "Observation", "id": id, "status": "final",
        "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
        "subject": { "reference": "Patient/pat-1" },
        "effectiveDateTime": date,
        "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit }
    })
}

fn oms_condition(id: &str, code: Value, status: &str) -> Value {
    json!({
        "resourceType": "Condition", "id": id,
        "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status }] },
        "code": code,
        "subject": { "reference": "Patient/pat-1" }
    })
}

fn dates(history: &DoseHistory) -> Vec<Date> {
    history.events().iter().map(|event| event.date).collect()
}

fn issue_kinds(facts: &Facts) -> Vec<DataIssueKind> {
    facts.issues.iter().map(|issue| issue.kind).collect()
}

mod examples {
    use super::*;

    #[test]
    fn rituximab_after_full_course_maps_four_doses_and_bsa_0_67() {
        let facts = example("order-select-rituximab-after-full-course");
        assert!(facts.issues.is_empty(), "{:?}", facts.issues);
        assert_eq!(
            facts.body.bsa.value(),
            Some(SquareMetres::parse("0.67").unwrap())
        );
        assert_eq!(facts.rituximab.events().len(), 4);
        assert_eq!(
            facts.rituximab.events()[0].amount,
            Some(DoseAmount::Milligrams(dec("240")))
        );
        assert_eq!(
            facts.patient.age,
            Some(Age {
                years: 4,
                months: 1
            })
        );
        assert!(facts.hepatitis_b.is_complete());
        let OmsDiagnosis::Confirmed(oms) = &facts.oms else {
            panic!("{:?}", facts.oms)
        };
        assert!(oms.is_relapsed());
        assert_eq!(oms.relapse_date, Some(date!(2026 - 11 - 22)));
        assert_eq!(facts.orders.len(), 1);
        assert_eq!(facts.orders[0].medication, MedicationClass::Rituximab);
        assert_eq!(facts.orders[0].route, Some(Route::Intravenous));
        assert_eq!(
            facts.orders[0].dose,
            Some(DoseAmount::Milligrams(dec("250")))
        );
        assert_eq!(
            facts.orders[0].reference.as_str(),
            "MedicationRequest/draft-10"
        );
    }

    #[test]
    fn rituximab_naive_with_neuroblastoma_has_present_unresected_tumour_and_no_hbv_screen() {
        let facts = example("order-select-rituximab-naive-with-neuroblastoma");
        assert!(facts.issues.is_empty(), "{:?}", facts.issues);
        assert_eq!(
            facts.body.bsa.value(),
            Some(SquareMetres::parse("0.55").unwrap())
        );
        assert!(facts.rituximab.is_empty());
        assert!(facts.neuroblastoma.present);
        assert!(!facts.neuroblastoma.resected);
        assert!(facts.neuroblastoma.workup_on_record);
        assert!(!facts.hepatitis_b.is_complete());
        assert_eq!(
            facts.orders[0]
                .dose
                .map(|d| matches!(d, DoseAmount::MilligramsPerSquareMetre(_))),
            Some(true)
        );
    }

    #[test]
    fn an_unrelated_order_is_not_in_play() {
        let facts = example("order-select-unrelated-order");
        assert!(facts.issues.is_empty(), "{:?}", facts.issues);
        assert!(facts.orders.is_empty());
        assert!(matches!(facts.oms, OmsDiagnosis::Confirmed(_)));
    }

    #[test]
    fn cyclophosphamide_example_has_bsa_0_82_and_a_resected_tumour() {
        let facts = example("order-sign-cyclophosphamide-refractory-child");
        assert!(facts.issues.is_empty(), "{:?}", facts.issues);
        let BodySurfaceArea::Computed { value, formula, .. } = facts.body.bsa else {
            panic!("{:?}", facts.body.bsa)
        };
        assert_eq!(
            (value, formula),
            (SquareMetres::parse("0.82").unwrap(), BsaFormula::Mosteller)
        );
        assert!(!facts.neuroblastoma.present);
        assert!(
            facts.neuroblastoma.resected,
            "via Procedure.reasonReference"
        );
        assert!(facts
            .neuroblastoma
            .references
            .contains(&FhirRef::from_relative("Procedure/proc-7")));
        assert_eq!(
            facts.orders[0].medication,
            MedicationClass::Cyclophosphamide
        );
        assert_eq!(dates(&facts.rituximab).last(), Some(&date!(2026 - 09 - 07)));
    }
}

mod facts_from_fhir {
    use super::*;

    fn relapsed_oms() -> Value {
        oms_condition(
            "oms",
            json!({ "coding": [{ "system": "http://snomed.info/sct", "code": "230350000" }] }),
            "relapse",
        )
    }

    #[test]
    fn a_medication_statement_with_an_effective_period_and_count_four_is_four_weekly_doses() {
        let statement = json!({
            "resourceType": "MedicationStatement", "id": "ms-1", "status": "completed",
            "medicationCodeableConcept": rxnorm("121191", "rituximab"),
            "subject": { "reference": "Patient/pat-1" },
            "effectivePeriod": { "start": "2025-03-03", "end": "2025-03-24" },
            "dosage": [{ "timing": { "repeat": { "count": 4, "period": 1, "periodUnit": "wk" } },
                "doseAndRate": [{ "doseQuantity": { "value": 375, "unit": "mg/m2", "system": "http://unitsofmeasure.org", "code": "mg/m2" } }] }]
        });
        let facts = Request::sign(vec![], vec![statement, relapsed_oms()]).map();
        assert_eq!(
            dates(&facts.rituximab),
            [
                date!(2025 - 03 - 03),
                date!(2025 - 03 - 10),
                date!(2025 - 03 - 17),
                date!(2025 - 03 - 24)
            ]
        );
        assert_eq!(
            facts.rituximab.events()[0].amount,
            Some(DoseAmount::MilligramsPerSquareMetre(dec("375")))
        );
    }

    #[test]
    fn administrations_statements_and_requests_on_the_same_day_count_once_and_drafts_never() {
        let administration = json!({
            "resourceType": "MedicationAdministration", "id": "ma-1", "status": "completed",
            "medicationCodeableConcept": rxnorm("3002", "cyclophosphamide"),
            "subject": { "reference": "Patient/pat-1" }, "effectiveDateTime": "2026-05-04T10:00:00Z",
            "dosage": { "dose": { "value": 0.6, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g" } }
        });
        let not_given = json!({
            "resourceType": "MedicationAdministration", "id": "ma-2", "status": "not-done",
            "medicationCodeableConcept": rxnorm("3002", "cyclophosphamide"),
            "subject": { "reference": "Patient/pat-1" }, "effectiveDateTime": "2026-06-01"
        });
        let history_request = json!({
            "resourceType": "MedicationRequest", "id": "mr-old", "status": "completed", "intent": "order",
            "medicationCodeableConcept": rxnorm("3002", "cyclophosphamide"),
            "subject": { "reference": "Patient/pat-1" }, "authoredOn": "2026-04-01",
            "dosageInstruction": [{ "timing": { "repeat": {
                "boundsPeriod": { "start": "2026-04-06" }, "count": 2, "period": 4, "periodUnit": "wk" } } }]
        });
        let draft = json!({
            "resourceType": "MedicationRequest", "id": "draft-1", "status": "draft", "intent": "order",
            "medicationCodeableConcept": rxnorm("3002", "cyclophosphamide"),
            "subject": { "reference": "Patient/pat-1" }, "authoredOn": "2026-11-25"
        });
        let facts = Request::sign(
            vec![draft.clone()],
            vec![
                administration,
                not_given,
                history_request,
                draft,
                relapsed_oms(),
            ],
        )
        .map();
        // 2026-04-06 and 2026-05-04 from the request; the administration records 2026-05-04,
        // so that dose is known as given and the other stays ordered.
        assert_eq!(
            dates(&facts.cyclophosphamide),
            [date!(2026 - 04 - 06), date!(2026 - 05 - 04)]
        );
        let known: Vec<DoseKnownFrom> = facts
            .cyclophosphamide
            .events()
            .iter()
            .map(|dose| dose.known_from)
            .collect();
        assert_eq!(known, [DoseKnownFrom::Ordered, DoseKnownFrom::Given]);
        assert_eq!(facts.orders.len(), 1);
        assert_eq!(
            facts.orders[0].reference,
            FhirRef::new("MedicationRequest", "draft-1")
        );
    }

    #[test]
    fn a_contained_medication_and_a_bundled_medication_are_resolved_and_a_missing_one_is_an_issue()
    {
        let contained = json!({
            "resourceType": "MedicationRequest", "id": "draft-c", "status": "draft", "intent": "order",
            "contained": [{ "resourceType": "Medication", "id": "med", "code": rxnorm("121191", "rituximab") }],
            "medicationReference": { "reference": "#med" }, "subject": { "reference": "Patient/pat-1" }
        });
        let referenced = json!({
            "resourceType": "MedicationRequest", "id": "draft-r", "status": "draft", "intent": "order",
            "medicationReference": { "reference": "Medication/dex" }, "subject": { "reference": "Patient/pat-1" },
            "dosageInstruction": [{ "route": { "coding": [{ "system": "http://snomed.info/sct", "code": "26643006" }] } }]
        });
        let dangling = json!({
            "resourceType": "MedicationRequest", "id": "draft-x", "status": "draft", "intent": "order",
            "medicationReference": { "reference": "Medication/gone" }, "subject": { "reference": "Patient/pat-1" }
        });
        let dexamethasone = json!({ "resourceType": "Medication", "id": "dex", "code": rxnorm("3264", "dexamethasone") });
        let facts = Request::sign(
            vec![contained, referenced, dangling],
            vec![dexamethasone, relapsed_oms()],
        )
        .map();
        let classes: Vec<_> = facts.orders.iter().map(|o| o.medication).collect();
        assert_eq!(
            classes,
            [MedicationClass::Rituximab, MedicationClass::Dexamethasone]
        );
        assert_eq!(facts.orders[1].route, Some(Route::Oral));
        // No weight or height was sent, so those two issues follow the medication one.
        assert_eq!(
            issue_kinds(&facts),
            [
                DataIssueKind::UnresolvedMedication,
                DataIssueKind::MissingMeasurement,
                DataIssueKind::MissingMeasurement
            ]
        );
        assert_eq!(
            facts.issues[0].source,
            Some(FhirRef::new("MedicationRequest", "draft-x"))
        );
    }

    #[test]
    fn order_select_counts_only_the_selected_drafts() {
        let draft = |id: &str| {
            json!({
                "resourceType": "MedicationRequest", "id": id, "status": "draft", "intent": "order",
                "medicationCodeableConcept": rxnorm("121191", "rituximab"), "subject": { "reference": "Patient/pat-1" }
            })
        };
        let mut request = Request::sign(vec![draft("a"), draft("b")], vec![]);
        request.0.hook = Hook::OrderSelect;
        request.0.selections = vec!["MedicationRequest/b".into()];
        let facts = request.map();
        assert_eq!(facts.orders.len(), 1);
        assert_eq!(facts.orders[0].reference.as_str(), "MedicationRequest/b");
    }

    #[test]
    fn partial_birth_dates_give_the_age_certainly_reached() {
        let patient = |birth: &str| json!({ "resourceType": "Patient", "id": "pat-1", "birthDate": birth, "gender": "male" });
        let facts = Request::sign(vec![], vec![patient("2019")]).map();
        assert_eq!(
            facts.patient.age,
            Some(Age {
                years: 6,
                months: 10
            })
        );
        assert_eq!(facts.patient.sex, Some(Sex::Male));
        let facts = Request::sign(vec![], vec![patient("2019-03")]).map();
        assert_eq!(
            facts.patient.age,
            Some(Age {
                years: 7,
                months: 7
            })
        );
    }

    #[test]
    fn weight_in_pounds_and_height_in_inches_are_converted() {
        let weight = observation("w", "29463-7", "2026-11-20", 35.2, "[lb_av]");
        let height = observation("h", "8302-2", "2026-10-01", 40.0, "[in_i]");
        let facts = Request::sign(vec![], vec![weight, height]).map();
        let (weight, _) = facts.body.weight.usable().unwrap();
        assert_eq!(weight.value.value(), dec("15.966451424"), "35.2 lb exactly");
        let (height, _) = facts.body.height.usable().unwrap();
        assert_eq!(height.value.value(), dec("101.6"));
        assert_eq!(
            facts.body.bsa.value(),
            Some(SquareMetres::parse("0.67").unwrap())
        );
    }

    #[test]
    fn stale_and_implausible_measurements_are_not_used_and_are_issues() {
        let stale_weight = observation("w", "29463-7", "2026-09-01", 16.0, "kg");
        let implausible_height = observation("h", "8302-2", "2026-11-20", 12.0, "cm");
        let facts = Request::sign(vec![], vec![stale_weight, implausible_height]).map();
        assert!(matches!(
            facts.body.weight,
            Measurement::Stale {
                max_age_days: 30,
                ..
            }
        ));
        assert!(matches!(facts.body.height, Measurement::Implausible { .. }));
        assert_eq!(facts.body.bsa, BodySurfaceArea::Unavailable);
        assert_eq!(
            issue_kinds(&facts),
            [
                DataIssueKind::StaleMeasurement,
                DataIssueKind::ImplausibleMeasurement
            ]
        );
    }

    #[test]
    fn an_unknown_weight_unit_is_an_issue_and_never_guessed() {
        let weight = observation("w", "29463-7", "2026-11-20", 35.0, "lbs");
        let facts = Request::sign(vec![], vec![weight]).map();
        assert_eq!(facts.body.weight, Measurement::Missing);
        assert_eq!(
            issue_kinds(&facts),
            [
                DataIssueKind::UnknownUnit,
                DataIssueKind::MissingMeasurement,
                DataIssueKind::MissingMeasurement
            ]
        );
    }

    #[test]
    fn a_recent_bsa_observation_is_used_without_weight_and_height() {
        let bsa = observation("bsa", "8277-6", "2026-11-10", 0.71, "m2");
        let facts = Request::sign(vec![], vec![bsa]).map();
        assert!(matches!(facts.body.bsa, BodySurfaceArea::Observed { .. }));
        assert_eq!(
            facts.body.bsa.value(),
            Some(SquareMetres::parse("0.71").unwrap())
        );
    }

    #[test]
    fn haycock_is_used_when_configured() {
        let weight = observation("w", "29463-7", "2026-11-20", 16.0, "kg");
        let height = observation("h", "8302-2", "2026-11-20", 102.0, "cm");
        let config = MappingConfig {
            bsa_formula: BsaFormula::Haycock,
            ..MappingConfig::default()
        };
        let facts = Request::sign(vec![], vec![weight, height]).map_with(config);
        assert!(matches!(
            facts.body.bsa,
            BodySurfaceArea::Computed {
                formula: BsaFormula::Haycock,
                ..
            }
        ));
    }

    #[test]
    fn g25_3_alone_is_ambiguous_and_with_opsoclonus_text_is_confirmed() {
        let g25 = |text: Option<&str>| {
            let mut code = json!({ "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "G25.3", "display": "Myoclonus" }] });
            if let Some(text) = text {
                code["text"] = json!(text);
            }
            oms_condition("g25", code, "relapse")
        };
        let facts = Request::sign(vec![], vec![g25(None)]).map();
        assert!(
            matches!(&facts.oms, OmsDiagnosis::AmbiguousOnly { references } if references.len() == 1)
        );
        let facts = Request::sign(vec![], vec![g25(Some("Opsoclonus-myoclonus, relapse"))]).map();
        assert!(matches!(&facts.oms, OmsDiagnosis::Confirmed(c) if c.is_relapsed()));
    }

    #[test]
    fn a_refuted_oms_condition_is_ignored_and_relapse_date_is_the_later_date() {
        let mut refuted = relapsed_oms();
        refuted["verificationStatus"] = json!({ "coding": [{ "code": "refuted" }] });
        let facts = Request::sign(vec![], vec![refuted]).map();
        assert!(matches!(facts.oms, OmsDiagnosis::None));

        let mut dated = relapsed_oms();
        dated["onsetPeriod"] = json!({ "start": "2026-11-01" });
        dated["recordedDate"] = json!("2026-10-15");
        dated["severity"] =
            json!({ "coding": [{ "system": "http://snomed.info/sct", "code": "24484000" }] });
        let facts = Request::sign(vec![], vec![dated]).map();
        let OmsDiagnosis::Confirmed(oms) = facts.oms else {
            panic!()
        };
        assert_eq!(oms.relapse_date, Some(date!(2026 - 11 - 01)));
        assert_eq!(oms.severity, Some(Severity::Severe));
    }

    #[test]
    fn neuroblastoma_resected_via_reason_reference_and_screening_counts_as_work_up() {
        let nb = json!({
            "resourceType": "Condition", "id": "nb",
            "clinicalStatus": { "coding": [{ "code": "active" }] },
            "code": { "text": "Neuroblastoma, left adrenal" }, "subject": { "reference": "Patient/pat-1" }
        });
        let surgery = json!({
            "resourceType": "Procedure", "id": "op", "status": "completed",
            "code": { "text": "Laparotomy" }, "subject": { "reference": "Patient/pat-1" },
            "reasonReference": [{ "reference": "https://ehr.example/fhir/Condition/nb" }]
        });
        let facts = Request::sign(vec![], vec![nb.clone(), surgery]).map();
        assert!(facts.neuroblastoma.present && facts.neuroblastoma.resected);

        let mibg = json!({
            "resourceType": "Procedure", "id": "mibg", "status": "completed",
            "code": { "text": "MIBG scan" }, "subject": { "reference": "Patient/pat-1" },
            "reasonReference": [{ "reference": "Condition/nb" }]
        });
        let facts = Request::sign(vec![], vec![nb, mibg.clone()]).map();
        assert!(
            !facts.neuroblastoma.resected,
            "a scan for the tumour is not a resection"
        );
        let facts = Request::sign(vec![], vec![mibg]).map();
        assert!(facts.neuroblastoma.workup_on_record && !facts.neuroblastoma.present);
    }

    #[test]
    fn hepatitis_b_needs_both_tests_within_the_look_back() {
        let lab = |id: &str, loinc: &str, date: &str| {
            json!({
                "resourceType": "Observation", "id": id, "status": "final",
                "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
                "subject": { "reference": "Patient/pat-1" }, "effectiveDateTime": date,
                "valueCodeableConcept": { "text": "Negative" }
            })
        };
        let facts = Request::sign(
            vec![],
            vec![
                lab("s", "5196-1", "2026-01-10"),
                lab("c", "16933-4", "2025-10-01"),
            ],
        )
        .map();
        assert!(facts.hepatitis_b.hbsag.is_some());
        assert!(facts.hepatitis_b.anti_hbc.is_none(), "older than 365 days");
        assert!(!facts.hepatitis_b.is_complete());
    }

    #[test]
    fn an_active_oral_prednisolone_statement_is_a_current_steroid_and_fertility_text_is_found() {
        let steroid = json!({
            "resourceType": "MedicationStatement", "id": "pred", "status": "active",
            "medicationCodeableConcept": rxnorm("8638", "prednisolone"),
            "subject": { "reference": "Patient/pat-1" }, "effectiveDateTime": "2026-11-01",
            "dosage": [{ "route": { "coding": [{ "system": "http://snomed.info/sct", "code": "26643006" }] } }]
        });
        let goal = json!({
            "resourceType": "Goal", "id": "g", "lifecycleStatus": "active",
            "description": { "text": "Preserve fertility" }, "subject": { "reference": "Patient/pat-1" }
        });
        let facts = Request::sign(vec![], vec![steroid, goal]).map();
        let steroid = facts.oral_steroid.unwrap();
        assert_eq!(
            (steroid.drug, steroid.source.as_str()),
            (MedicationClass::Prednisolone, "MedicationStatement/pred")
        );
        assert_eq!(facts.fertility_concern, [FhirRef::new("Goal", "g")]);
    }

    #[test]
    fn operation_outcome_and_null_prefetch_values_and_a_bad_resource_leave_the_rest_usable() {
        let body = json!({
            "hook": "order-sign",
            "hookInstance": "5b1c1d4e-6a55-4f3f-8b6e-0d8f2a3c4b5d",
            "context": { "userId": "Practitioner/prac-1", "patientId": "pat-1", "draftOrders": bundle("collection", vec![json!({
                "resourceType": "MedicationRequest", "id": "sandbox", "status": "draft",
                "category": { "text": "outpatient" }, "subject": { "reference": "Patient/pat-1" } })]) },
            "prefetch": {
                "observations": { "resourceType": "OperationOutcome", "issue": [{ "severity": "error", "code": "timeout", "diagnostics": "lab feed down" }] },
                "procedures": null,
                "conditions": bundle("searchset", vec![relapsed_oms()])
            }
        });
        let facts = Request::from_hook_json(&body).map();
        assert!(matches!(facts.oms, OmsDiagnosis::Confirmed(_)));
        assert!(facts.orders.is_empty());
        let kinds = issue_kinds(&facts);
        assert_eq!(
            &kinds[..2],
            [
                DataIssueKind::UnparseableResource,
                DataIssueKind::PrefetchError
            ]
        );
        assert_eq!(
            facts.issues[0].source,
            Some(FhirRef::new("MedicationRequest", "sandbox"))
        );
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            prop_oneof![
                Just("Bundle"),
                Just("MedicationRequest"),
                Just("Observation"),
                Just("Condition"),
                Just("Patient"),
                Just("OperationOutcome"),
                Just("#med"),
                Just("2019-03"),
                Just("kg"),
                Just("final"),
                Just("completed")
            ]
            .prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("resourceType".to_owned()),
                        Just("id".to_owned()),
                        Just("entry".to_owned()),
                        Just("resource".to_owned()),
                        Just("contained".to_owned()),
                        Just("status".to_owned()),
                        Just("valueQuantity".to_owned()),
                        Just("medicationReference".to_owned()),
                        "[a-z]{1,8}"
                    ],
                    inner,
                    0..6,
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn mapping_arbitrary_prefetch_and_draft_orders_never_panics(
            prefetch_value in arbitrary_json(),
            entry in arbitrary_json(),
            sign: bool,
        ) {
            let body = json!({
                "hook": if sign { "order-sign" } else { "order-select" },
                "hookInstance": "0c9f8a7b-6e5d-4c3b-a291-8f7e6d5c4b3a",
                "context": { "userId": "Practitioner/prac-1", "patientId": "pat-1", "selections": ["MedicationRequest/x"],
                    "draftOrders": { "resourceType": "Bundle", "entry": [{ "resource": entry }] } },
                "prefetch": { "observations": prefetch_value }
            });
            let request = Request::from_hook_json(&body);
            let mapper = Mapper::new(MappingConfig::default(), Terminology::embedded());
            let result = mapper.map(&request.0, TODAY);
            // The draft-orders envelope is a Bundle, so mapping succeeds whatever is inside, except
            // that a Patient resource that is not the patient in context makes it unusable.
            prop_assert!(
                matches!(result, Ok(_) | Err(MappingError::PatientMismatch)),
                "{result:?}"
            );
        }
    }
}

mod hl7_examples {
    use super::*;

    fn hl7(name: &str) -> Value {
        let path = format!("{}/tests/data/hl7/{name}.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_official_r4_examples_map_without_parse_failures_and_convert_pounds_and_inches() {
        // The examples are about two patients: `example` and `pat1`.
        let resources = [
            "Patient-example",
            "Condition-example",
            "Observation-example",
            "Observation-body-height",
            "MedicationRequest-medrx0301",
            "MedicationStatement-example001",
        ]
        .map(hl7)
        .to_vec();
        let facts = Request::sign_for("example", vec![], resources.clone()).map();
        let other_patient = issue_kinds(&facts)
            .into_iter()
            .filter(|kind| *kind == DataIssueKind::OtherPatient)
            .count();
        assert_eq!(
            other_patient, 2,
            "pat1's MedicationRequest and MedicationStatement"
        );
        let medications = Request::sign_for("pat1", vec![], resources[4..].to_vec()).map();
        let unreadable: Vec<_> = facts
            .issues
            .iter()
            .chain(&medications.issues)
            .filter(|issue| {
                matches!(
                    issue.kind,
                    DataIssueKind::UnparseableResource | DataIssueKind::UnresolvedMedication
                )
            })
            .collect();
        assert!(unreadable.is_empty(), "{unreadable:?}");
        // 185 [lb_av] on 2016-03-28 and 66.9 [in_i] on 1999-07-02: converted, then judged stale.
        let Measurement::Stale {
            measured: weight, ..
        } = facts.body.weight
        else {
            panic!("{:?}", facts.body.weight)
        };
        assert_eq!(weight.value.value(), dec("83.91458845"));
        let Measurement::Stale {
            measured: height, ..
        } = facts.body.height
        else {
            panic!("{:?}", facts.body.height)
        };
        // The HL7 example records 66.899999999999991 in (a float artefact in the source), read exactly.
        assert_eq!(height.value.value(), dec("169.92599999999997714"));
    }
}

mod rendering {
    use super::*;
    use fhir_mapping::proposal::{
        AdministrationRoute, MedicationDosage, MedicationOrder, PeriodUnit, ProposedAction,
        ProposedOrder, Schedule,
    };

    fn mapped_example() -> MappedRequest {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/order-select-rituximab-after-full-course.json"
        );
        let call = HookCall::parse(&std::fs::read(path).unwrap()).unwrap();
        Mapper::new(MappingConfig::default(), Terminology::embedded())
            .map(&call, TODAY)
            .unwrap()
    }

    fn dosage() -> MedicationDosage {
        MedicationDosage {
            text: "rituximab 250 mg IV, single dose".into(),
            route: AdministrationRoute::Intravenous,
            dose: Milligrams::new("250".parse().unwrap()),
            schedule: Schedule {
                frequency: 1,
                period: 1,
                period_unit: PeriodUnit::Week,
                count: 1,
            },
        }
    }

    #[test]
    fn an_update_keeps_the_draft_as_sent_and_replaces_only_its_dosage() {
        let mapped = mapped_example();
        assert_eq!(mapped.drafts.len(), 1);
        let action = ProposedAction::Update {
            description: "Update draft".into(),
            target: FhirRef::from_relative("MedicationRequest/draft-10"),
            drug: MedicationClass::Rituximab,
            dosage: dosage(),
        };
        let rendered = render_action(&action, &RenderContext::of(&mapped)).unwrap();
        let resource = rendered.resource.unwrap();
        assert_eq!(resource["id"], "draft-10");
        assert_eq!(resource["status"], "draft");
        assert_eq!(
            resource["medicationCodeableConcept"]["coding"][0]["code"],
            "121191"
        );
        let dose = &resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"];
        assert_eq!(
            (dose["value"].clone(), dose["code"].clone()),
            (json!(250), json!("mg"))
        );
    }

    #[test]
    fn an_update_of_a_draft_not_in_the_request_is_not_rendered() {
        let mapped = mapped_example();
        let action = ProposedAction::Update {
            description: "Update draft".into(),
            target: FhirRef::from_relative("MedicationRequest/elsewhere"),
            drug: MedicationClass::Rituximab,
            dosage: dosage(),
        };
        assert!(render_action(&action, &RenderContext::of(&mapped)).is_none());
    }

    #[test]
    fn a_created_order_is_a_draft_for_the_patient_with_the_oms_condition_as_reason() {
        let mapped = mapped_example();
        let action = ProposedAction::Create {
            description: "Create".into(),
            order: ProposedOrder::Medication(MedicationOrder {
                drug: MedicationClass::Rituximab,
                dosage: dosage(),
                supporting: vec![FhirRef::from_relative("Observation/obs-weight-1")],
            }),
        };
        let rendered = render_action(&action, &RenderContext::of(&mapped)).unwrap();
        let resource = rendered.resource.unwrap();
        assert_eq!(resource.get("id"), None);
        assert_eq!(
            (resource["status"].clone(), resource["intent"].clone()),
            (json!("draft"), json!("order"))
        );
        assert_eq!(
            resource["subject"]["reference"],
            format!("{}", mapped.facts.patient.reference)
        );
        assert!(resource["reasonReference"][0]["reference"]
            .as_str()
            .unwrap()
            .starts_with("Condition/"));
        assert_eq!(resource["authoredOn"], "2026-11-25");
    }
}

mod record_reading {
    use super::*;
    use proptest::prelude::*;

    /// An HBsAg result with a coded value and/or an interpretation, or a text value.
    fn hbsag(id: &str, date: &str, value: Option<Value>, interpretation: Option<&str>) -> Value {
        let mut observation = json!({
            "resourceType": "Observation", "id": id, "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "5196-1" }] },
            "subject": { "reference": "Patient/pat-1" },
            "effectiveDateTime": date,
        });
        if let Some(value) = value {
            let key = if value.is_string() {
                "valueString"
            } else if value.get("value").is_some() {
                "valueQuantity"
            } else {
                "valueCodeableConcept"
            };
            observation[key] = value;
        }
        if let Some(code) = interpretation {
            observation["interpretation"] = json!([{ "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": code }] }]);
        }
        observation
    }

    fn snomed(code: &str, display: &str) -> Value {
        json!({ "coding": [{ "system": "http://snomed.info/sct", "code": code, "display": display }] })
    }

    fn hbsag_status(results: Vec<Value>) -> Option<ResultStatus> {
        let facts = Request::sign(vec![], results).map();
        facts.hepatitis_b.hbsag.map(|result| result.status)
    }

    #[test]
    fn hepatitis_b_results_are_read_for_what_they_say() {
        let positive = snomed("10828004", "Positive");
        let negative = snomed("260385009", "Negative");
        assert_eq!(
            hbsag_status(vec![hbsag("a", "2026-10-01", Some(positive.clone()), None)]),
            Some(ResultStatus::Positive)
        );
        assert_eq!(
            hbsag_status(vec![hbsag(
                "a",
                "2026-10-01",
                Some(json!("Non-reactive")),
                None
            )]),
            Some(ResultStatus::Negative)
        );
        assert_eq!(
            hbsag_status(vec![hbsag(
                "a",
                "2026-10-01",
                Some(json!("Weakly reactive")),
                None
            )]),
            Some(ResultStatus::Unreadable)
        );
        // A value and an interpretation that disagree cannot be read.
        assert_eq!(
            hbsag_status(vec![hbsag(
                "a",
                "2026-10-01",
                Some(negative.clone()),
                Some("POS")
            )]),
            Some(ResultStatus::Unreadable)
        );
        // A number is read by its interpretation only.
        let index = json!({ "value": 0.3, "unit": "{index}" });
        assert_eq!(
            hbsag_status(vec![hbsag(
                "a",
                "2026-10-01",
                Some(index.clone()),
                Some("NEG")
            )]),
            Some(ResultStatus::Negative)
        );
        assert_eq!(
            hbsag_status(vec![hbsag("a", "2026-10-01", Some(index), None)]),
            Some(ResultStatus::Unreadable)
        );
    }

    #[test]
    fn a_positive_result_counts_at_any_date_unless_a_later_one_is_negative() {
        let positive = snomed("10828004", "Positive");
        let negative = snomed("260385009", "Negative");
        // Positive in 2019, outside the one-year look-back: still positive.
        assert_eq!(
            hbsag_status(vec![hbsag(
                "old",
                "2019-05-01",
                Some(positive.clone()),
                None
            )]),
            Some(ResultStatus::Positive)
        );
        // Positive in 2019, negative in 2026: negative.
        let later_negative = vec![
            hbsag("old", "2019-05-01", Some(positive.clone()), None),
            hbsag("new", "2026-09-01", Some(negative.clone()), None),
        ];
        assert_eq!(hbsag_status(later_negative), Some(ResultStatus::Negative));
        // A negative result outside the look-back is no result.
        assert_eq!(
            hbsag_status(vec![hbsag("old", "2024-05-01", Some(negative), None)]),
            None
        );
    }

    #[test]
    fn a_deceased_patient_is_read_from_the_boolean_or_a_past_date() {
        let patient = |deceased: Value| {
            let mut patient =
                json!({ "resourceType": "Patient", "id": "pat-1", "birthDate": "2020-01-01" });
            if let Some((key, value)) = deceased.as_object().and_then(|o| o.iter().next()) {
                patient[key] = value.clone();
            }
            Request::sign(vec![], vec![patient]).map().patient.deceased
        };
        assert!(patient(json!({ "deceasedBoolean": true })));
        assert!(patient(
            json!({ "deceasedDateTime": "2026-11-24T22:10:00Z" })
        ));
        assert!(!patient(json!({ "deceasedDateTime": "2027-01-01" })));
        assert!(!patient(json!({ "deceasedBoolean": false })));
        assert!(!patient(json!({})));
    }

    #[test]
    fn oms_text_with_a_negation_never_confirms_and_notes_never_count() {
        let g25 = |text: &str| json!({ "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G25.3" }], "text": text });
        let oms = |code: Value| {
            Request::sign(vec![], vec![oms_condition("c", code, "relapse")])
                .map()
                .oms
        };
        assert!(matches!(
            oms(g25("Myoclonus, OMS")),
            OmsDiagnosis::Confirmed(_)
        ));
        assert!(matches!(
            oms(g25("Myoclonus, OMS ruled out")),
            OmsDiagnosis::AmbiguousOnly { .. }
        ));
        assert!(matches!(
            oms(g25("No opsoclonus; myoclonus")),
            OmsDiagnosis::AmbiguousOnly { .. }
        ));
        let mut noted = oms_condition("c", g25("Myoclonus"), "relapse");
        noted["note"] = json!([{ "text": "Kinsbourne syndrome (OMS) suspected" }]);
        let facts = Request::sign(vec![], vec![noted]).map();
        assert!(matches!(facts.oms, OmsDiagnosis::AmbiguousOnly { .. }));
    }

    #[test]
    fn an_active_steroid_record_is_current_only_when_recent_or_its_period_covers_today() {
        let request = |authored: &str, bounds: Option<(&str, &str)>| {
            let mut request = json!({
                "resourceType": "MedicationRequest", "id": "mr", "status": "active", "intent": "order",
                "subject": { "reference": "Patient/pat-1" }, "authoredOn": authored,
                "medicationCodeableConcept": rxnorm("8638", "prednisolone"),
                "dosageInstruction": [{ "text": "prednisolone 10 mg daily" }] });
            if let Some((start, end)) = bounds {
                request["dosageInstruction"][0]["timing"] =
                    json!({ "repeat": { "boundsPeriod": { "start": start, "end": end } } });
            }
            Request::sign(vec![], vec![request]).map()
        };
        assert!(
            request("2026-10-01", None).oral_steroid.is_some(),
            "authored 55 days ago"
        );
        let old = request("2015-03-02", None);
        assert!(old.oral_steroid.is_none());
        assert!(issue_kinds(&old).contains(&DataIssueKind::OutdatedActiveRecord));
        let long_course = request("2025-01-10", Some(("2025-01-10", "2027-01-10")));
        assert!(
            long_course.oral_steroid.is_some(),
            "a period covering today"
        );
        let ended = request("2025-01-10", Some(("2025-01-10", "2025-06-10")));
        assert!(ended.oral_steroid.is_none());
    }

    #[test]
    fn an_orders_indication_is_read_from_its_reason() {
        let draft = |reason: Value| {
            let mut draft = json!({
                "resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
                "subject": { "reference": "Patient/pat-1" }, "medicationCodeableConcept": rxnorm("3002", "cyclophosphamide") });
            if let Some((key, value)) = reason.as_object().and_then(|o| o.iter().next()) {
                draft[key] = value.clone();
            }
            draft
        };
        let nb = json!({ "resourceType": "Condition", "id": "nb", "subject": { "reference": "Patient/pat-1" },
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "432328008" }] } });
        let oms = oms_condition(
            "oms",
            json!({ "coding": [{ "system": "http://snomed.info/sct", "code": "230350000" }] }),
            "relapse",
        );
        let read = |reason: Value| {
            let facts = Request::sign(vec![draft(reason)], vec![nb.clone(), oms.clone()]).map();
            let other = facts
                .orders_for_other_indications
                .iter()
                .map(|o| o.indication);
            facts
                .orders
                .iter()
                .map(|o| o.indication)
                .chain(other)
                .next()
        };
        assert_eq!(read(json!({})), Some(OrderIndication::NotStated));
        assert_eq!(
            read(json!({ "reasonReference": [{ "reference": "Condition/oms" }] })),
            Some(OrderIndication::Oms)
        );
        assert_eq!(
            read(json!({ "reasonReference": [{ "reference": "Condition/nb" }] })),
            Some(OrderIndication::OtherCondition)
        );
        assert_eq!(
            read(json!({ "reasonCode": [{ "text": "myoclonus and ataxia" }] })),
            Some(OrderIndication::Oms)
        );
        assert_eq!(
            read(json!({ "reasonCode": [{ "text": "Burkitt lymphoma" }] })),
            Some(OrderIndication::OtherCondition)
        );
        let facts = Request::sign(
            vec![draft(
                json!({ "reasonReference": [{ "reference": "Condition/nb" }] }),
            )],
            vec![nb.clone(), oms.clone()],
        )
        .map();
        assert!(
            facts.orders.is_empty(),
            "an order for the neuroblastoma is not an OMS order"
        );
    }

    #[test]
    fn hyaluronidase_alone_is_not_rituximab() {
        let draft = |text: &str| {
            json!({
            "resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
            "subject": { "reference": "Patient/pat-1" }, "medicationCodeableConcept": { "text": text } })
        };
        let class = |text: &str| {
            Request::sign(vec![draft(text)], vec![])
                .map()
                .orders
                .first()
                .map(|o| o.medication)
        };
        assert_eq!(
            class("immune globulin infusion 10% with recombinant human hyaluronidase"),
            None
        );
        assert_eq!(
            class("rituximab and hyaluronidase human"),
            Some(MedicationClass::RituximabSubcutaneous)
        );
        assert_eq!(
            class("Rituxan Hycela 1400 mg"),
            Some(MedicationClass::RituximabSubcutaneous)
        );
    }

    #[test]
    fn a_medication_known_by_its_ingredients_is_read_through_them() {
        let by_ingredients = |names: &[&str]| {
            let ingredient: Vec<Value> = names
                .iter()
                .map(|name| json!({ "itemCodeableConcept": { "text": name } }))
                .collect();
            let draft = json!({
                "resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
                "subject": { "reference": "Patient/pat-1" },
                "contained": [{ "resourceType": "Medication", "id": "m", "ingredient": ingredient }],
                "medicationReference": { "reference": "#m" } });
            Request::sign(vec![draft], vec![])
                .map()
                .orders
                .first()
                .map(|o| o.medication)
        };
        assert_eq!(
            by_ingredients(&["rituximab"]),
            Some(MedicationClass::Rituximab)
        );
        assert_eq!(
            by_ingredients(&["hyaluronidase human", "rituximab"]),
            Some(MedicationClass::RituximabSubcutaneous)
        );
        assert_eq!(by_ingredients(&["hyaluronidase human"]), None);
    }

    /// Every written form of a subject reference, for this patient or another.
    fn subject_reference() -> impl Strategy<Value = (Value, bool)> {
        let patient = prop_oneof![
            Just(("pat-1", true)),
            Just(("pat-2", false)),
            Just(("pat-10", false))
        ];
        let form = 0usize..5;
        (patient, form).prop_map(|((id, ours), form)| {
            let subject = match form {
                0 => json!({ "reference": format!("Patient/{id}") }),
                1 => json!({ "reference": format!("https://ehr.example/fhir/Patient/{id}") }),
                2 => json!({ "reference": format!("Patient/{id}/_history/2") }),
                3 => json!({ "reference": format!("https://ehr.example/fhir/Patient/{id}/_history/7") }),
                _ => json!({ "identifier": { "system": "urn:mrn", "value": id } }),
            };
            // An identifier alone cannot be checked, so it is never this patient's.
            (subject, ours && form < 4)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// No resource about another patient reaches the facts, in any reference form; this
        /// patient's resources always do.
        #[test]
        fn only_this_patients_resources_reach_the_facts(
            (weight_subject, weight_ours) in subject_reference(),
            (condition_subject, condition_ours) in subject_reference(),
            (draft_subject, draft_ours) in subject_reference(),
        ) {
            let mut weight = observation("w", "29463-7", "2026-11-20", 18.0, "kg");
            weight["subject"] = weight_subject;
            let mut condition = oms_condition("c", json!({ "coding": [{ "system": "http://snomed.info/sct", "code": "230350000" }] }), "relapse");
            condition["subject"] = condition_subject;
            let draft = json!({
                "resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
                "subject": draft_subject, "medicationCodeableConcept": rxnorm("121191", "rituximab") });
            let facts = Request::sign(vec![draft], vec![weight, condition]).map();
            prop_assert_eq!(facts.body.weight.usable().is_some(), weight_ours);
            prop_assert_eq!(matches!(facts.oms, OmsDiagnosis::Confirmed(_)), condition_ours);
            prop_assert_eq!(facts.orders.len(), usize::from(draft_ours));
            let excluded = [weight_ours, condition_ours, draft_ours].iter().filter(|ours| !**ours).count();
            let reported = issue_kinds(&facts).into_iter().filter(|k| *k == DataIssueKind::OtherPatient).count();
            prop_assert_eq!(reported, excluded);
            let text = format!("{facts:?}");
            prop_assert!(!text.contains("pat-2") && !text.contains("pat-10"), "another patient's id reached the facts");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// A weight flagged inconsistent (more than 20% from the previous weight within 90 days,
        /// or more than 10% from another weight the same day) never yields a usable BSA.
        #[test]
        fn an_inconsistent_weight_never_yields_a_usable_bsa(
            previous_tenths in 50u32..800,
            latest_tenths in 50u32..800,
            same_day in any::<bool>(),
        ) {
            let (previous, latest) = (f64::from(previous_tenths) / 10.0, f64::from(latest_tenths) / 10.0);
            let earlier_date = if same_day { "2026-11-20" } else { "2026-10-20" };
            let resources = vec![
                observation("w0", "29463-7", earlier_date, previous, "kg"),
                observation("w1", "29463-7", "2026-11-20", latest, "kg"),
                observation("h", "8302-2", "2026-11-01", 110.0, "cm"),
            ];
            let facts = Request::sign(vec![], resources).map();
            let change = if same_day {
                (latest - previous).abs() / latest.min(previous)
            } else {
                (latest - previous).abs() / previous
            };
            let limit = if same_day { 0.10 } else { 0.20 };
            if change > limit + 1e-9 {
                prop_assert!(matches!(facts.body.weight, Measurement::Inconsistent { .. }), "{:?}", facts.body.weight);
                prop_assert!(facts.body.bsa.value().is_none(), "{:?}", facts.body.bsa);
            }
            if facts.body.bsa.value().is_some() {
                prop_assert!(change <= limit + 1e-9);
            }
        }
    }
}

/// Contract v2, section 2: how doses are known, reactions, pregnancy, dated resection, the adult
/// tumour work-up and each order's schedule.
mod treatment_and_risk_facts {
    use super::*;

    fn patient(gender: &str, birth: &str) -> Value {
        json!({ "resourceType": "Patient", "id": "pat-1", "gender": gender, "birthDate": birth })
    }

    fn rituximab_statement(id: &str, status: &str, period: Value, count: Option<u32>) -> Value {
        let mut timing = json!({ "repeat": { "frequency": 1, "period": 1, "periodUnit": "wk" } });
        if let Some(count) = count {
            timing["repeat"]["count"] = json!(count);
        }
        json!({
            "resourceType": "MedicationStatement", "id": id, "status": status,
            "medicationCodeableConcept": rxnorm("121191", "rituximab"),
            "subject": { "reference": "Patient/pat-1" },
            "effectivePeriod": period,
            "statusReason": [{ "text": "Infusion reaction" }],
            "dosage": [{ "timing": timing }]
        })
    }

    fn with_oms(mut resources: Vec<Value>) -> Facts {
        resources.push(oms_condition(
            "oms",
            json!({ "text": "Opsoclonus-myoclonus syndrome" }),
            "relapse",
        ));
        Request::sign(Vec::new(), resources).map()
    }

    #[test]
    fn a_stopped_statement_counts_the_doses_within_its_period_and_keeps_its_reason() {
        let facts = with_oms(vec![rituximab_statement(
            "ms-1",
            "stopped",
            json!({ "start": "2026-03-02", "end": "2026-03-09" }),
            Some(4),
        )]);
        assert_eq!(
            dates(&facts.rituximab),
            [date!(2026 - 03 - 02), date!(2026 - 03 - 09)]
        );
        assert!(facts
            .rituximab
            .events()
            .iter()
            .all(|dose| dose.known_from == DoseKnownFrom::Reported));
        let stopped = facts.rituximab.stopped();
        assert_eq!(stopped.len(), 1);
        assert_eq!(stopped[0].reason.as_deref(), Some("Infusion reaction"));
        // Stopped for a reaction: a rituximab reaction on record.
        assert_eq!(facts.rituximab_reactions.len(), 1);
        assert_eq!(
            facts.rituximab_reactions[0].recorded_as,
            ReactionRecord::StoppedForReaction
        );
    }

    #[test]
    fn a_statement_without_a_count_or_a_stopped_one_without_an_end_is_an_unknown_number() {
        let no_count = rituximab_statement(
            "ms-1",
            "completed",
            json!({ "start": "2026-03-02", "end": "2026-03-23" }),
            None,
        );
        let stopped_open =
            rituximab_statement("ms-2", "stopped", json!({ "start": "2026-06-01" }), Some(4));
        let facts = with_oms(vec![no_count, stopped_open]);
        assert!(facts.rituximab.events().is_empty());
        let uncounted = facts.rituximab.uncounted();
        assert_eq!(uncounted.len(), 2);
        assert_eq!(uncounted[0].first, date!(2026 - 03 - 02));
        assert_eq!(uncounted[0].last, Some(date!(2026 - 03 - 23)));
        assert_eq!(uncounted[1].first, date!(2026 - 06 - 01));
        assert!(!facts.rituximab.is_empty());
    }

    #[test]
    fn a_cyclophosphamide_pulse_keeps_the_indication_of_its_record() {
        let nb = json!({
            "resourceType": "Condition", "id": "nb",
            "clinicalStatus": { "coding": [{ "code": "remission" }] },
            "code": { "text": "Neuroblastoma" }, "subject": { "reference": "Patient/pat-1" }
        });
        let pulse = |id: &str, day: &str, reason: Option<&str>| {
            let mut administration = json!({
                "resourceType": "MedicationAdministration", "id": id, "status": "completed",
                "medicationCodeableConcept": rxnorm("3002", "cyclophosphamide"),
                "subject": { "reference": "Patient/pat-1" }, "effectiveDateTime": day
            });
            if let Some(reason) = reason {
                administration["reasonReference"] = json!([{ "reference": reason }]);
            }
            administration
        };
        let facts = with_oms(vec![
            nb,
            pulse("ma-nb", "2025-04-10", Some("Condition/nb")),
            pulse("ma-oms", "2026-02-10", Some("Condition/oms")),
        ]);
        let indications: Vec<OrderIndication> = facts
            .cyclophosphamide
            .events()
            .iter()
            .map(|pulse| pulse.indication)
            .collect();
        assert_eq!(
            indications,
            [OrderIndication::OtherCondition, OrderIndication::Oms]
        );
    }

    fn allergy(id: &str, code: Value, verification: &str) -> Value {
        json!({
            "resourceType": "AllergyIntolerance", "id": id,
            "verificationStatus": { "coding": [{ "code": verification }] },
            "code": code, "patient": { "reference": "Patient/pat-1" },
            "recordedDate": "2025-06-10",
            "reaction": [{ "manifestation": [{ "text": "Anaphylaxis" }], "onset": "2025-06-09" }]
        })
    }

    #[test]
    fn an_anti_cd20_allergy_is_a_rituximab_reaction_unless_refuted() {
        let facts = with_oms(vec![
            allergy("a-1", json!({ "text": "Ocrelizumab" }), "confirmed"),
            allergy("a-2", rxnorm("121191", "rituximab"), "refuted"),
            allergy("a-3", json!({ "text": "Penicillin" }), "confirmed"),
        ]);
        assert_eq!(facts.rituximab_reactions.len(), 1);
        let reaction = &facts.rituximab_reactions[0];
        assert_eq!(reaction.source, FhirRef::new("AllergyIntolerance", "a-1"));
        assert_eq!(reaction.description, "Anaphylaxis");
        assert_eq!(reaction.date, Some(date!(2025 - 06 - 09)));
    }

    fn hcg(id: &str, day: &str, value: Value) -> Value {
        let mut observation = json!({
            "resourceType": "Observation", "id": id, "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "2118-8" }] },
            "subject": { "reference": "Patient/pat-1" }, "effectiveDateTime": day
        });
        let key = if value.get("value").is_some() {
            "valueQuantity"
        } else {
            "valueCodeableConcept"
        };
        observation[key] = value;
        observation
    }

    fn iu(value: f64) -> Value {
        json!({ "value": value, "unit": "IU/L", "system": "http://unitsofmeasure.org", "code": "[IU]/L" })
    }

    fn pregnancy_of(resources: Vec<Value>) -> Pregnancy {
        let mut resources = resources;
        resources.push(patient("female", "2010-05-01"));
        with_oms(resources).pregnancy
    }

    #[test]
    fn pregnancy_is_read_from_hcg_by_threshold_and_window_and_the_latest_evidence_wins() {
        let positive = pregnancy_of(vec![hcg("h-1", "2026-11-18", iu(850.0))]);
        assert!(
            matches!(positive, Pregnancy::Pregnant { date, .. } if date == date!(2026 - 11 - 18))
        );
        // Below 25 IU/L: not positive.
        assert_eq!(
            pregnancy_of(vec![hcg("h-1", "2026-11-18", iu(4.0))]),
            Pregnancy::NotKnown
        );
        // A positive hCG older than 30 days no longer counts.
        assert_eq!(
            pregnancy_of(vec![hcg("h-1", "2026-09-01", iu(850.0))]),
            Pregnancy::NotKnown
        );
        // A negative test after a positive one: not known.
        let negative = json!({ "coding": [{ "system": "http://snomed.info/sct", "code": "260385009", "display": "Negative" }] });
        assert_eq!(
            pregnancy_of(vec![
                hcg("h-1", "2026-11-10", iu(850.0)),
                hcg("h-2", "2026-11-20", negative)
            ]),
            Pregnancy::NotKnown
        );
        // A pregnancy Condition counts within 300 days; "not pregnant" text never does.
        let condition = |id: &str, text: &str, onset: &str| {
            json!({
                "resourceType": "Condition", "id": id,
                "clinicalStatus": { "coding": [{ "code": "active" }] },
                "code": { "text": text }, "subject": { "reference": "Patient/pat-1" }, "onsetDateTime": onset
            })
        };
        assert!(matches!(
            pregnancy_of(vec![condition("p-1", "Pregnancy, 10 weeks", "2026-10-01")]),
            Pregnancy::Pregnant { .. }
        ));
        assert_eq!(
            pregnancy_of(vec![condition("p-1", "Pregnancy", "2025-01-01")]),
            Pregnancy::NotKnown
        );
        assert_eq!(
            pregnancy_of(vec![condition("p-1", "Not pregnant", "2026-11-01")]),
            Pregnancy::NotKnown
        );
    }

    fn nb_condition(status: &str, onset: Option<&str>, recorded: &str) -> Value {
        let mut condition = json!({
            "resourceType": "Condition", "id": "nb",
            "clinicalStatus": { "coding": [{ "code": status }] },
            "code": { "text": "Neuroblastoma" }, "subject": { "reference": "Patient/pat-1" },
            "recordedDate": recorded
        });
        if let Some(onset) = onset {
            condition["onsetDateTime"] = json!(onset);
        }
        condition
    }

    fn resection(day: &str) -> Value {
        json!({
            "resourceType": "Procedure", "id": "resection", "status": "completed",
            "code": { "text": "Tumour excision" }, "reasonReference": [{ "reference": "Condition/nb" }],
            "subject": { "reference": "Patient/pat-1" }, "performedDateTime": day
        })
    }

    #[test]
    fn a_resection_counts_only_on_or_after_the_tumours_latest_onset() {
        let recurrence = nb_condition("recurrence", Some("2026-09-15"), "2026-09-20");
        let before = with_oms(vec![recurrence.clone(), resection("2024-05-10")]);
        assert!(before.neuroblastoma.present && !before.neuroblastoma.resected);
        assert_eq!(
            before.neuroblastoma.resection_date,
            Some(date!(2024 - 05 - 10))
        );
        let after = with_oms(vec![recurrence, resection("2026-10-01")]);
        assert!(after.neuroblastoma.resected);
        // Only a recorded date: a resection up to 30 days before it counts.
        let recorded_only = nb_condition("active", None, "2026-10-20");
        assert!(
            with_oms(vec![recorded_only.clone(), resection("2026-10-01")])
                .neuroblastoma
                .resected
        );
        assert!(
            !with_oms(vec![recorded_only, resection("2026-08-01")])
                .neuroblastoma
                .resected
        );
    }

    #[test]
    fn the_adult_tumour_work_up_is_the_latest_after_the_oms_onset() {
        let oms = json!({
            "resourceType": "Condition", "id": "oms",
            "clinicalStatus": { "coding": [{ "code": "relapse" }] },
            "code": { "text": "Opsoclonus-myoclonus syndrome" }, "onsetDateTime": "2026-06-01",
            "subject": { "reference": "Patient/pat-1" }
        });
        let procedure = |id: &str, text: &str, day: &str| {
            json!({
                "resourceType": "Procedure", "id": id, "status": "completed", "code": { "text": text },
                "subject": { "reference": "Patient/pat-1" }, "performedDateTime": day
            })
        };
        let no_malignancy = json!({
            "resourceType": "Condition", "id": "c-2", "code": { "text": "No evidence of malignancy" },
            "clinicalStatus": { "coding": [{ "code": "active" }] },
            "subject": { "reference": "Patient/pat-1" }, "onsetDateTime": "2026-09-01"
        });
        let facts = Request::sign(
            Vec::new(),
            vec![
                oms,
                procedure("ct-old", "CT chest abdomen and pelvis", "2025-01-10"),
                procedure("pet", "FDG PET-CT", "2026-07-02"),
                no_malignancy,
            ],
        )
        .map();
        let workup = facts.adult_tumour_workup.unwrap();
        assert_eq!(workup.date, date!(2026 - 07 - 02));
        assert_eq!(workup.source, FhirRef::new("Procedure", "pet"));
    }

    #[test]
    fn an_orders_schedule_is_kept_and_a_single_event_is_a_single_administration() {
        let draft = |id: &str, timing: Value| {
            json!({
                "resourceType": "MedicationRequest", "id": id, "status": "draft", "intent": "order",
                "medicationCodeableConcept": rxnorm("3264", "dexamethasone"),
                "subject": { "reference": "Patient/pat-1" },
                "dosageInstruction": [{ "timing": timing, "doseAndRate": [{ "doseQuantity": {
                    "value": 16, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg" } }] }]
            })
        };
        let twice_daily = draft(
            "d-1",
            json!({ "repeat": { "frequency": 2, "period": 1, "periodUnit": "d" } }),
        );
        let once = draft("d-2", json!({ "event": ["2026-11-26T08:00:00Z"] }));
        let facts = Request::sign(vec![twice_daily, once], vec![relapsed()]).map();
        let timing: Vec<OrderTiming> = facts
            .orders
            .iter()
            .filter_map(|order| order.timing)
            .collect();
        assert_eq!(timing.len(), 2);
        assert_eq!(timing[0].frequency, 2);
        assert_eq!(timing[0].period_days, Some(dec("1")));
        assert!(!timing[0].single_administration);
        assert!(timing[1].single_administration);
    }

    fn relapsed() -> Value {
        oms_condition(
            "oms",
            json!({ "text": "Opsoclonus-myoclonus syndrome" }),
            "relapse",
        )
    }
}

/// Section 3: a neuroblastoma coded by its site (mediastinum, ICD-10-CM C38.x) counts only with
/// the morphology code or the text.
mod site_coded_neuroblastoma {
    use super::*;

    fn condition(codings: Value, text: Option<&str>) -> Value {
        let mut code = json!({ "coding": codings });
        if let Some(text) = text {
            code["text"] = json!(text);
        }
        json!({
            "resourceType": "Condition", "id": "nb",
            "clinicalStatus": { "coding": [{ "code": "active" }] },
            "code": code, "subject": { "reference": "Patient/pat-1" }
        })
    }

    fn present(condition: Value) -> bool {
        let oms = oms_condition(
            "oms",
            json!({ "text": "Opsoclonus-myoclonus syndrome" }),
            "relapse",
        );
        Request::sign(Vec::new(), vec![oms, condition])
            .map()
            .neuroblastoma
            .present
    }

    #[test]
    fn a_mediastinal_site_code_alone_is_not_a_neuroblastoma() {
        let site = json!({ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C38.3",
                           "display": "Malignant neoplasm of mediastinum, part unspecified" });
        let morphology = json!({ "system": "http://terminology.hl7.org/CodeSystem/icd-o-3",
                                 "code": "9500/3" });
        assert!(!present(condition(json!([site.clone()]), None)));
        assert!(present(condition(json!([site.clone(), morphology]), None)));
        assert!(present(condition(
            json!([site]),
            Some("Posterior mediastinal neuroblastoma")
        )));
    }
}

/// An order without a route element for an oral product is read as oral (the CDS Hooks sandbox
/// orders "Cyclophosphamide 50 MG Oral Tablet" so): never the IV regimen.
mod oral_products {
    use super::*;

    #[test]
    fn an_oral_tablet_without_a_route_is_oral_and_an_injection_has_no_route() {
        let draft = |id: &str, code: &str, name: &str| {
            json!({
                "resourceType": "MedicationRequest", "id": id, "status": "draft", "intent": "order",
                "medicationCodeableConcept": rxnorm(code, name),
                "subject": { "reference": "Patient/pat-1" }
            })
        };
        let oms = oms_condition(
            "oms",
            json!({ "text": "Opsoclonus-myoclonus syndrome" }),
            "relapse",
        );
        let facts = Request::sign(
            vec![
                draft("tablet", "197550", "Cyclophosphamide 50 MG Oral Tablet"),
                draft("vial", "1734917", "cyclophosphamide 500 MG Injection"),
            ],
            vec![oms],
        )
        .map();
        let routes: Vec<Option<Route>> = facts
            .orders
            .iter()
            .map(|order| order.route.clone())
            .collect();
        assert_eq!(routes, [Some(Route::Oral), None]);
    }
}

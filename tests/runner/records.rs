//! The whole-record generator (`oms_cds_tests::record`): deterministic, counted as it says, and
//! read by the real mapping exactly as intended at every size, with no resource dropped.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on unexpected input"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use cards::{ClinicalConfig, Topic};
use fhir_mapping::{
    BodySurfaceArea, ClinicalStatus, DataIssueKind, DoseAmount, Facts, Hook, HookCall,
    MappedRequest, Mapper, MappingConfig, MedicationClass, OmsDiagnosis, Route, Terminology,
};
use oms_cds_tests::record::{generate, make_up, MakeUp, RecordSpec};
use serde_json::Value;
use time::Date;

/// The LOINC codes of the service's Observation value sets (`terminology/value-sets.toml`).
const VALUE_SET_LOINC: [&str; 9] = [
    "29463-7", "3141-9", "8302-2", "8306-3", "8277-6", "3140-1", "5196-1", "13952-7", "16933-4",
];

/// The prefetch keys the service's discovery names, with the resource type each holds.
const PREFETCH_BUNDLES: [(&str, &str); 6] = [
    ("conditions", "Condition"),
    ("medicationStatements", "MedicationStatement"),
    ("medicationRequests", "MedicationRequest"),
    ("medicationAdministrations", "MedicationAdministration"),
    ("observations", "Observation"),
    ("procedures", "Procedure"),
];

/// Data issues that mean a resource (or part of one) was not read.
const DROPPED: [DataIssueKind; 4] = [
    DataIssueKind::UnparseableResource,
    DataIssueKind::UnreadableDate,
    DataIssueKind::UnknownUnit,
    DataIssueKind::UnresolvedMedication,
];

/// The one place the tests call into the mapping: request JSON in, facts out (through the
/// project's one request parser, so the generated request is also checked as a service call).
fn facts_of(request: &Value, today: Date) -> Facts {
    mapped_of(request, today).facts
}

fn mapped_of(request: &Value, today: Date) -> MappedRequest {
    let call = HookCall::parse(request.to_string().as_bytes()).unwrap();
    // Records beyond the service's per-call limit (`max_resources`) are read here on purpose:
    // the mapping itself must stay exact at any size.
    let config = MappingConfig {
        max_resources: usize::MAX,
        ..MappingConfig::default()
    };
    Mapper::new(config, Terminology::embedded())
        .map(&call, today)
        .unwrap()
}

fn dec(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

fn spec_of(seed: u64, resources: usize) -> RecordSpec {
    RecordSpec {
        resources,
        ..RecordSpec::standard(seed)
    }
}

/// The resources of one prefetch Bundle.
fn bundle_resources<'a>(request: &'a Value, key: &str) -> Vec<&'a Value> {
    request["prefetch"][key]["entry"]
        .as_array()
        .unwrap_or_else(|| panic!("prefetch '{key}' has no entries"))
        .iter()
        .map(|entry| &entry["resource"])
        .collect()
}

/// Every prefetch resource, the Patient first.
fn prefetch_resources(request: &Value) -> Vec<&Value> {
    let mut resources = vec![&request["prefetch"]["patient"]];
    for (key, _) in PREFETCH_BUNDLES {
        resources.extend(bundle_resources(request, key));
    }
    resources
}

/// The make-up counted from the JSON itself.
fn counted_make_up(request: &Value) -> MakeUp {
    let count = |key| bundle_resources(request, key).len();
    let observations = bundle_resources(request, "observations");
    let with_loinc = |loinc: &[&str]| {
        observations
            .iter()
            .filter(|observation| loinc.contains(&loinc_of(observation)))
            .count()
    };
    MakeUp {
        patients: usize::from(request["prefetch"]["patient"]["resourceType"] == "Patient"),
        conditions: count("conditions"),
        procedures: count("procedures"),
        medication_administrations: count("medicationAdministrations"),
        medication_statements: count("medicationStatements"),
        medication_requests: count("medicationRequests"),
        body_weights: with_loinc(&["29463-7"]),
        body_heights: with_loinc(&["8302-2"]),
        body_surface_areas: with_loinc(&["8277-6"]),
        hepatitis_b_tests: with_loinc(&["5196-1", "13952-7"]),
        observations_outside_value_sets: observations
            .iter()
            .filter(|observation| !VALUE_SET_LOINC.contains(&loinc_of(observation)))
            .count(),
    }
}

fn loinc_of(observation: &Value) -> &str {
    let coding = &observation["code"]["coding"][0];
    assert_eq!(coding["system"], "http://loinc.org");
    coding["code"].as_str().unwrap()
}

/// What every generated record must say, whatever its size: OMS relapsed, a full rituximab
/// course long enough ago, usable body size, hepatitis B screened, neuroblastoma resected, the
/// draft rituximab order in play, and nothing dropped.
fn assert_intended_facts(facts: &Facts, label: &str) {
    let dropped: Vec<_> = facts
        .issues
        .iter()
        .filter(|issue| DROPPED.contains(&issue.kind))
        .collect();
    assert!(
        dropped.is_empty(),
        "{label}: resources dropped: {dropped:#?}"
    );

    let OmsDiagnosis::Confirmed(oms) = &facts.oms else {
        panic!("{label}: OMS not confirmed: {:?}", facts.oms);
    };
    assert_eq!(oms.status, ClinicalStatus::Relapse, "{label}");
    assert!(oms.is_relapsed(), "{label}");
    assert_eq!(oms.reference.as_str(), "Condition/cond-1", "{label}");
    let relapse = oms.relapse_date.unwrap();
    assert!(facts.today - relapse <= time::Duration::days(7), "{label}");

    let doses = facts.rituximab.events();
    assert_eq!(doses.len(), 4, "{label}: rituximab doses {doses:#?}");
    let course_days = (doses[3].date - doses[0].date).whole_days();
    assert_eq!(course_days, 21, "{label}: four weekly doses");
    assert!(
        doses
            .iter()
            .all(|dose| matches!(dose.amount, Some(DoseAmount::Milligrams(mg)) if (dec("200")..=dec("400")).contains(&mg))),
        "{label}: rituximab doses in mg: {doses:#?}"
    );
    let months_since_course = (facts.today - doses[3].date).whole_days() / 30;
    assert!(months_since_course >= 6, "{label}: course too recent");
    assert!(facts.cyclophosphamide.is_empty(), "{label}");
    assert!(
        facts.oral_steroid.is_none(),
        "{label}: no current oral steroid"
    );

    let (weight, _) = facts.body.weight.usable().expect("a usable weight");
    let (height, _) = facts.body.height.usable().expect("a usable height");
    assert!(
        facts.today - weight.date <= time::Duration::days(14),
        "{label}"
    );
    assert!(
        facts.today - height.date <= time::Duration::days(14),
        "{label}"
    );
    assert!(
        (dec("15")..=dec("28")).contains(&weight.value.value()),
        "{label}: {weight:?}"
    );
    assert!(
        (dec("100")..=dec("130")).contains(&height.value.value()),
        "{label}: {height:?}"
    );
    let BodySurfaceArea::Computed { value, .. } = &facts.body.bsa else {
        panic!("{label}: no computed BSA: {:?}", facts.body.bsa);
    };
    assert!(
        (dec("0.6")..=dec("1.0")).contains(&value.value()),
        "{label}: BSA {value:?}"
    );

    assert!(
        facts.hepatitis_b.is_complete(),
        "{label}: {:?}",
        facts.hepatitis_b
    );
    assert!(facts.neuroblastoma.resected, "{label}");
    assert!(facts.neuroblastoma.workup_on_record, "{label}");
    assert!(!facts.neuroblastoma.present, "{label}: in remission");
    assert!(facts.fertility_concern.is_empty(), "{label}");

    let age = facts.patient.age.unwrap();
    assert_eq!(age.years, 6, "{label}");

    assert_eq!(facts.orders.len(), 1, "{label}: one order in play");
    let order = &facts.orders[0];
    assert_eq!(order.medication, MedicationClass::Rituximab, "{label}");
    assert_eq!(order.route, Some(Route::Intravenous), "{label}");
    assert!(
        matches!(order.dose, Some(DoseAmount::Milligrams(_))),
        "{label}"
    );
}

#[test]
fn the_same_spec_gives_byte_identical_json() {
    for spec in [
        RecordSpec::standard(7),
        spec_of(7, 2_000),
        RecordSpec {
            hook: Hook::OrderSign,
            ..RecordSpec::standard(7)
        },
    ] {
        let first = serde_json::to_string(&generate(&spec)).unwrap();
        let second = serde_json::to_string(&generate(&spec)).unwrap();
        assert_eq!(first, second, "{spec:?}");
    }
}

#[test]
fn different_seeds_give_different_values_with_the_same_make_up() {
    let one = generate(&RecordSpec::standard(1));
    let two = generate(&RecordSpec::standard(2));
    assert_ne!(one["hookInstance"], two["hookInstance"]);
    assert_ne!(one["context"]["patientId"], two["context"]["patientId"]);
    assert_ne!(
        one["prefetch"]["patient"]["birthDate"],
        two["prefetch"]["patient"]["birthDate"]
    );
    let values = |request: &Value| -> Vec<Value> {
        bundle_resources(request, "observations")
            .into_iter()
            .map(|observation| observation["valueQuantity"]["value"].clone())
            .collect()
    };
    assert_ne!(values(&one), values(&two));
    assert_eq!(counted_make_up(&one), counted_make_up(&two));
}

#[test]
fn the_standard_record_has_383_prefetch_resources_of_which_333_observations() {
    let spec = RecordSpec::standard(1);
    let request = generate(&spec);
    assert_eq!(prefetch_resources(&request).len(), 383);
    assert_eq!(bundle_resources(&request, "observations").len(), 333);
    let stated = make_up(&spec);
    assert_eq!(stated.prefetch_resources(), 383);
    assert_eq!(stated.observations(), 333);
    assert_eq!(counted_make_up(&request), stated);
}

#[test]
fn the_stated_make_up_matches_the_json_at_every_size() {
    for resources in [
        RecordSpec::MIN_RESOURCES,
        100,
        200,
        383,
        384,
        500,
        2_000,
        10_000,
    ] {
        let spec = spec_of(3, resources);
        let request = generate(&spec);
        let stated = make_up(&spec);
        assert_eq!(stated.prefetch_resources(), resources, "{resources}");
        assert_eq!(counted_make_up(&request), stated, "{resources}");
        assert_eq!(prefetch_resources(&request).len(), resources);
    }
    // Below the minimum the record keeps its clinical core.
    let tiny = spec_of(3, 10);
    assert_eq!(
        make_up(&tiny).prefetch_resources(),
        RecordSpec::MIN_RESOURCES
    );
}

#[test]
fn bundles_are_searchsets_with_totals_full_urls_and_unique_ids() {
    let request = generate(&spec_of(5, 2_000));
    let patient = &request["prefetch"]["patient"];
    let patient_reference = format!("Patient/{}", patient["id"].as_str().unwrap());
    assert_eq!(
        patient_reference,
        format!(
            "Patient/{}",
            request["context"]["patientId"].as_str().unwrap()
        )
    );
    let mut references = BTreeSet::new();
    for (key, resource_type) in PREFETCH_BUNDLES {
        let bundle = &request["prefetch"][key];
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "searchset");
        let entries = bundle["entry"].as_array().unwrap();
        assert_eq!(bundle["total"], entries.len());
        for entry in entries {
            let resource = &entry["resource"];
            assert_eq!(resource["resourceType"], resource_type);
            let id = resource["id"].as_str().unwrap();
            assert_eq!(
                entry["fullUrl"],
                format!("https://ehr.example/fhir/{resource_type}/{id}")
            );
            assert_eq!(entry["search"]["mode"], "match");
            assert_eq!(resource["subject"]["reference"], patient_reference.as_str());
            assert!(
                references.insert(format!("{resource_type}/{id}")),
                "duplicate {resource_type}/{id}"
            );
        }
    }
}

#[test]
fn the_context_names_the_one_draft_rituximab_order() {
    let spec = RecordSpec::standard(11);
    let request = generate(&spec);
    assert_eq!(request["hook"], "order-select");
    let instance = request["hookInstance"].as_str().unwrap();
    let groups: Vec<usize> = instance.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{instance}");
    let context = &request["context"];
    assert!(context["userId"]
        .as_str()
        .unwrap()
        .starts_with("Practitioner/"));
    assert!(context["encounterId"].is_string());
    let drafts = context["draftOrders"]["entry"].as_array().unwrap();
    assert_eq!(context["draftOrders"]["type"], "collection");
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0]["resource"];
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["intent"], "order");
    assert_eq!(draft["authoredOn"], "2026-11-25");
    assert_eq!(
        draft["medicationCodeableConcept"]["coding"][0]["code"],
        "121191"
    );
    let selection = format!("MedicationRequest/{}", draft["id"].as_str().unwrap());
    assert_eq!(context["selections"], serde_json::json!([selection]));

    let signed = generate(&RecordSpec {
        hook: Hook::OrderSign,
        ..spec
    });
    assert_eq!(signed["hook"], "order-sign");
    assert!(signed["context"].get("selections").is_none());
    assert_eq!(signed["prefetch"], request["prefetch"]);
}

#[test]
fn the_standard_record_maps_with_nothing_dropped_to_the_intended_facts() {
    let spec = RecordSpec::standard(1);
    let facts = facts_of(&generate(&spec), spec.today);
    assert_intended_facts(&facts, "standard");
    assert!(
        facts.issues.is_empty(),
        "the standard record raises no data issue: {:#?}",
        facts.issues
    );
}

#[test]
fn only_the_observations_in_the_value_sets_are_parsed_the_rest_of_the_chart_is_counted() {
    for resources in [RecordSpec::STANDARD_RESOURCES, 2_000] {
        let spec = spec_of(1, resources);
        let mapped = mapped_of(&generate(&spec), spec.today);
        assert_eq!(
            mapped.unparsed_resources,
            make_up(&spec).observations_outside_value_sets,
            "{resources} resources"
        );
        assert_intended_facts(&mapped.facts, &format!("{resources} resources"));
    }
}

#[test]
fn scaled_records_map_with_nothing_dropped_to_the_same_facts() {
    for resources in [RecordSpec::MIN_RESOURCES, 2_000, 10_000] {
        for seed in [1, 99] {
            let spec = spec_of(seed, resources);
            let facts = facts_of(&generate(&spec), spec.today);
            assert_intended_facts(&facts, &format!("{resources} resources, seed {seed}"));
        }
    }
}

#[test]
fn many_seeds_map_to_the_intended_facts() {
    for seed in 0..40 {
        let spec = RecordSpec::standard(seed);
        let facts = facts_of(&generate(&spec), spec.today);
        assert_intended_facts(&facts, &format!("seed {seed}"));
    }
}

#[test]
fn order_sign_records_map_the_draft_as_the_order_in_play() {
    let spec = RecordSpec {
        hook: Hook::OrderSign,
        ..RecordSpec::standard(4)
    };
    let facts = facts_of(&generate(&spec), spec.today);
    assert_eq!(facts.hook, Hook::OrderSign);
    assert_intended_facts(&facts, "order-sign");
}

#[test]
fn the_standard_record_gets_the_rituximab_redose_primary_card_and_nothing_else() {
    let spec = RecordSpec::standard(1);
    let facts = facts_of(&generate(&spec), spec.today);
    let cards = cards::evaluate(&facts, &ClinicalConfig::default());
    let topics: Vec<&str> = cards.iter().map(|card| card.topic.code()).collect();
    let primary: Vec<_> = cards.iter().filter(|card| card.is_primary).collect();
    assert_eq!(primary.len(), 1, "{topics:?}");
    assert_eq!(primary[0].topic, Topic::RituximabRedose, "{topics:?}");
    // The draft dose is the computed dose and every safety check is satisfied.
    assert_eq!(topics, ["rituximab-redose"]);
}

#[test]
fn observations_are_newest_first_and_the_clinical_ones_are_where_intended() {
    let spec = RecordSpec::standard(8);
    let request = generate(&spec);
    let observations = bundle_resources(&request, "observations");
    let dates: Vec<&str> = observations
        .iter()
        .map(|observation| observation["effectiveDateTime"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|pair| pair[0] >= pair[1]));
    assert!(dates.iter().all(|date| *date < "2026-11-25"));
    assert!(dates.iter().all(|date| *date > "2023-11-25"));

    let mut by_code: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for observation in &observations {
        assert_eq!(observation["status"], "final");
        let category = observation["category"][0]["coding"][0]["code"]
            .as_str()
            .unwrap();
        assert!(matches!(category, "vital-signs" | "laboratory"));
        assert!(observation["code"]["text"].is_string());
        by_code
            .entry(loinc_of(observation))
            .or_default()
            .push(observation);
    }
    // HBsAg and anti-HBc: negative, one of each within the past year.
    for loinc in ["5196-1", "13952-7"] {
        let results = &by_code[loinc];
        assert_eq!(results.len(), 2);
        for result in results {
            assert_eq!(
                result["valueCodeableConcept"]["coding"][0]["code"],
                "260385009"
            );
            assert_eq!(result["interpretation"][0]["coding"][0]["code"], "N");
        }
        assert!(results[0]["effectiveDateTime"].as_str().unwrap() > "2025-11-25");
    }
    // Every quantity carries a UCUM unit.
    for observation in &observations {
        if let Some(quantity) = observation.get("valueQuantity") {
            assert_eq!(quantity["system"], "http://unitsofmeasure.org");
            assert!(quantity["code"].is_string() && quantity["value"].is_number());
        }
    }
    // Weights grow with the child: the latest above the oldest.
    let weights = &by_code["29463-7"];
    let kg = |observation: &Value| observation["valueQuantity"]["value"].as_f64().unwrap();
    assert!(kg(weights[0]) > kg(weights[weights.len() - 1]) + 3.0);
}

#[test]
fn a_ten_thousand_resource_record_is_generated_in_linear_time() {
    let start = Instant::now();
    let request = generate(&spec_of(1, 10_000));
    let elapsed = start.elapsed();
    assert_eq!(prefetch_resources(&request).len(), 10_000);
    // No assertion on time (machines differ); printed for the curious with --nocapture.
    println!("10,000 resources generated in {elapsed:?}");
}

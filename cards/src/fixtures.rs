//! Hand-built facts for unit and property tests: a relapsed 5-year-old with fresh vitals
//! (BSA 0.72 m2), hepatitis B screening and a neuroblastoma work-up, and one selected IV rituximab
//! draft. Tests change what they need.

use fhir_mapping::proposal::{MedicationDosage, ProposedAction, ProposedOrder};
use fhir_mapping::{
    Age, BodyMeasurements, BodySurfaceArea, BsaFormula, Centimetres, ClinicalStatus, DoseAmount,
    DoseEvent, DoseHistory, DoseKnownFrom, Facts, FhirRef, HepatitisBScreening, Hook, Kilograms,
    LabResult, Measured, Measurement, MedicationClass, NeuroblastomaFacts, OmsCondition,
    OmsDiagnosis, OrderInPlay, OrderIndication, PatientFacts, Reading, ResultStatus, Route,
    SquareMetres,
};
use time::macros::date;
use time::Date;

/// The evaluation date of every fixture.
pub const TODAY: Date = date!(2026 - 11 - 25);

/// The fixture facts.
pub fn facts() -> Facts {
    Facts {
        today: TODAY,
        hook: Hook::OrderSelect,
        patient: PatientFacts {
            reference: FhirRef::new("Patient", "pat-1"),
            age: Some(Age {
                years: 5,
                months: 4,
            }),
            sex: None,
            deceased: false,
        },
        oms: OmsDiagnosis::Confirmed(OmsCondition {
            reference: FhirRef::new("Condition", "cond-oms-1"),
            status: ClinicalStatus::Relapse,
            severity: None,
            relapse_date: Some(date!(2026 - 11 - 20)),
            verification: fhir_mapping::VerificationStatus::Confirmed,
            onset: Some(date!(2024 - 03 - 12)),
        }),
        neuroblastoma: NeuroblastomaFacts {
            present: false,
            latest_onset: None,
            resected: false,
            resection_date: None,
            workup_on_record: true,
            latest_workup: Some(date!(2024 - 03 - 20)),
            references: vec![FhirRef::new("Observation", "obs-vma")],
        },
        rituximab: DoseHistory::default(),
        cyclophosphamide: DoseHistory::default(),
        oral_steroid: None,
        fertility_concern: Vec::new(),
        rituximab_reactions: Vec::new(),
        pregnancy: fhir_mapping::Pregnancy::NotKnown,
        adult_tumour_workup: None,
        hepatitis_b: HepatitisBScreening {
            hbsag: Some(LabResult {
                date: date!(2026 - 09 - 14),
                status: ResultStatus::Negative,
                source: FhirRef::new("Observation", "hbsag"),
            }),
            anti_hbc: Some(LabResult {
                date: date!(2026 - 09 - 14),
                status: ResultStatus::Negative,
                source: FhirRef::new("Observation", "hbc"),
            }),
        },
        body: body(18.0, 105.0, 0.72),
        orders: vec![order("draft-1", MedicationClass::Rituximab, None)],
        orders_for_other_indications: Vec::new(),
        issues: Vec::new(),
    }
}

/// Fresh, plausible weight and height with the BSA the mapping would compute (given already
/// rounded, as the mapping rounds it once).
pub fn body(weight_kg: f64, height_cm: f64, bsa_m2: f64) -> BodyMeasurements {
    let weight = Reading {
        measured: Measured {
            value: Kilograms::parse(&weight_kg.to_string()).unwrap(),
            date: date!(2026 - 11 - 20),
        },
        source: FhirRef::new("Observation", "obs-weight"),
    };
    let height = Reading {
        measured: Measured {
            value: Centimetres::parse(&height_cm.to_string()).unwrap(),
            date: date!(2026 - 10 - 02),
        },
        source: FhirRef::new("Observation", "obs-height"),
    };
    let bsa = SquareMetres::parse(&bsa_m2.to_string()).unwrap();
    BodyMeasurements {
        weight: Measurement::Usable {
            measured: weight.measured,
            source: weight.source.clone(),
        },
        height: Measurement::Usable {
            measured: height.measured,
            source: height.source.clone(),
        },
        bsa: BodySurfaceArea::Computed {
            value: bsa,
            unrounded: bsa,
            formula: BsaFormula::Mosteller,
            weight,
            height,
        },
    }
}

/// A draft order in play, IV, with an optional dose.
pub fn order(id: &str, medication: MedicationClass, dose: Option<DoseAmount>) -> OrderInPlay {
    OrderInPlay {
        reference: FhirRef::new("MedicationRequest", id),
        medication,
        route: Some(Route::Intravenous),
        dose,
        timing: None,
        indication: OrderIndication::NotStated,
    }
}

/// Weekly doses from `first`.
pub fn weekly(first: Date, count: u32) -> DoseHistory {
    DoseHistory::new(
        (0..count)
            .map(|week| {
                let date = first + time::Duration::weeks(i64::from(week));
                DoseEvent {
                    date,
                    amount: None,
                    source: FhirRef::new("MedicationAdministration", &format!("m{week}")),
                    known_from: DoseKnownFrom::Given,
                    indication: OrderIndication::NotStated,
                }
            })
            .collect(),
    )
}

/// Doses on the given dates.
pub fn on(dates: &[Date], resource: &str) -> DoseHistory {
    DoseHistory::new(
        dates
            .iter()
            .map(|date| DoseEvent {
                date: *date,
                amount: None,
                source: FhirRef::new(resource, &date.to_string()),
                known_from: DoseKnownFrom::Given,
                indication: OrderIndication::NotStated,
            })
            .collect(),
    )
}

/// Evaluates the facts with the default configuration.
pub fn evaluate(facts: &Facts) -> Vec<crate::Card> {
    crate::evaluate(facts, &crate::ClinicalConfig::default())
}

/// The card of a topic, if present.
pub fn find(cards: &[crate::Card], topic: crate::Topic) -> Option<&crate::Card> {
    cards.iter().find(|card| card.topic == topic)
}

/// The topics of the cards, in order.
pub fn topics(cards: &[crate::Card]) -> Vec<crate::Topic> {
    cards.iter().map(|card| card.topic).collect()
}

/// Every action of a card's suggestions, in order.
pub fn actions(card: &crate::Card) -> Vec<&ProposedAction> {
    card.suggestions
        .iter()
        .flat_map(|suggestion| suggestion.actions.iter())
        .collect()
}

/// The orders a card's suggestions create, in order.
pub fn created(card: &crate::Card) -> Vec<&ProposedOrder> {
    actions(card)
        .into_iter()
        .filter_map(|action| match action {
            ProposedAction::Create { order, .. } => Some(order),
            _ => None,
        })
        .collect()
}

/// The dosages a card's suggestions order (created MedicationRequests and updates), in order.
pub fn dosages(card: &crate::Card) -> Vec<&MedicationDosage> {
    actions(card)
        .into_iter()
        .filter_map(ProposedAction::dosage)
        .collect()
}

/// The ServiceRequests a card's suggestions create, in order.
pub fn services(card: &crate::Card) -> Vec<&fhir_mapping::proposal::ServiceOrder> {
    created(card)
        .into_iter()
        .filter_map(|order| match order {
            ProposedOrder::Service(service) => Some(service),
            ProposedOrder::Medication(_) => None,
        })
        .collect()
}

/// A decimal from text, for expected doses.
pub fn dec(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

/// The first suggested dose in mg, as text.
pub fn first_dose_mg(card: &crate::Card) -> Option<String> {
    dosages(card)
        .first()
        .map(|dosage| dosage.dose.value().normalize().to_string())
}

pub use crate::amounts::mentions_mg_amount;

/// The text without its "configured cap" lines: a cap is a limit, not a computed amount, and may
/// be shown without usable measurements (precision rule 4).
fn without_configured_caps(text: &str) -> String {
    text.lines()
        .filter(|line| !line.starts_with("- configured caps: "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether any card shows an mg amount anywhere: summary, detail, or a suggested dose (a
/// configured cap is not an amount).
pub fn any_mg_amount(cards: &[crate::Card]) -> bool {
    cards.iter().any(|card| {
        // A cap report quotes the ordered amount and the cap, never a computed one (precision
        // rule 4): only its suggestions (none) and "computed" figures would count.
        if card.topic == crate::Topic::DoseCheck && !card.detail.contains("computed") {
            return !card.suggestions.is_empty();
        }
        mentions_mg_amount(&card.summary)
            || mentions_mg_amount(&without_configured_caps(&card.detail))
            || card.suggestions.iter().any(|suggestion| {
                suggestion
                    .actions
                    .iter()
                    .any(|action| mentions_mg_amount(action.description()))
            })
            || first_dose_mg(card).is_some()
    })
}

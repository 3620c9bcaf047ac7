//! Property tests of the whole evaluation over generated facts: when the service speaks it gives
//! exactly one primary card; no card shows an mg amount without a usable BSA/weight; suggested doses
//! never exceed their caps; no card changes a draft another card removes, and no drug is ordered
//! by two cards.

use fhir_mapping::{
    Age, BodySurfaceArea, BsaFormula, Centimetres, ClinicalStatus, DoseEvent, DoseHistory, Facts,
    FhirRef, Hook, Kilograms, Measured, Measurement, MedicationClass, OmsCondition, OmsDiagnosis,
    Reading, Severity, SquareMetres,
};
use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use time::Duration;

use crate::card::Topic;
use crate::fixtures::{self, any_mg_amount, TODAY};
use fhir_mapping::proposal::{ProposedAction, ProposedOrder};

const CLASSES: [MedicationClass; 6] = [
    MedicationClass::Rituximab,
    MedicationClass::RituximabSubcutaneous,
    MedicationClass::Cyclophosphamide,
    MedicationClass::Dexamethasone,
    MedicationClass::Methylprednisolone,
    MedicationClass::Prednisone,
];

fn history(days_ago: Vec<i64>, resource: &str) -> DoseHistory {
    DoseHistory::new(
        days_ago
            .into_iter()
            .map(|days| DoseEvent {
                date: TODAY - Duration::days(days),
                amount: None,
                source: FhirRef::new(resource, &days.to_string()),
                known_from: fhir_mapping::DoseKnownFrom::Given,
                indication: fhir_mapping::OrderIndication::NotStated,
            })
            .collect(),
    )
}

fn weight(state: u8, kg: Kilograms) -> Measurement<Kilograms> {
    let measured = Measured {
        value: kg,
        date: TODAY - Duration::days(3),
    };
    let source = FhirRef::new("Observation", "w");
    match state {
        0 => Measurement::Missing,
        1 => Measurement::Stale {
            measured,
            source,
            max_age_days: 30,
        },
        2 => Measurement::Implausible {
            measured,
            source,
            range: (
                Kilograms::parse("2").unwrap(),
                Kilograms::parse("250").unwrap(),
            ),
        },
        _ => Measurement::Usable { measured, source },
    }
}

fn height(state: u8, cm: Centimetres) -> Measurement<Centimetres> {
    let measured = Measured {
        value: cm,
        date: TODAY - Duration::days(30),
    };
    let source = FhirRef::new("Observation", "h");
    match state {
        0 => Measurement::Missing,
        1 => Measurement::Stale {
            measured,
            source,
            max_age_days: 180,
        },
        _ => Measurement::Usable { measured, source },
    }
}

prop_compose! {
    fn generated_facts()(
        rituximab in prop::collection::vec(0i64..1500, 0..9),
        cyclophosphamide in prop::collection::vec(0i64..900, 0..4),
        relapse_days_ago in prop::option::of(0i64..400),
        status in 0u8..4,
        weight_state in 0u8..6,
        height_state in 0u8..4,
        kg_tenths in 30i64..1400,
        cm_tenths in 500i64..2000,
        observed_bsa in prop::option::of(15u32..250),
        orders in prop::collection::vec(0usize..CLASSES.len(), 0..4),
        age in prop::option::of(0u32..60),
        order_sign in any::<bool>(),
        severe in any::<bool>(),
        fertility in any::<bool>(),
        ordered_mg in prop::option::of(1u32..3000),
    ) -> Facts {
        let mut facts = fixtures::facts();
        facts.rituximab = history(rituximab, "MedicationAdministration");
        facts.cyclophosphamide = history(cyclophosphamide, "MedicationStatement");
        let status = [ClinicalStatus::Relapse, ClinicalStatus::Recurrence, ClinicalStatus::Remission, ClinicalStatus::Active][usize::from(status)];
        facts.oms = OmsDiagnosis::Confirmed(OmsCondition {
            reference: FhirRef::new("Condition", "oms"),
            status,
            severity: severe.then_some(Severity::Severe),
            relapse_date: relapse_days_ago.map(|days| TODAY - Duration::days(days)),
            verification: fhir_mapping::VerificationStatus::Confirmed,
            onset: None,
        });
        let kg = Kilograms::new(Decimal::new(kg_tenths, 1)).unwrap();
        let cm = Centimetres::new(Decimal::new(cm_tenths, 1)).unwrap();
        facts.body.weight = weight(weight_state, kg);
        facts.body.height = height(height_state, cm);
        facts.body.bsa = match (facts.body.weight.usable(), facts.body.height.usable(), observed_bsa) {
            (Some((w, ws)), Some((h, hs)), _) => {
                let product = (h.value.value() * w.value.value()).to_f64().unwrap();
                let bsa = Decimal::from_f64_retain((product / 3600.0).sqrt()).unwrap().round_dp(2);
                let bsa = SquareMetres::new(bsa).unwrap();
                let weight = Reading { measured: w, source: ws.clone() };
                let height = Reading { measured: h, source: hs.clone() };
                BodySurfaceArea::Computed { value: bsa, unrounded: bsa, formula: BsaFormula::Mosteller, weight, height }
            }
            (_, _, Some(hundredths)) => BodySurfaceArea::Observed {
                measured: Measured { value: SquareMetres::new(Decimal::new(i64::from(hundredths), 2)).unwrap(), date: TODAY },
                source: FhirRef::new("Observation", "bsa"),
            },
            _ => BodySurfaceArea::Unavailable,
        };
        facts.orders = orders
            .into_iter()
            .enumerate()
            .map(|(index, class)| {
                let dose = ordered_mg.map(|mg| fhir_mapping::DoseAmount::Milligrams(Decimal::from(mg)));
                fixtures::order(&format!("draft-{index}"), CLASSES[class], dose)
            })
            .collect();
        facts.patient.age = age.map(|years| Age { years, months: 0 });
        facts.hook = if order_sign { Hook::OrderSign } else { Hook::OrderSelect };
        if fertility {
            facts.fertility_concern = vec![FhirRef::new("Condition", "fert")];
        }
        facts
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn exactly_one_primary_card_whenever_the_service_speaks(facts in generated_facts()) {
        let cards = fixtures::evaluate(&facts);
        let relapsed = matches!(&facts.oms, OmsDiagnosis::Confirmed(oms) if oms.is_relapsed());
        if facts.orders.is_empty() || !relapsed {
            prop_assert!(cards.is_empty());
        } else {
            prop_assert_eq!(cards.iter().filter(|card| card.is_primary).count(), 1);
            let mut seen = std::collections::HashSet::new();
            prop_assert!(cards.iter().all(|card| seen.insert(card.topic)), "a topic appeared twice");
        }
    }

    #[test]
    fn no_card_shows_an_mg_amount_without_a_usable_bsa_or_weight(facts in generated_facts()) {
        let cards = fixtures::evaluate(&facts);
        let withheld = cards.iter().any(|card| card.topic == Topic::MissingBodyMeasurements);
        let nothing_usable = facts.body.bsa.value().is_none() && facts.body.weight.usable().is_none();
        if withheld || nothing_usable {
            prop_assert!(!any_mg_amount(&cards), "{:#?}", cards.iter().map(|c| (&c.summary, &c.detail)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn no_two_cards_contradict_or_repeat_each_other(facts in generated_facts()) {
        let cards = fixtures::evaluate(&facts);
        for card in &cards {
            for other in cards.iter().filter(|other| other.topic != card.topic) {
                let removed: Vec<&FhirRef> = fixtures::actions(other)
                    .into_iter()
                    .filter(|action| action.kind() == crate::ActionKind::Delete)
                    .filter_map(ProposedAction::target)
                    .collect();
                for action in fixtures::actions(card).into_iter().filter(|a| a.kind() == crate::ActionKind::Update) {
                    let target = action.target().unwrap();
                    prop_assert!(!removed.contains(&target), "{:?} updates {target}, which {:?} deletes", card.topic, other.topic);
                }
                let drugs = |card: &crate::Card| -> std::collections::BTreeSet<&'static str> {
                    fixtures::created(card)
                        .into_iter()
                        .filter_map(|order| match order {
                            ProposedOrder::Medication(order) => Some(order.drug.name()),
                            ProposedOrder::Service(_) => None,
                        })
                        .collect()
                };
                let shared: Vec<_> = drugs(card).intersection(&drugs(other)).cloned().collect();
                prop_assert!(shared.is_empty(), "{:?} and {:?} both create {shared:?}", card.topic, other.topic);
            }
        }
    }

    #[test]
    fn suggested_doses_never_exceed_their_caps(facts in generated_facts()) {
        let cards = fixtures::evaluate(&facts);
        for card in &cards {
            for (code, mg) in suggested_doses(card, &facts) {
                let cap = match code {
                    "121191" | "6902" => 1000.0,
                    "3002" => 1000.0 * facts.body.bsa.value().and_then(|bsa| bsa.value().to_f64()).unwrap_or(0.0),
                    _ => f64::INFINITY,
                };
                prop_assert!(mg <= cap + 1e-9, "{code}: {mg} mg above the cap {cap}");
            }
        }
    }
}

/// Each suggested dose with its drug's RxNorm code: a created order's drug, or the class of
/// the draft an update corrects.
fn suggested_doses(card: &crate::Card, facts: &fhir_mapping::Facts) -> Vec<(&'static str, f64)> {
    fixtures::actions(card)
        .into_iter()
        .filter_map(|action| {
            let code = match action {
                ProposedAction::Create {
                    order: ProposedOrder::Medication(order),
                    ..
                } => order.drug.rxnorm().unwrap_or("other"),
                ProposedAction::Update { target, .. } => {
                    let order = facts
                        .orders
                        .iter()
                        .find(|order| &order.reference == target)?;
                    order.medication.rxnorm().unwrap_or("other")
                }
                _ => return None,
            };
            let mg = action.dosage()?.dose.value().to_string().parse().ok()?;
            Some((code, mg))
        })
        .collect()
}

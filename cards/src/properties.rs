//! Property tests of the whole evaluation over generated facts: when the service speaks it gives
//! exactly one primary card; no card shows an mg amount without a usable BSA/weight; suggested doses
//! never exceed their caps; no card changes a draft another card removes, and no drug is ordered
//! by two cards.

use fhir_mapping::{
    Age, BodySurfaceArea, BsaFormula, Centimetres, ClinicalStatus, DoseEvent, DoseHistory, Facts,
    FhirRef, Hook, Kilograms, Measured, Measurement, MedicationClass, OmsCondition, OmsDiagnosis,
    OrderInPlay, OrderIndication, OrderTiming, Reading, Route, Severity, SquareMetres,
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
        dose_units in prop::collection::vec(0u8..3, 4),
        timings in prop::collection::vec(0u8..5, 4),
        routes in prop::collection::vec(0u8..3, 4),
        other_indication in prop::collection::vec(any::<bool>(), 4),
        pregnant in any::<bool>(),
        reaction in any::<bool>(),
        regimen_pulses in 0usize..7,
        female in any::<bool>(),
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
        let all_orders: Vec<OrderInPlay> = orders
            .into_iter()
            .enumerate()
            .map(|(index, class)| {
                // mg, mg/kg or mg/m2 (precision rule 3 converts the last two).
                let dose = ordered_mg.map(|amount| match dose_units[index] {
                    0 => fhir_mapping::DoseAmount::Milligrams(Decimal::from(amount)),
                    1 => fhir_mapping::DoseAmount::MilligramsPerKilogram(Decimal::new(i64::from(amount), 2)),
                    _ => fhir_mapping::DoseAmount::MilligramsPerSquareMetre(Decimal::from(amount)),
                });
                let mut order = fixtures::order(&format!("draft-{index}"), CLASSES[class], dose);
                // Once, no timing, daily, twice daily, weekly.
                order.timing = match timings[index] {
                    0 => Some(OrderTiming { frequency: 1, period_days: None, count: Some(1), single_administration: true }),
                    1 => None,
                    2 => Some(OrderTiming { frequency: 1, period_days: Some(Decimal::ONE), count: Some(3), single_administration: false }),
                    3 => Some(OrderTiming { frequency: 2, period_days: Some(Decimal::ONE), count: Some(6), single_administration: false }),
                    _ => Some(OrderTiming { frequency: 1, period_days: Some(Decimal::from(7)), count: Some(4), single_administration: false }),
                };
                order.route = match routes[index] {
                    0 => Some(Route::Intravenous),
                    1 => Some(Route::Oral),
                    _ => None,
                };
                if other_indication[index] {
                    order.indication = OrderIndication::OtherCondition;
                }
                order
            })
            .collect();
        // The mapping keeps orders for another indication apart (they are never OMS orders).
        let (other, oms_orders): (Vec<_>, Vec<_>) = all_orders
            .into_iter()
            .partition(|order| order.indication == OrderIndication::OtherCondition);
        facts.orders = oms_orders;
        facts.orders_for_other_indications = other;
        if pregnant {
            facts.pregnancy = fhir_mapping::Pregnancy::Pregnant {
                date: TODAY - Duration::days(5),
                evidence: "hCG positive".to_owned(),
                source: FhirRef::new("Observation", "hcg"),
            };
        }
        if reaction {
            facts.rituximab_reactions = vec![fhir_mapping::DrugReaction {
                description: "Anaphylaxis".to_owned(),
                date: Some(TODAY - Duration::days(200)),
                recorded_as: fhir_mapping::ReactionRecord::RituximabReaction,
                source: FhirRef::new("AllergyIntolerance", "a"),
            }];
        }
        if regimen_pulses > 0 {
            // OMS pulses after the relapse date: a regimen in progress.
            let relapse = relapse_days_ago.unwrap_or(0);
            let pulses: Vec<i64> = (0..regimen_pulses as i64).map(|k| (relapse - 1 - 28 * k).max(0)).collect();
            facts.cyclophosphamide = history(pulses, "MedicationAdministration");
        }
        facts.patient.sex = Some(if female { fhir_mapping::Sex::Female } else { fhir_mapping::Sex::Male });
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
        let speaking_order = match &facts.oms {
            OmsDiagnosis::Confirmed(oms) => {
                let config = crate::ClinicalConfig::default();
                let assessment = crate::assessment::Assessment::new(&facts, oms, &config);
                facts.orders.iter().any(|order| assessment.order_speaks(order))
            }
            _ => false,
        };
        if !speaking_order || !relapsed {
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
    fn suggested_amounts_per_administration_day_never_exceed_their_caps(facts in generated_facts()) {
        let cards = fixtures::evaluate(&facts);
        for card in &cards {
            for (code, per_day) in suggested_doses(card, &facts) {
                // Per administration day, from the schedule the rendered FHIR timing carries.
                let cap = match code {
                    "121191" | "6902" => 1000.0,
                    "3002" => 1200.0,
                    "3264" => 40.0,
                    _ => f64::INFINITY,
                };
                prop_assert!(per_day <= cap + 1e-9, "{code}: {per_day} mg/day above the cap {cap}");
            }
        }
    }

    #[test]
    fn no_card_touches_an_order_given_for_another_indication(facts in generated_facts()) {
        let cards = fixtures::evaluate(&facts);
        let other: Vec<&FhirRef> = facts.orders_for_other_indications.iter().map(|order| &order.reference).collect();
        for card in &cards {
            for action in fixtures::actions(card) {
                if let Some(target) = action.target() {
                    prop_assert!(!other.contains(&target), "{:?} changes {target}", card.topic);
                }
            }
            for reference in &other {
                prop_assert!(!card.references.contains(reference), "{:?} cites {reference}", card.topic);
            }
        }
    }

    #[test]
    fn nothing_one_click_for_cyclophosphamide_or_dexamethasone_while_pregnant(facts in generated_facts()) {
        prop_assume!(matches!(facts.pregnancy, fhir_mapping::Pregnancy::Pregnant { .. }));
        let cards = fixtures::evaluate(&facts);
        for card in &cards {
            for (code, _) in suggested_doses(card, &facts) {
                prop_assert!(code != "3002" && code != "3264", "{:?} suggests {code} while pregnant", card.topic);
            }
            prop_assert!(card.topic != Topic::FertilityPreferRituximab);
        }
    }

    #[test]
    fn no_rituximab_suggestion_is_pre_selected_after_a_reaction(facts in generated_facts()) {
        prop_assume!(!facts.rituximab_reactions.is_empty());
        let cards = fixtures::evaluate(&facts);
        for card in &cards {
            for suggestion in card.suggestions.iter().filter(|s| s.is_recommended) {
                let creates_rituximab = suggestion.actions.iter().any(|action| matches!(
                    action,
                    ProposedAction::Create { order: ProposedOrder::Medication(order), .. } if order.drug.is_rituximab()
                ));
                prop_assert!(!creates_rituximab, "{:?} pre-selects rituximab", card.topic);
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
            let dosage = action.dosage()?;
            let mg: f64 = dosage.dose.value().to_string().parse().ok()?;
            // Administrations per day when the period is a day or less (precision rule 3).
            let schedule = &dosage.schedule;
            let per_day = match schedule.period_unit {
                fhir_mapping::proposal::PeriodUnit::Day if schedule.period <= 1 => {
                    f64::from(schedule.frequency) / f64::from(schedule.period.max(1))
                }
                _ => 1.0,
            };
            Some((code, mg * per_day))
        })
        .collect()
}

//! `fertility-prefer-rituximab` (section 4, additional cards): in very young patients or those
//! with fertility concerns, rituximab is preferred over cyclophosphamide (guideline, "Special
//! considerations"; evidence: guideline statement).

use fhir_mapping::MedicationClass;

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::{show, show_f64};
use crate::evidence::{GUIDELINE, ROSSOR_2022};
use crate::markdown::Detail;
use crate::proposal::{CardProposal, ProposedSuggestion};
use crate::regimen;
use crate::rules::{delete, dose_list, primary};

/// Fires when cyclophosphamide is ordered or proposed for a young patient or one with a
/// documented fertility concern.
pub fn apply(cards: &mut Vec<CardProposal>, assessment: &Assessment<'_>) {
    let cyclophosphamide_orders = assessment.orders_of(MedicationClass::Cyclophosphamide);
    let cyclophosphamide_in_play = !cyclophosphamide_orders.is_empty();
    let primary_is_pulses = assessment.primary == Topic::CyclophosphamideDexamethasonePulses;
    if !(cyclophosphamide_in_play || primary_is_pulses) {
        return;
    }
    let concern = &assessment.facts.fertility_concern;
    if !assessment.is_young() && concern.is_empty() {
        return;
    }

    let mut detail = Detail::new(
        "Rituximab is preferred over cyclophosphamide in young patients and in patients with \
         fertility concerns. Offer fertility counselling (and preservation where possible) before \
         any cyclophosphamide.",
    )
    .evidence(GUIDELINE)
    .evidence(ROSSOR_2022)
    .off_label();
    if assessment.is_young() {
        if let Some(age) = assessment.facts.patient.age {
            detail = detail.because(
                format!(
                    "young: {} years {} months (under {})",
                    age.years, age.months, assessment.config.adult_age_years
                ),
                Some(&assessment.facts.patient.reference),
            );
        }
    }
    if !concern.is_empty() {
        detail = detail.because_all("fertility concern documented", concern);
    }
    for order in &cyclophosphamide_orders {
        detail = detail.because("cyclophosphamide ordered", Some(&order.reference));
    }
    if primary_is_pulses {
        detail = detail.because(
            "the primary recommendation is cyclophosphamide + dexamethasone pulses",
            None,
        );
    }
    detail = detail.also(exposure_text(assessment));

    let mut card = CardProposal::new(
        Topic::FertilityPreferRituximab,
        Indicator::Warning,
        "Fertility: rituximab is preferred over cyclophosphamide; counsel on fertility before any cyclophosphamide",
        Detail::default(),
    );
    let primary_is_rituximab = matches!(
        assessment.primary,
        Topic::RituximabFullCourse | Topic::RituximabRedose | Topic::RituximabPartialPrior
    );
    if primary_is_rituximab && cyclophosphamide_in_play {
        if let Some(dose) = regimen::rituximab_dose(assessment) {
            let count = match assessment.primary {
                Topic::RituximabFullCourse => assessment.config.full_course_min_doses,
                _ => 1,
            };
            let dosage = regimen::rituximab_dosage(&dose, count, assessment.config);
            detail = detail.working(regimen::working(&dose));
            let mut actions: Vec<_> = cyclophosphamide_orders
                .iter()
                .map(|order| delete(order, "rituximab is preferred for fertility"))
                .collect();
            actions.extend(primary::rituximab_actions(assessment, dosage));
            card = card
                .suggest(
                    ProposedSuggestion::new("Replace cyclophosphamide with rituximab", actions)
                        .recommended(),
                )
                .selection(SelectionBehavior::AtMostOne);
        }
    }
    cards.push(CardProposal { detail, ..card });
}

/// The cumulative cyclophosphamide exposure on record. Recorded mg amounts are listed only when
/// mg amounts may be shown at all (see `Assessment`).
fn exposure_text(assessment: &Assessment<'_>) -> String {
    let pulses = assessment.facts.cyclophosphamide.events();
    if pulses.is_empty() {
        return "Cumulative cyclophosphamide exposure on record: none.".to_owned();
    }
    let mut text = format!(
        "Cumulative cyclophosphamide exposure on record: {} pulse(s): {}.",
        pulses.len(),
        dose_list(pulses)
    );
    let milligrams: Option<Vec<f64>> = pulses
        .iter()
        .map(|pulse| match pulse.amount {
            Some(fhir_mapping::DoseAmount::Milligrams(mg)) => Some(mg),
            _ => None,
        })
        .collect();
    if let (Some(amounts), true) = (milligrams, assessment.bsa.is_some()) {
        let total: rust_decimal::Decimal = amounts
            .iter()
            .filter_map(|mg| crate::dose::exact(*mg))
            .sum();
        let parts: Vec<String> = amounts
            .iter()
            .map(|mg| format!("{} mg", show_f64(*mg)))
            .collect();
        text.push_str(&format!(
            " Recorded amounts: {} = {} mg in total.",
            parts.join(" + "),
            show(total)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use crate::card::{ActionKind, Topic};
    use crate::fixtures::{self, evaluate, find};
    use fhir_mapping::{Age, FhirRef, MedicationClass};

    #[test]
    fn a_young_patient_with_a_cyclophosphamide_order_is_steered_to_rituximab() {
        let mut facts = fixtures::facts();
        facts.orders.push(fixtures::order(
            "draft-2",
            MedicationClass::Cyclophosphamide,
            None,
        ));
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::FertilityPreferRituximab).unwrap();
        let kinds: Vec<_> = card.suggestions[0]
            .actions
            .iter()
            .map(|action| action.kind)
            .collect();
        assert_eq!(kinds, vec![ActionKind::Delete, ActionKind::Update]);
        assert_eq!(
            card.suggestions[0].actions[0].resource_id.as_deref(),
            Some("MedicationRequest/draft-2")
        );
        assert!(card.detail.contains("`MedicationRequest/draft-2`"));
    }

    #[test]
    fn an_adult_without_a_fertility_concern_gets_no_fertility_card() {
        let mut facts = fixtures::facts();
        facts.patient.age = Some(Age {
            years: 30,
            months: 0,
        });
        facts.orders.push(fixtures::order(
            "draft-2",
            MedicationClass::Cyclophosphamide,
            None,
        ));
        assert!(find(&evaluate(&facts), Topic::FertilityPreferRituximab).is_none());
    }

    #[test]
    fn an_adult_with_a_documented_fertility_concern_gets_the_card_for_the_pulses() {
        let mut facts = fixtures::facts();
        facts.patient.age = Some(Age {
            years: 30,
            months: 0,
        });
        facts.fertility_concern = vec![FhirRef::new("Condition", "fert")];
        facts.rituximab = fixtures::weekly(time::macros::date!(2026 - 08 - 17), 4);
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::FertilityPreferRituximab).unwrap();
        assert!(card.detail.contains("`Condition/fert`"));
        assert!(
            card.suggestions.is_empty(),
            "no rituximab replacement when the patient is refractory"
        );
    }
}

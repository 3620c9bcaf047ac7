//! `fertility-prefer-rituximab` (section 4, additional cards): in very young patients or those
//! with fertility concerns, rituximab is preferred over cyclophosphamide (guideline, "Special
//! considerations"; evidence: guideline statement).

use fhir_mapping::MedicationClass;

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::show;
use crate::evidence::{GUIDELINE, ROSSOR_2022};
use crate::markdown::Detail;
use crate::proposal::{CardProposal, ProposedSuggestion};
use crate::regimen;
use crate::rules::{delete, dose_list, primary};

/// Fires when cyclophosphamide is ordered or proposed for a young patient or one with a
/// documented fertility concern.
pub fn apply(cards: &mut Vec<CardProposal>, assessment: &Assessment<'_>) {
    if !assessment.fertility_card_fires() {
        return;
    }
    let cyclophosphamide_orders = assessment.orders_of(MedicationClass::Cyclophosphamide);
    let primary_is_pulses = assessment.primary == Topic::CyclophosphamideDexamethasonePulses;
    let concern = &assessment.facts.fertility_concern;

    let refractory = !assessment.primary_is_rituximab();
    let mut detail = if refractory {
        // Refractory to rituximab: "prefer rituximab" would contradict the primary card.
        Detail::new(
            "Rituximab is preferred over cyclophosphamide in young patients and in patients with \
             fertility concerns, but this patient is refractory to rituximab (see the primary \
             card). Offer fertility counselling (and preservation where possible) before any \
             further cyclophosphamide, and weigh the cumulative exposure.",
        )
    } else {
        Detail::new(
            "Rituximab is preferred over cyclophosphamide in young patients and in patients with \
             fertility concerns. Offer fertility counselling (and preservation where possible) \
             before any cyclophosphamide.",
        )
    }
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

    let summary = if refractory {
        "Fertility: counsel on fertility before any further cyclophosphamide (young patient or fertility concern)"
    } else {
        "Fertility: rituximab is preferred over cyclophosphamide; counsel on fertility before any cyclophosphamide"
    };
    let mut card = CardProposal::new(
        Topic::FertilityPreferRituximab,
        Indicator::Warning,
        summary,
        Detail::default(),
    );
    if let Some(dose) = regimen::rituximab_dose(assessment)
        .filter(|_| assessment.fertility_replaces_cyclophosphamide())
    {
        detail = detail.working(regimen::working(&dose));
        // The same options as the primary card, each also removing the cyclophosphamide draft.
        let options = primary::rituximab_options(assessment, &dose);
        let single = options.len() == 1;
        for option in options {
            let mut actions: Vec<_> = cyclophosphamide_orders
                .iter()
                .map(|order| delete(order, "rituximab is preferred for fertility"))
                .collect();
            actions.extend(primary::rituximab_actions(assessment, option.dosage));
            let label = if single {
                "Replace cyclophosphamide with rituximab".to_owned()
            } else {
                format!("Replace cyclophosphamide: {}", lower_first(&option.label))
            };
            let suggestion = ProposedSuggestion::new(label, actions);
            card = card.suggest(
                if option.recommended && assessment.may_preselect_rituximab() {
                    suggestion.recommended()
                } else {
                    suggestion
                },
            );
        }
        card = card.selection(SelectionBehavior::AtMostOne);
    }
    cards.push(CardProposal { detail, ..card });
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
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
    let milligrams: Option<Vec<rust_decimal::Decimal>> = pulses
        .iter()
        .map(|pulse| match pulse.amount {
            Some(fhir_mapping::DoseAmount::Milligrams(mg)) => Some(mg),
            _ => None,
        })
        .collect();
    if let (Some(amounts), true) = (milligrams, assessment.has_usable_bsa()) {
        let total: rust_decimal::Decimal = amounts.iter().sum();
        let parts: Vec<String> = amounts
            .iter()
            .map(|mg| format!("{} mg", show(*mg)))
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
            .map(|action| action.kind())
            .collect();
        assert_eq!(kinds, vec![ActionKind::Delete, ActionKind::Update]);
        assert_eq!(
            card.suggestions[0].actions[0]
                .target()
                .map(|target| target.as_str()),
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

//! `fertility-prefer-rituximab` (section 4, additional cards): in very young patients or those
//! with fertility concerns, rituximab is preferred over cyclophosphamide (guideline, "Special
//! considerations"; evidence: guideline statement).

use fhir_mapping::MedicationClass;

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::show;
use crate::evidence::{CYCLOPHOSPHAMIDE_LABEL, ROSSOR_2022};
use crate::markdown::Detail;
use crate::proposal::{CardProposal, ProposedSuggestion};
use crate::rules::{delete, dose_list, dose_sources, CYCLOPHOSPHAMIDE_PULSES};

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
    let mut detail = Detail::new(
        "Cyclophosphamide is gonadotoxic, and the risk rises with the cumulative dose; rituximab \
         is not known to be gonadotoxic. Offer fertility counselling (and preservation where \
         possible) before any cyclophosphamide.",
    )
    .evidence(CYCLOPHOSPHAMIDE_LABEL)
    .evidence(ROSSOR_2022);
    if assessment.is_young() {
        if let Some(age) = assessment.facts.patient.age {
            detail = detail.because(
                format!(
                    "age {} years {} months (under {})",
                    age.years, age.months, assessment.config.adult_age_years
                ),
                Some(&assessment.facts.patient.reference),
            );
        }
    }
    if !concern.is_empty() {
        detail = detail.because_all("fertility concern documented", concern);
    }
    if !cyclophosphamide_orders.is_empty() {
        let refs: Vec<_> = cyclophosphamide_orders
            .iter()
            .map(|order| order.reference.clone())
            .collect();
        detail = detail.because_all("cyclophosphamide ordered", &refs);
    }
    if primary_is_pulses {
        detail = detail.because(
            "cyclophosphamide pulses are the primary recommendation",
            None,
        );
    }
    detail = detail
        .also(exposure_text(assessment))
        .cite_records(&dose_sources(assessment.facts.cyclophosphamide.events()));

    let summary = if refractory {
        "Fertility: counsel on fertility before any cyclophosphamide (young patient or fertility concern)"
    } else {
        "Fertility: cyclophosphamide is gonadotoxic, rituximab is not known to be; counsel first"
    };
    let mut card = CardProposal::new(
        Topic::FertilityPreferRituximab,
        Indicator::Warning,
        summary,
        Detail::default(),
    );
    if assessment.fertility_replaces_cyclophosphamide() {
        // The rituximab order is the primary card's (one creator per drug); this card only
        // removes the cyclophosphamide draft and names the primary by what the clinician sees.
        let primary_summary = cards
            .iter()
            .find(|card| card.topic == assessment.primary)
            .map(|card| card.summary.clone())
            .unwrap_or_else(|| assessment.primary.display().to_owned());
        detail = detail.also(format!(
            "The rituximab course is on the card \"{primary_summary}\"."
        ));
        let actions: Vec<_> = cyclophosphamide_orders
            .iter()
            .map(|order| delete(order, "rituximab is proposed instead"))
            .collect();
        let suggestion = ProposedSuggestion::new(
            "Remove the cyclophosphamide order (rituximab instead)",
            actions,
        );
        card = card
            .suggest(if assessment.may_preselect_rituximab() {
                suggestion.recommended()
            } else {
                suggestion
            })
            .selection(SelectionBehavior::AtMostOne);
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
        "Cumulative cyclophosphamide exposure on record (all indications): {}.",
        dose_list(CYCLOPHOSPHAMIDE_PULSES, pulses)
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
        assert_eq!(kinds, vec![ActionKind::Delete]);
        assert_eq!(
            card.suggestions[0].actions[0]
                .target()
                .map(|target| target.as_str()),
            Some("MedicationRequest/draft-2")
        );
        assert!(card
            .references
            .contains(&fhir_mapping::FhirRef::new("MedicationRequest", "draft-2")));
        assert!(!card.detail.contains("MedicationRequest/"));
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
        assert!(card
            .references
            .contains(&fhir_mapping::FhirRef::new("Condition", "fert")));
        assert!(!card.detail.contains("Condition/"));
        assert!(
            card.suggestions.is_empty(),
            "no rituximab replacement when the patient is refractory"
        );
    }
}

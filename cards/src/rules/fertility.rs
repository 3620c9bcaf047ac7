//! `fertility-prefer-rituximab` (section 4, additional cards): in very young patients or those
//! with fertility concerns, rituximab is preferred over cyclophosphamide (guideline, "Special
//! considerations"; evidence: guideline statement).

use fhir_mapping::{DoseAmount, MedicationClass};
use rust_decimal::Decimal;

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::show;
use crate::evidence::{CYCLOPHOSPHAMIDE_LABEL, ROSSOR_2022};
use crate::markdown::Detail;
use crate::proposal::{CardProposal, ProposedSuggestion};
use crate::regimen;
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
    let before = if assessment.facts.cyclophosphamide.is_empty() {
        "any"
    } else {
        "further"
    };
    let mut detail = Detail::new(format!(
        "Cyclophosphamide is gonadotoxic (the risk rises with the cumulative dose); rituximab is \
         not known to be. Offer fertility counselling, and preservation where possible, before \
         {before} cyclophosphamide."
    ))
    .evidence(CYCLOPHOSPHAMIDE_LABEL)
    .evidence(ROSSOR_2022);
    if assessment.is_young() {
        if let Some(age) = assessment.facts.patient.age {
            detail = detail.because(
                format!("age {}", age_in_words(age)),
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
        let verb = if assessment.facts.hook == fhir_mapping::Hook::OrderSign {
            "being signed"
        } else {
            "selected"
        };
        detail = detail.because_all(format!("cyclophosphamide order {verb}"), &refs);
    } else if primary_is_pulses {
        detail = detail.because(
            "cyclophosphamide pulses are the primary recommendation",
            None,
        );
    }
    let (exposure_text, exposure_working) = exposure(assessment);
    detail = detail
        .also(exposure_text)
        .working(exposure_working)
        .cite_records(&dose_sources(assessment.facts.cyclophosphamide.events()));

    let reason = if !concern.is_empty() {
        "fertility concern on record"
    } else if assessment.is_young() {
        "young patient"
    } else {
        "of reproductive potential"
    };
    let summary = if refractory {
        format!("Fertility ({reason}): counsel, and preserve where possible, before any cyclophosphamide")
    } else {
        format!(
            "Fertility ({reason}): cyclophosphamide is gonadotoxic, rituximab is not known to be"
        )
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
        // Only the OMS regimen's order; oral cyclophosphamide is another use (section 4).
        let actions: Vec<_> = cyclophosphamide_orders
            .iter()
            .filter(|order| assessment.is_regimen_order(order))
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

/// "4 years 9 months", "6 years 1 month", "30 years".
fn age_in_words(age: fhir_mapping::Age) -> String {
    let years = if age.years == 1 { "year" } else { "years" };
    match age.months {
        0 => format!("{} {years}", age.years),
        1 => format!("{} {years} 1 month", age.years),
        months => format!("{} {years} {months} months", age.years),
    }
}

/// The cumulative cyclophosphamide exposure on record (all indications, in words) for the
/// recommendation, and its arithmetic for the working: the recorded amounts and the planned
/// cumulative dose (pulses given for this relapse + the remaining cycles at the proposed dose,
/// in g and g/m2). mg amounts only when they may be shown at all (see `Assessment`).
fn exposure(assessment: &Assessment<'_>) -> (String, Vec<String>) {
    let pulses = assessment.facts.cyclophosphamide.events();
    let text = if pulses.is_empty() {
        "Cyclophosphamide exposure on record: none.".to_owned()
    } else {
        format!(
            "Cyclophosphamide exposure on record (all indications): {}.",
            dose_list(CYCLOPHOSPHAMIDE_PULSES, pulses)
        )
    };
    let mut working = Vec::new();
    let Some(bsa) = assessment
        .dosing
        .as_ref()
        .and_then(|dosing| dosing.bsa())
        .map(|basis| basis.amount())
    else {
        return (text, working);
    };
    let recorded: Option<Vec<Decimal>> = pulses
        .iter()
        .map(|pulse| match pulse.amount {
            Some(DoseAmount::Milligrams(mg)) => Some(mg),
            Some(DoseAmount::MilligramsPerSquareMetre(per_m2)) => Some(per_m2 * bsa),
            _ => None,
        })
        .collect();
    let proposes_pulses = assessment.primary == Topic::CyclophosphamideDexamethasonePulses;
    // When every pulse on record is this relapse's, the planned line below says it all.
    let all_this_relapse = pulses.len() == assessment.regimen_pulses.len() && proposes_pulses;
    if let Some(amounts) = recorded.filter(|amounts| !amounts.is_empty() && !all_this_relapse) {
        let parts: Vec<String> = amounts
            .iter()
            .map(|mg| format!("{} mg", show(*mg)))
            .collect();
        let total: Decimal = amounts.iter().sum();
        working.push(format!(
            "exposure on record: {} = {} mg",
            parts.join(" + "),
            show(total)
        ));
    }
    if let Some(dose) = regimen::cyclophosphamide_dose(assessment).filter(|_| proposes_pulses) {
        let given: Decimal = assessment
            .regimen_pulses
            .iter()
            .filter_map(|pulse| match pulse.amount {
                Some(DoseAmount::Milligrams(mg)) => Some(mg),
                Some(DoseAmount::MilligramsPerSquareMetre(per_m2)) => Some(per_m2 * bsa),
                _ => None,
            })
            .sum();
        let remaining = Decimal::from(assessment.remaining_cycles());
        let planned = given + remaining * dose.dose.value();
        let grams = (planned / Decimal::from(1000)).round_dp(1);
        let per_m2 = (planned / Decimal::from(1000) / bsa).round_dp(1);
        working.push(format!(
            "planned: {} mg given + {} x {} = {} mg ({} g; {} g/m2 at {} m2)",
            show(given),
            remaining,
            dose.dose,
            show(planned),
            show(grams),
            show(per_m2),
            show(bsa)
        ));
    }
    (text, working)
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
    fn fertility_applies_under_50_at_any_sex_and_not_at_55_without_a_concern() {
        let mut facts = fixtures::facts();
        facts.orders.push(fixtures::order(
            "draft-2",
            MedicationClass::Cyclophosphamide,
            None,
        ));
        facts.patient.age = Some(Age {
            years: 30,
            months: 0,
        });
        assert!(find(&evaluate(&facts), Topic::FertilityPreferRituximab).is_some());
        facts.patient.age = Some(Age {
            years: 55,
            months: 0,
        });
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

//! Corticosteroid and combination cards (section 4, additional cards):
//! - `iv-methylprednisolone`: relapse on oral steroids -> IV methylprednisolone pulse 30 mg/kg/day
//!   (max 1 g/day) for 3-5 days (guideline, "Corticosteroids").
//! - `corticosteroid-options`: a corticosteroid ordered, `iv-methylprednisolone` not applying ->
//!   oral prednisone with taper, or dexamethasone pulses (Rostasy 2006, case series).
//! - `combination-therapy`: severe OMS -> consider combination therapy from the outset (guideline,
//!   "Special considerations").

use fhir_mapping::MedicationClass;

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::show;
use crate::evidence::{DE_ALARCON_2018, GUIDELINE, ROSSOR_2022, ROSTASY_2006};
use crate::markdown::Detail;
use crate::proposal::{CardProposal, ProposedSuggestion};
use crate::regimen;
use crate::rules::update_or_create;

/// Adds the steroid and combination cards that apply.
pub fn apply(cards: &mut Vec<CardProposal>, assessment: &Assessment<'_>) {
    let pulses_primary = assessment.primary == Topic::CyclophosphamideDexamethasonePulses;
    if assessment.iv_methylprednisolone_applies() {
        cards.push(iv_methylprednisolone(assessment));
    } else if !pulses_primary
        && assessment.facts.orders.iter().any(|order| {
            // A one-off dose (premedication, antiemetic) is not a steroid decision.
            order.medication.is_corticosteroid()
                && !order
                    .timing
                    .is_some_and(|timing| timing.single_administration)
        })
    {
        cards.push(corticosteroid_options(assessment));
    }
    // Combination therapy is a choice at the outset, with the first rituximab course.
    if assessment.is_severe() && assessment.primary == Topic::RituximabFullCourse {
        cards.push(combination_therapy(assessment));
    }
}

fn iv_methylprednisolone(assessment: &Assessment<'_>) -> CardProposal {
    let config = assessment.config;
    let per_kg = show(config.methylprednisolone_mg_per_kg);
    let cap = show(config.methylprednisolone_cap_mg);
    let days = config.methylprednisolone_days;
    let dose = regimen::methylprednisolone_dose(assessment);
    // The cap is an mg amount: like every mg amount it is shown only with a usable weight.
    let dose_text = match &dose {
        Some(dose) if dose.at_cap() => format!(
            "{}/day ({per_kg} mg/kg/day, capped at {cap} mg/day)",
            dose.dose
        ),
        Some(dose) => format!(
            "{}/day ({per_kg} mg/kg/day, maximum {cap} mg/day)",
            dose.dose
        ),
        // The cap is a limit, not a computed amount: shown even without a usable weight.
        None => format!("{per_kg} mg/kg/day (maximum {cap} mg/day)"),
    };
    let mut detail = Detail::new(format!(
        "Relapse on oral steroids: give an IV methylprednisolone pulse of {dose_text} for 3-5 \
         days; the suggestion orders {days} days."
    ))
    .evidence(GUIDELINE)
    .evidence(ROSSOR_2022)
    .off_label();
    if let Some(steroid) = &assessment.facts.oral_steroid {
        detail = detail.because(
            format!("currently on oral {}", steroid.drug.name()),
            Some(&steroid.source),
        );
    }
    let summary =
        format!("Relapse on oral steroids: IV methylprednisolone {dose_text} for 3-5 days");
    let mut card = CardProposal::new(
        Topic::IvMethylprednisolone,
        Indicator::Info,
        summary,
        Detail::default(),
    );
    match dose {
        Some(dose) => {
            detail = detail.dose_working(&dose, None);
            let draft = assessment.regimen_order_of(MedicationClass::Methylprednisolone);
            let dosage = regimen::methylprednisolone_dosage(&dose, config);
            card = card
                .suggest(ProposedSuggestion::new(
                    format!("Order IV methylprednisolone for {days} days"),
                    vec![update_or_create(
                        MedicationClass::Methylprednisolone,
                        dosage,
                        draft,
                        assessment,
                    )],
                ))
                .selection(SelectionBehavior::Any);
        }
        None => {
            detail = detail.data_issue(
                "No dose in mg is shown: no current, plausible weight is usable for dosing \
                 (see the missing-body-measurements card).",
                None,
            );
        }
    }
    CardProposal { detail, ..card }
}

fn corticosteroid_options(assessment: &Assessment<'_>) -> CardProposal {
    let config = assessment.config;
    let mut detail = Detail::new("Corticosteroid options for relapsed OMS:")
        .also("- oral prednisone, which typically needs maintenance therapy with a slow taper")
        .also(format!(
            "- dexamethasone pulses, {} mg/m2/day for {} days every {} weeks",
            show(config.dexamethasone_mg_per_m2_per_day),
            config.dexamethasone_days,
            config.pulse_interval_weeks
        ))
        .also("- IV methylprednisolone pulses are for relapses on oral steroids")
        .evidence(GUIDELINE)
        .evidence(ROSTASY_2006)
        .off_label();
    for order in assessment
        .facts
        .orders
        .iter()
        .filter(|order| order.medication.is_corticosteroid())
    {
        detail = detail.because(
            format!("{} order in play", order.medication.name()),
            Some(&order.reference),
        );
    }
    detail = detail.because("no current oral steroid on record", None);
    CardProposal::new(
        Topic::CorticosteroidOptions,
        Indicator::Info,
        "Corticosteroid options: oral prednisone with taper, or dexamethasone pulses every 4 weeks",
        detail,
    )
}

fn combination_therapy(assessment: &Assessment<'_>) -> CardProposal {
    let detail = Detail::new(
        "Severe OMS: consider combination therapy from the outset, for example a steroid pulse \
         with IVIG and rituximab, rather than escalating one agent at a time. The randomised \
         trial (de Alarcon 2018) supports IVIG added to standard therapy, not this combination.",
    )
    .evidence(ROSSOR_2022)
    .evidence(DE_ALARCON_2018)
    .off_label()
    .because(
        "OMS severity recorded as severe",
        Some(&assessment.oms.reference),
    );
    CardProposal::new(
        Topic::CombinationTherapy,
        Indicator::Warning,
        "Severe OMS: consider combination therapy from the outset (steroid pulse + IVIG + rituximab)",
        detail,
    )
}

#[cfg(test)]
mod tests {
    use crate::card::Topic;
    use crate::fixtures::{self, evaluate, find, first_dose_mg};
    use fhir_mapping::{CurrentSteroid, FhirRef, MedicationClass, OmsDiagnosis, Severity};

    fn on_prednisolone() -> fhir_mapping::Facts {
        let mut facts = fixtures::facts();
        facts.oral_steroid = Some(CurrentSteroid {
            drug: MedicationClass::Prednisolone,
            source: FhirRef::new("MedicationStatement", "ms"),
        });
        facts
    }

    #[test]
    fn a_relapse_on_oral_steroids_gets_a_weight_based_methylprednisolone_pulse() {
        let cards = evaluate(&on_prednisolone());
        let card = find(&cards, Topic::IvMethylprednisolone).unwrap();
        assert_eq!(first_dose_mg(card).as_deref(), Some("540"));
        assert!(
            card.detail.contains("30 mg/kg/day x 18 kg = 540 mg"),
            "{}",
            card.detail
        );
        assert!(card
            .references
            .contains(&fhir_mapping::FhirRef::new("MedicationStatement", "ms")));
        assert!(!card.detail.contains("MedicationStatement/"));
    }

    #[test]
    fn without_a_usable_weight_the_methylprednisolone_card_shows_the_cap_but_no_computed_mg() {
        let mut facts = on_prednisolone();
        facts.body.weight = fhir_mapping::Measurement::Missing;
        facts.body.bsa = fhir_mapping::BodySurfaceArea::Unavailable;
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::IvMethylprednisolone).unwrap();
        assert_eq!(
            card.summary,
            "Relapse on oral steroids: IV methylprednisolone 30 mg/kg/day (maximum 1000 mg/day) for 3-5 days"
        );
        assert!(card.suggestions.is_empty());
        // The cap is a limit, not a computed amount (precision rule 4).
        assert!(!fixtures::any_mg_amount(&cards));
        assert!(!card.detail.contains("**Working**"), "{}", card.detail);
    }

    #[test]
    fn a_capped_methylprednisolone_pulse_says_it_is_capped() {
        let mut facts = on_prednisolone();
        facts.body = fixtures::body(72.0, 178.0, 1.89);
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::IvMethylprednisolone).unwrap();
        assert!(
            card.summary
                .contains("1000 mg/day (30 mg/kg/day, capped at 1000 mg/day)"),
            "{}",
            card.summary
        );
        assert_eq!(first_dose_mg(card).as_deref(), Some("1000"));
    }

    #[test]
    fn a_steroid_order_without_oral_steroids_gets_the_options_card() {
        let mut facts = fixtures::facts();
        facts.orders.push(fixtures::order(
            "draft-3",
            MedicationClass::Prednisone,
            None,
        ));
        let cards = evaluate(&facts);
        assert!(find(&cards, Topic::CorticosteroidOptions).is_some());
        assert!(find(&cards, Topic::IvMethylprednisolone).is_none());
    }

    #[test]
    fn the_options_card_gives_way_to_the_methylprednisolone_card() {
        let mut facts = on_prednisolone();
        facts.orders.push(fixtures::order(
            "draft-3",
            MedicationClass::Prednisone,
            None,
        ));
        let cards = evaluate(&facts);
        assert!(find(&cards, Topic::CorticosteroidOptions).is_none());
        assert!(find(&cards, Topic::IvMethylprednisolone).is_some());
    }

    #[test]
    fn severe_oms_gets_the_combination_card() {
        let mut facts = fixtures::facts();
        if let OmsDiagnosis::Confirmed(oms) = &mut facts.oms {
            oms.severity = Some(Severity::Severe);
        }
        assert!(find(&evaluate(&facts), Topic::CombinationTherapy).is_some());
        assert!(find(&evaluate(&fixtures::facts()), Topic::CombinationTherapy).is_none());
    }
}

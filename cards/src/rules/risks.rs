//! Risk cards of contract v2 (section 4, additional cards):
//! - `pregnancy`: pregnant, with rituximab or cyclophosphamide in play or proposed (product
//!   labels: embryo-fetal toxicity, placental transfer).
//! - `hepatitis-b-reactivation-risk`: rituximab in play or proposed with a positive HBsAg or
//!   anti-HBc (rituximab label, boxed warning).

use fhir_mapping::{date_in_words, result_in_words, MedicationClass, Pregnancy};

use crate::assessment::Assessment;
use crate::card::{Indicator, Topic};
use crate::evidence::{PREGNANCY_LABELS, RITUXIMAB_LABEL};
use crate::markdown::Detail;
use crate::proposal::CardProposal;

/// Adds the risk cards that apply.
pub fn apply(cards: &mut Vec<CardProposal>, assessment: &Assessment<'_>) {
    if let Some(card) = pregnancy(assessment) {
        cards.push(card);
    }
    if let Some(card) = hepatitis_b_reactivation_risk(assessment) {
        cards.push(card);
    }
}

/// Rituximab in play or proposed by the primary card.
fn rituximab_in_play_or_proposed(assessment: &Assessment<'_>) -> bool {
    assessment.primary_is_rituximab()
        || assessment
            .facts
            .orders
            .iter()
            .any(|order| order.medication.is_rituximab())
}

fn pregnancy(assessment: &Assessment<'_>) -> Option<CardProposal> {
    let Pregnancy::Pregnant {
        date,
        evidence,
        source,
    } = &assessment.facts.pregnancy
    else {
        return None;
    };
    let cyclophosphamide = assessment.primary == Topic::CyclophosphamideDexamethasonePulses
        || !assessment
            .orders_of(MedicationClass::Cyclophosphamide)
            .is_empty();
    if !cyclophosphamide && !rituximab_in_play_or_proposed(assessment) {
        return None;
    }
    let when = date_in_words(*date);
    let detail = Detail::new(
        "Cyclophosphamide can cause fetal harm (malformations after first-trimester exposure): \
         only on a specialist and obstetric decision. Rituximab crosses the placenta (B-cell \
         depletion in the newborn). Corticosteroids: prednisolone or methylprednisolone \
         (dexamethasone crosses the placenta); IVIG is pregnancy-compatible. No one-click \
         cyclophosphamide or dexamethasone is offered.",
    )
    .evidence(PREGNANCY_LABELS)
    .off_label()
    .because(
        format!("pregnancy on record: {evidence}, {when}"),
        Some(source),
    );
    Some(CardProposal::new(
        Topic::Pregnancy,
        Indicator::Warning,
        format!("Pregnant ({evidence}, {when}): cyclophosphamide and rituximab only on a specialist decision"),
        detail,
    ))
}

fn hepatitis_b_reactivation_risk(assessment: &Assessment<'_>) -> Option<CardProposal> {
    let screening = &assessment.facts.hepatitis_b;
    if !screening.any_positive() || !rituximab_in_play_or_proposed(assessment) {
        return None;
    }
    let mut detail = Detail::new(
        "Rituximab can reactivate hepatitis B (boxed warning; fulminant hepatitis): check HBV \
         DNA; hepatology or infectious-disease input; antiviral prophylaxis (entecavir or \
         tenofovir) from before the first dose to at least 12 months after the last; monitor.",
    )
    .evidence(RITUXIMAB_LABEL);
    for (test, result) in screening.by_test() {
        if let Some(result) = result {
            detail = detail.because(result_in_words(test, result), Some(&result.source));
        }
    }
    let named = screening.positives_in_words();
    if screening.anti_hbc_only() {
        detail = detail.also(
            "An isolated positive anti-HBc within 3 months of IVIG may be passively acquired: \
             check HBV DNA before concluding.",
        );
    }
    detail = detail
        .also("No rituximab suggestion is pre-selected until antiviral prophylaxis is in place.");
    Some(CardProposal::new(
        Topic::HepatitisBReactivationRisk,
        Indicator::Warning,
        format!(
            "{}: hepatitis B reactivation risk with rituximab; HBV DNA and antiviral prophylaxis first",
            named.join(", ")
        ),
        detail,
    ))
}

//! Rituximab reactions and allergies (section 2): an AllergyIntolerance to rituximab or any
//! anti-CD20 antibody that is not refuted or entered in error. (Rituximab records stopped for a
//! reaction are read with the medication history.)

use fhirbolt::model::r4::resources::{AllergyIntolerance, AllergyIntoleranceOnset};
use time::Date;

use crate::codes::ValueSetName;
use crate::elements::{any_code, concept_label, day_of, text_of};
use crate::facts::{DrugReaction, ReactionRecord};
use crate::Context;

/// Every anti-CD20 allergy or intolerance on record, with what happened and when.
pub fn rituximab_allergies(context: &Context<'_>) -> Vec<DrugReaction> {
    context
        .index
        .allergy_intolerances()
        .filter(|(_, allergy)| counts(allergy))
        .filter(|(_, allergy)| {
            allergy
                .code
                .as_deref()
                .is_some_and(|code| context.terminology.matches(ValueSetName::AntiCd20, code))
        })
        .map(|(reference, allergy)| DrugReaction {
            description: description(allergy),
            date: date(allergy),
            recorded_as: ReactionRecord::RituximabReaction,
            source: reference.clone(),
        })
        .collect()
}

/// Not refuted or entered in error. A resolved or inactive allergy still counts: a reaction
/// once is a reason for caution at re-challenge.
fn counts(allergy: &AllergyIntolerance) -> bool {
    let refuted = allergy
        .verification_status
        .as_deref()
        .is_some_and(|status| {
            any_code(status).any(|code| matches!(code, "refuted" | "entered-in-error"))
        });
    !refuted
}

/// The manifestations, else the allergy's type ("allergy", "intolerance").
fn description(allergy: &AllergyIntolerance) -> String {
    let manifestations: Vec<&str> = allergy
        .reaction
        .iter()
        .flat_map(|reaction| reaction.manifestation.iter())
        .filter_map(concept_label)
        .collect();
    if manifestations.is_empty() {
        let kind = allergy
            .r#type
            .as_ref()
            .and_then(|kind| text_of!(kind))
            .unwrap_or("allergy");
        format!("{kind} (no reaction recorded)")
    } else {
        manifestations.join(", ")
    }
}

/// The first reaction's onset, else the allergy's onset, else its recorded date.
fn date(allergy: &AllergyIntolerance) -> Option<Date> {
    let reaction_onset = allergy
        .reaction
        .iter()
        .find_map(|reaction| day_of(reaction.onset.as_ref().and_then(|d| text_of!(d))));
    let onset = match &allergy.onset {
        Some(AllergyIntoleranceOnset::DateTime(date_time)) => day_of(text_of!(date_time)),
        Some(AllergyIntoleranceOnset::Period(period)) => {
            day_of(period.start.as_ref().and_then(|d| text_of!(d)))
        }
        _ => None,
    };
    reaction_onset
        .or(onset)
        .or_else(|| day_of(allergy.recorded_date.as_ref().and_then(|d| text_of!(d))))
}

//! Qualitative results read for what they say, not only that they exist: hepatitis B status per
//! test (HBsAg, anti-HBc) as positive, negative or unreadable.
//!
//! Invariants: the phrases and codes that mean positive, negative or unreadable live in the
//! value-set data; unreadable phrases are matched first, then negative ones ("non-reactive"
//! contains "reactive"); a value and an interpretation that disagree are unreadable; a
//! quantitative value is read by its interpretation only.

use fhirbolt::model::r4::resources::{Observation, ObservationValue};
use fhirbolt::model::r4::types::CodeableConcept;
use time::{Date, Duration};

use crate::codes::ValueSetName;
use crate::elements::text_of;
use crate::facts::{HepatitisBScreening, LabResult, ResultStatus};
use crate::observation_sets::ObservationSet;
use crate::observations::{is_result, observation_date};
use crate::Context;

/// Hepatitis B status per test: a positive result at any date counts unless a later result of
/// the same test is negative; otherwise the latest result within the look-back.
pub fn hepatitis_b_screening(context: &Context<'_>) -> HepatitisBScreening {
    HepatitisBScreening {
        hbsag: test_status(context, ObservationSet::Hbsag),
        anti_hbc: test_status(context, ObservationSet::AntiHbc),
    }
}

fn test_status(context: &Context<'_>, test: ObservationSet) -> Option<LabResult> {
    let lookback = Duration::days(i64::from(context.config.hepatitis_b_lookback_days));
    let earliest = context.today.checked_sub(lookback).unwrap_or(Date::MIN);
    let mut results: Vec<LabResult> = context
        .observations_in(test)
        .filter(|(_, observation)| is_result(observation))
        .filter(|(_, observation)| {
            context
                .terminology
                .has_code(test.value_set(), &observation.code)
        })
        .filter_map(|(reference, observation)| {
            let date = observation_date(observation).filter(|date| *date <= context.today)?;
            Some(LabResult {
                date,
                status: result_status(observation, context),
                source: reference.clone(),
            })
        })
        .collect();
    // Oldest first; on the same day the later reference wins, which keeps the choice stable.
    results.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.source.cmp(&b.source)));
    let latest_positive = results
        .iter()
        .rposition(|result| result.status == ResultStatus::Positive);
    if let Some(at) = latest_positive {
        let negative_since = results[at..].iter().any(|result| {
            result.status == ResultStatus::Negative && result.date > results[at].date
        });
        if !negative_since {
            return Some(results.swap_remove(at));
        }
    }
    results
        .into_iter()
        .rev()
        .find(|result| result.date >= earliest)
}

/// What one result says, from its value and its interpretation.
pub fn result_status(observation: &Observation, context: &Context<'_>) -> ResultStatus {
    let from_value = match &observation.value {
        Some(ObservationValue::CodeableConcept(concept)) => read_concept(concept, context),
        Some(ObservationValue::String(text)) => text_of!(text).and_then(|t| read_text(t, context)),
        // A number says nothing by itself: its interpretation decides.
        _ => None,
    };
    let from_interpretation = observation
        .interpretation
        .iter()
        .find_map(|concept| read_concept(concept, context));
    match (from_value, from_interpretation) {
        (Some(value), Some(interpretation)) if value != interpretation => ResultStatus::Unreadable,
        (Some(status), _) | (None, Some(status)) => status,
        (None, None) => ResultStatus::Unreadable,
    }
}

/// The order phrases are tried in: unreadable first, then negative ("non-reactive" contains
/// "reactive"), then positive.
const BY_TEXT: [(ValueSetName, ResultStatus); 3] = [
    (ValueSetName::ResultUnreadable, ResultStatus::Unreadable),
    (ValueSetName::ResultNegative, ResultStatus::Negative),
    (ValueSetName::ResultPositive, ResultStatus::Positive),
];

fn read_concept(concept: &CodeableConcept, context: &Context<'_>) -> Option<ResultStatus> {
    let terminology = context.terminology;
    BY_TEXT
        .into_iter()
        .find(|(set, _)| terminology.has_text(*set, concept))
        .or_else(|| {
            [
                (ValueSetName::ResultNegative, ResultStatus::Negative),
                (ValueSetName::ResultPositive, ResultStatus::Positive),
            ]
            .into_iter()
            .find(|(set, _)| terminology.has_code(*set, concept))
        })
        .map(|(_, status)| status)
}

fn read_text(text: &str, context: &Context<'_>) -> Option<ResultStatus> {
    let terminology = context.terminology;
    BY_TEXT
        .into_iter()
        .find(|(set, _)| terminology.text_in(*set, text))
        .map(|(_, status)| status)
}

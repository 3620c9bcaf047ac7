//! Observations: the latest weight and height with UCUM conversion and a recent BSA Observation.
//!
//! Invariant: only `final`, `amended` or `corrected` results count, and a value whose unit is
//! missing or unknown is a data issue, never converted by guesswork.

use fhirbolt::model::r4::resources::{Observation, ObservationEffective, ObservationValue};
use rust_decimal::Decimal;
use time::Date;

use crate::elements::{day_of, text_of, ucum_quantity};
use crate::facts::{
    date_in_words, DataIssue, DataIssueKind, FhirRef, FutureReading, Measured, Reading,
};
use crate::observation_sets::ObservationSet;
use crate::quantity::{Centimetres, Kilograms, SquareMetres};
use crate::units::{LengthUnit, MassUnit};
use crate::Context;

/// The latest body height in cm whose unit converts.
pub fn latest_height(
    context: &Context<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<Reading<Centimetres>> {
    latest_reading(
        context,
        ObservationSet::BodyHeight,
        "height",
        issues,
        |value, unit| LengthUnit::parse(unit)?.to_centimetres(value),
    )
}

/// The latest BSA Observation in m2 (callers judge its age and plausibility).
pub fn latest_bsa_observation(
    context: &Context<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<Reading<SquareMetres>> {
    latest_reading(
        context,
        ObservationSet::BodySurfaceArea,
        "body surface area",
        issues,
        |value, unit| {
            if unit == "m2" {
                SquareMetres::new(value)
            } else {
                None
            }
        },
    )
}

fn latest_reading<Q>(
    context: &Context<'_>,
    set: ObservationSet,
    what: &str,
    issues: &mut Vec<DataIssue>,
    convert: impl Fn(Decimal, &str) -> Option<Q>,
) -> Option<Reading<Q>> {
    readings(context, set, what, issues, convert, None)
        .into_iter()
        .next()
}

/// The latest reading dated after the evaluation date, when the record has one (a typing error
/// more often than not): the answer names it instead of saying that nothing is on record.
pub fn future_dated(context: &Context<'_>, set: ObservationSet) -> Option<FutureReading> {
    context
        .observations_in(set)
        .filter(|(_, observation)| is_result(observation))
        .filter(|(_, observation)| {
            context
                .terminology
                .has_code(set.value_set(), &observation.code)
        })
        .filter_map(|(reference, observation)| {
            let date = observation_date(observation).filter(|date| *date > context.today)?;
            Some(FutureReading {
                date,
                source: reference.clone(),
            })
        })
        .min_by(|a, b| a.date.cmp(&b.date))
}

/// The body weights in kg, newest first: the latest and those taken up to `window_days` before
/// it (to check the latest against them).
pub fn weight_readings(
    context: &Context<'_>,
    issues: &mut Vec<DataIssue>,
    window_days: u32,
) -> Vec<Reading<Kilograms>> {
    readings(
        context,
        ObservationSet::BodyWeight,
        "weight",
        issues,
        |value, unit| MassUnit::parse(unit)?.to_kilograms(value),
        Some(window_days),
    )
}

/// Converted readings, newest first: the latest alone (`window_days` `None`), or the latest and
/// those up to `window_days` before it.
fn readings<Q>(
    context: &Context<'_>,
    set: ObservationSet,
    what: &str,
    issues: &mut Vec<DataIssue>,
    convert: impl Fn(Decimal, &str) -> Option<Q>,
    window_days: Option<u32>,
) -> Vec<Reading<Q>> {
    let mut found: Vec<Reading<Q>> = Vec::new();
    let mut candidates: Vec<(Date, &FhirRef, &Observation)> = Vec::new();
    for (reference, observation) in context.observations_in(set) {
        if !is_result(observation)
            || !context
                .terminology
                .has_code(set.value_set(), &observation.code)
        {
            continue;
        }
        match observation_date(observation) {
            Some(date) if date <= context.today => candidates.push((date, reference, observation)),
            Some(date) => issues.push(DataIssue {
                kind: DataIssueKind::FutureDated,
                source: Some(reference.clone()),
                message: format!(
                    "A {what} is dated in the future ({}) and was not used.",
                    date_in_words(date)
                ),
            }),
            None => issues.push(DataIssue {
                kind: DataIssueKind::UnreadableDate,
                source: Some(reference.clone()),
                message: format!("A {what} has no readable date and was not used."),
            }),
        }
    }
    // Newest first; on the same day the later reference wins, which keeps the choice stable.
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(a.1)));
    for (date, reference, observation) in candidates {
        if let Some(latest) = found.first() {
            let window = window_days.map_or(0, i64::from);
            if window_days.is_none() || (latest.measured.date - date).whole_days() > window {
                break;
            }
        }
        let Some(ObservationValue::Quantity(quantity)) = &observation.value else {
            continue;
        };
        let (value, unit) = ucum_quantity(quantity);
        let Some(value) = value else {
            continue;
        };
        if value <= Decimal::ZERO {
            issues.push(DataIssue {
                kind: DataIssueKind::ImplausibleMeasurement,
                source: Some(reference.clone()),
                message: format!("A {what} of {value} is not a positive amount; it was not used."),
            });
            continue;
        }
        match unit.and_then(|unit| convert(value, unit)) {
            Some(converted) => found.push(Reading {
                measured: Measured {
                    value: converted,
                    date,
                },
                source: reference.clone(),
            }),
            None => issues.push(DataIssue {
                kind: DataIssueKind::UnknownUnit,
                source: Some(reference.clone()),
                message: format!(
                    "A {what} of {value} has {}; it was not used.",
                    unit.map_or_else(
                        || "no unit".to_owned(),
                        |u| format!("the unknown unit '{u}'")
                    )
                ),
            }),
        }
    }
    found
}

/// A result a clinician may act on: `final`, `amended` or `corrected`.
pub fn is_result(observation: &Observation) -> bool {
    matches!(
        text_of!(observation.status),
        Some("final" | "amended" | "corrected")
    )
}

/// `effective[x]` (dateTime, period start, instant), else `issued`.
pub fn observation_date(observation: &Observation) -> Option<Date> {
    let effective = match &observation.effective {
        Some(ObservationEffective::DateTime(date_time)) => day_of(text_of!(date_time)),
        Some(ObservationEffective::Period(period)) => {
            day_of(period.start.as_ref().and_then(|s| text_of!(s)))
        }
        Some(ObservationEffective::Instant(instant)) => day_of(text_of!(instant)),
        _ => None,
    };
    effective.or_else(|| day_of(observation.issued.as_ref().and_then(|i| text_of!(i))))
}

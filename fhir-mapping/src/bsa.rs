//! Weight, height and body surface area, each judged fit or unfit for dosing (section 2):
//! staleness and plausibility from configuration, BSA by Mosteller (default) or Haycock.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use time::Date;

use crate::config::MappingConfig;
use crate::facts::{
    date_in_words, Age, BodyMeasurements, BodySurfaceArea, BsaFormula, Conflict, DataIssue,
    DataIssueKind, FhirRef, FutureReading, Measured, Measurement, Reading,
};
use crate::observation_sets::ObservationSet;
use crate::observations::{future_dated, latest_bsa_observation, latest_height, weight_readings};
use crate::quantity::{Centimetres, Kilograms, SquareMetres};
use crate::Context;

/// BSA in m2 by the given formula, unrounded. The formulas are irrational (a square root,
/// fractional powers), so they are evaluated in binary floating point from the exact readings;
/// the result is then rounded once, to 2 decimals, by `round_bsa`.
pub fn body_surface_area(
    formula: BsaFormula,
    weight: Kilograms,
    height: Centimetres,
) -> Option<SquareMetres> {
    let (kg, cm) = (weight.value().to_f64()?, height.value().to_f64()?);
    let m2 = match formula {
        BsaFormula::Mosteller => (cm * kg / 3600.0).sqrt(),
        BsaFormula::Haycock => 0.024_265 * kg.powf(0.5378) * cm.powf(0.3964),
    };
    SquareMetres::new(Decimal::from_f64_retain(m2)?)
}

/// Rounds a BSA to 2 decimals (halves away from zero), the one rounding doses are computed from.
pub fn round_bsa(bsa: SquareMetres) -> Option<SquareMetres> {
    SquareMetres::new(
        bsa.value()
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
    )
}

/// Weight, height and the BSA for dosing; problems become data issues. `age` decides the
/// allowed weight change (infants grow fast).
pub fn body_measurements(
    context: &Context<'_>,
    age: Option<Age>,
    issues: &mut Vec<DataIssue>,
) -> BodyMeasurements {
    let config = context.config;
    let weights = weight_readings(context, issues, config.weight_change_window_days);
    let weight = judge(
        weights.first().cloned(),
        future_dated(context, ObservationSet::BodyWeight),
        "weight",
        context.today,
        config.weight_max_age_days,
        config.weight_range(),
        issues,
    );
    let weight = consistent(
        weight,
        &weights[weights.len().min(1)..],
        age,
        config,
        issues,
    );
    let height = judge(
        latest_height(context, issues),
        future_dated(context, ObservationSet::BodyHeight),
        "height",
        context.today,
        config.height_max_age_days,
        config.height_range(),
        issues,
    );
    let computed = match (weight.usable(), height.usable()) {
        (Some((weight, weight_source)), Some((height, height_source))) => computed_bsa(
            config.bsa_formula,
            (&weight, weight_source),
            (&height, height_source),
        ),
        _ => None,
    };
    let bsa = computed.unwrap_or_else(|| observed_bsa(context, issues));
    BodyMeasurements {
        weight,
        height,
        bsa,
    }
}

/// The BSA from usable readings, rounded once, carrying the readings it came from.
fn computed_bsa(
    formula: BsaFormula,
    (weight, weight_source): (&Measured<Kilograms>, &FhirRef),
    (height, height_source): (&Measured<Centimetres>, &FhirRef),
) -> Option<BodySurfaceArea> {
    let unrounded = body_surface_area(formula, weight.value, height.value)?;
    Some(BodySurfaceArea::Computed {
        value: round_bsa(unrounded)?,
        unrounded,
        formula,
        weight: Reading {
            measured: *weight,
            source: weight_source.clone(),
        },
        height: Reading {
            measured: *height,
            source: height_source.clone(),
        },
    })
}

/// A recent, plausible BSA Observation, used only when weight or height is not usable.
fn observed_bsa(context: &Context<'_>, issues: &mut Vec<DataIssue>) -> BodySurfaceArea {
    let config = context.config;
    let Some(reading) = latest_bsa_observation(context, issues) else {
        return BodySurfaceArea::Unavailable;
    };
    let range = config.bsa_range();
    match judge(
        Some(reading),
        None,
        "body surface area",
        context.today,
        config.bsa_observation_max_age_days,
        range,
        issues,
    ) {
        Measurement::Usable { measured, source } => BodySurfaceArea::Observed { measured, source },
        _ => BodySurfaceArea::Unavailable,
    }
}

/// A usable weight checked against the weights before it: the same day (they must agree within
/// the same-day limit; a second, agreeing reading of the day is fine) and the previous day with a
/// weight in the window (the change must be within the limit, larger for infants).
fn consistent(
    weight: Measurement<Kilograms>,
    earlier: &[Reading<Kilograms>],
    age: Option<Age>,
    config: &MappingConfig,
    issues: &mut Vec<DataIssue>,
) -> Measurement<Kilograms> {
    let Measurement::Usable { measured, source } = weight else {
        return weight;
    };
    let latest = measured.value.value();
    let percent_of = |difference: Decimal, base: Decimal| difference * Decimal::ONE_HUNDRED / base;
    let same_day_limit = Decimal::from(config.same_day_weight_max_percent);
    let conflict = earlier
        .iter()
        .filter(|other| other.measured.date == measured.date)
        .find(|other| {
            let other = other.measured.value.value();
            percent_of((latest - other).abs(), latest.min(other)) > same_day_limit
        })
        .map(|other| {
            let conflict = Conflict::SameDay {
                limit_percent: config.same_day_weight_max_percent,
            };
            (other, conflict)
        })
        .or_else(|| {
            let previous = earlier
                .iter()
                .find(|other| other.measured.date < measured.date)?;
            let infant = age.is_some_and(|age| age.years == 0);
            let limit = if infant {
                config.weight_change_max_percent_infant
            } else {
                config.weight_change_max_percent
            };
            let before = previous.measured.value.value();
            let change = percent_of((latest - before).abs(), before);
            (change > Decimal::from(limit)).then(|| {
                let conflict = Conflict::ChangeSincePrevious {
                    percent: change.round(),
                    limit_percent: limit,
                };
                (previous, conflict)
            })
        });
    let Some((other, conflict)) = conflict else {
        return Measurement::Usable { measured, source };
    };
    let why = match conflict {
        Conflict::SameDay { limit_percent } => format!(
            "differs by more than {limit_percent}% from the weight {} the same day",
            other.measured.value
        ),
        Conflict::ChangeSincePrevious {
            percent,
            limit_percent,
        } => format!(
            "changed by {percent}% since {} on {}, more than the {limit_percent}% allowed",
            other.measured.value,
            date_in_words(other.measured.date)
        ),
    };
    let advice = match conflict {
        Conflict::SameDay { .. } => "re-weigh and mark the wrong one entered-in-error",
        Conflict::ChangeSincePrevious { .. } => "check the value and its unit",
    };
    let message = match conflict {
        Conflict::SameDay { limit_percent } => format!(
            "Two weights on {} ({} and {}) differ by more than {limit_percent}%; neither was used: \
             {advice}.",
            date_in_words(measured.date),
            measured.value,
            other.measured.value
        ),
        Conflict::ChangeSincePrevious { .. } => format!(
            "The weight {} on {} {why}; it was not used: {advice}.",
            measured.value,
            date_in_words(measured.date)
        ),
    };
    issues.push(DataIssue {
        kind: DataIssueKind::InconsistentMeasurement,
        source: Some(source.clone()),
        message,
    });
    Measurement::Inconsistent {
        measured,
        source,
        other: other.clone(),
        conflict,
    }
}

/// Implausible values are rejected first (a wrong value is worse than an old one), then stale
/// ones; each rejection is also a data issue with the value and its date.
fn judge<Q>(
    reading: Option<Reading<Q>>,
    future: Option<FutureReading>,
    what: &str,
    today: Date,
    max_age_days: u32,
    range: (Q, Q),
    issues: &mut Vec<DataIssue>,
) -> Measurement<Q>
where
    Q: Copy + PartialOrd + std::fmt::Display,
{
    let Some(Reading { measured, source }) = reading else {
        if let Some(future) = future {
            return Measurement::FutureDated(future);
        }
        issues.push(DataIssue {
            kind: DataIssueKind::MissingMeasurement,
            source: None,
            message: format!("No {what} is on record; doses based on it cannot be computed."),
        });
        return Measurement::Missing;
    };
    let Measured { value, date } = measured;
    if value < range.0 || value > range.1 {
        issues.push(DataIssue {
            kind: DataIssueKind::ImplausibleMeasurement,
            source: Some(source.clone()),
            message: format!(
                "The {what} {value} on {} is outside the plausible range {} to {}; it was not used.",
                date_in_words(date),
                range.0,
                range.1
            ),
        });
        return Measurement::Implausible {
            measured,
            source,
            range,
        };
    }
    let age_days = (today - date).whole_days();
    if age_days > i64::from(max_age_days) {
        issues.push(DataIssue {
            kind: DataIssueKind::StaleMeasurement,
            source: Some(source.clone()),
            message: format!(
                "The latest {what} {value} is from {}, {age_days} days ago, older than the \
                 {max_age_days}-day limit; it was not used.",
                date_in_words(date)
            ),
        });
        return Measurement::Stale {
            measured,
            source,
            max_age_days,
        };
    }
    Measurement::Usable { measured, source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bsa(formula: BsaFormula, kg: f64, cm: f64) -> SquareMetres {
        let kg = Kilograms::parse(&kg.to_string()).unwrap();
        let cm = Centimetres::parse(&cm.to_string()).unwrap();
        body_surface_area(formula, kg, cm).unwrap()
    }

    fn as_f64(bsa: SquareMetres) -> f64 {
        bsa.value().to_f64().unwrap()
    }

    #[test]
    fn mosteller_of_the_cyclophosphamide_example_rounds_once_to_0_82() {
        let unrounded = bsa(BsaFormula::Mosteller, 21.0, 116.0);
        assert!((as_f64(unrounded) - 0.822_598).abs() < 1e-6);
        assert_eq!(round_bsa(unrounded), SquareMetres::parse("0.82"));
    }

    #[test]
    fn haycock_matches_its_published_form() {
        let unrounded = bsa(BsaFormula::Haycock, 16.0, 102.0);
        let expected = 0.024_265 * 16f64.powf(0.5378) * 102f64.powf(0.3964);
        assert!((as_f64(unrounded) - expected).abs() < 1e-12);
        assert_eq!(round_bsa(unrounded), SquareMetres::parse("0.67"));
    }

    #[test]
    fn a_half_hundredth_rounds_away_from_zero() {
        let half = SquareMetres::parse("0.725").unwrap();
        assert_eq!(round_bsa(half), SquareMetres::parse("0.73"));
    }

    proptest! {
        #[test]
        fn bsa_grows_with_weight(kg in 2.0f64..150.0, extra in 0.1f64..50.0, cm in 40.0f64..200.0, haycock: bool) {
            let formula = if haycock { BsaFormula::Haycock } else { BsaFormula::Mosteller };
            prop_assert!(bsa(formula, kg + extra, cm) > bsa(formula, kg, cm));
        }

        #[test]
        fn bsa_grows_with_height(kg in 2.0f64..150.0, cm in 40.0f64..200.0, extra in 0.1f64..30.0, haycock: bool) {
            let formula = if haycock { BsaFormula::Haycock } else { BsaFormula::Mosteller };
            prop_assert!(bsa(formula, kg, cm + extra) > bsa(formula, kg, cm));
        }

        /// Plausible children: height 50-180 cm with a weight within a wide band around the
        /// median for that height (BMI 12-25).
        #[test]
        fn mosteller_and_haycock_agree_within_ten_percent_for_children(cm in 50.0f64..180.0, bmi in 12.0f64..25.0) {
            let kg = bmi * (cm / 100.0).powi(2);
            let mosteller = as_f64(bsa(BsaFormula::Mosteller, kg, cm));
            let haycock = as_f64(bsa(BsaFormula::Haycock, kg, cm));
            let difference = (mosteller - haycock).abs() / mosteller;
            prop_assert!(difference < 0.10, "{kg} kg, {cm} cm: {mosteller} vs {haycock}");
        }

        /// The rounded BSA is within half a hundredth of the unrounded one, on 2 decimals.
        #[test]
        fn rounding_happens_once_to_two_decimals(kg in 2.0f64..150.0, cm in 40.0f64..200.0) {
            let unrounded = bsa(BsaFormula::Mosteller, kg, cm);
            let rounded = round_bsa(unrounded).unwrap();
            prop_assert!(rounded.value().scale() <= 2);
            prop_assert!((rounded.value() - unrounded.value()).abs() <= Decimal::new(5, 3));
        }
    }
}

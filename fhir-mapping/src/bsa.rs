//! Weight, height and body surface area, each judged fit or unfit for dosing (section 2):
//! staleness and plausibility from configuration, BSA by Mosteller (default) or Haycock.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use time::Date;

use crate::facts::{
    BodyMeasurements, BodySurfaceArea, BsaFormula, DataIssue, DataIssueKind, FhirRef, Measured,
    Measurement, Reading,
};
use crate::observations::{latest_bsa_observation, latest_height, latest_weight};
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

/// Weight, height and the BSA for dosing; problems become data issues.
pub fn body_measurements(context: &Context<'_>, issues: &mut Vec<DataIssue>) -> BodyMeasurements {
    let config = context.config;
    let weight = judge(
        latest_weight(context, issues),
        "weight",
        context.today,
        config.weight_max_age_days,
        config.weight_range(),
        issues,
    );
    let height = judge(
        latest_height(context, issues),
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

/// Implausible values are rejected first (a wrong value is worse than an old one), then stale
/// ones; each rejection is also a data issue with the value and its date.
fn judge<Q>(
    reading: Option<Reading<Q>>,
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
                "The {what} {value} on {date} ({source}) is outside the plausible range {} to {}; it was not used.",
                range.0, range.1
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
                "The latest {what} {value} is from {date} ({source}), {age_days} days ago, older than the {max_age_days}-day limit; it was not used."
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

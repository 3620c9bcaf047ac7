//! Weight, height and body surface area, each judged fit or unfit for dosing (section 2):
//! staleness and plausibility from configuration, BSA by Mosteller (default) or Haycock.

use time::Date;

use crate::facts::{
    BodyMeasurements, BodySurfaceArea, BsaFormula, DataIssue, DataIssueKind, Measured, Measurement,
};
use crate::observations::{latest_bsa_observation, latest_height, latest_weight, Reading};
use crate::quantity::{Centimetres, Kilograms, SquareMetres};
use crate::Context;

/// BSA in m2 by the given formula, unrounded.
pub fn body_surface_area(
    formula: BsaFormula,
    weight: Kilograms,
    height: Centimetres,
) -> SquareMetres {
    let (kg, cm) = (weight.value(), height.value());
    SquareMetres::new(match formula {
        BsaFormula::Mosteller => (cm * kg / 3600.0).sqrt(),
        BsaFormula::Haycock => 0.024_265 * kg.powf(0.5378) * cm.powf(0.3964),
    })
}

/// Rounds a BSA to 2 decimals, as doses are computed from it.
pub fn round_bsa(bsa: SquareMetres) -> SquareMetres {
    SquareMetres::new((bsa.value() * 100.0).round() / 100.0)
}

/// Weight, height and the BSA for dosing; problems become data issues.
pub fn body_measurements(context: &Context<'_>, issues: &mut Vec<DataIssue>) -> BodyMeasurements {
    let config = context.config;
    let weight = judge(
        latest_weight(context, issues),
        "weight",
        context.today,
        config.weight_max_age_days,
        (
            Kilograms::new(config.weight_kg_range[0]),
            Kilograms::new(config.weight_kg_range[1]),
        ),
        issues,
    );
    let height = judge(
        latest_height(context, issues),
        "height",
        context.today,
        config.height_max_age_days,
        (
            Centimetres::new(config.height_cm_range[0]),
            Centimetres::new(config.height_cm_range[1]),
        ),
        issues,
    );
    let bsa = match (weight.usable(), height.usable()) {
        (Some((weight, _)), Some((height, _))) => {
            let unrounded = body_surface_area(config.bsa_formula, weight.value, height.value);
            BodySurfaceArea::Computed {
                value: round_bsa(unrounded),
                unrounded,
                formula: config.bsa_formula,
            }
        }
        _ => observed_bsa(context, issues),
    };
    BodyMeasurements {
        weight,
        height,
        bsa,
    }
}

/// A recent, plausible BSA Observation, used only when weight or height is not usable.
fn observed_bsa(context: &Context<'_>, issues: &mut Vec<DataIssue>) -> BodySurfaceArea {
    let config = context.config;
    let Some(reading) = latest_bsa_observation(context, issues) else {
        return BodySurfaceArea::Unavailable;
    };
    let range = (
        SquareMetres::new(config.bsa_m2_range[0]),
        SquareMetres::new(config.bsa_m2_range[1]),
    );
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

    #[test]
    fn mosteller_of_the_cyclophosphamide_example_rounds_to_0_82() {
        let bsa = body_surface_area(
            BsaFormula::Mosteller,
            Kilograms::new(21.0),
            Centimetres::new(116.0),
        );
        assert!((bsa.value() - 0.822_598).abs() < 1e-6);
        assert_eq!(round_bsa(bsa), SquareMetres::new(0.82));
    }

    #[test]
    fn haycock_matches_its_published_form() {
        let bsa = body_surface_area(
            BsaFormula::Haycock,
            Kilograms::new(16.0),
            Centimetres::new(102.0),
        );
        let expected = 0.024_265 * 16f64.powf(0.5378) * 102f64.powf(0.3964);
        assert!((bsa.value() - expected).abs() < 1e-12);
        assert_eq!(round_bsa(bsa), SquareMetres::new(0.67));
    }

    proptest! {
        #[test]
        fn bsa_grows_with_weight(kg in 2.0f64..150.0, extra in 0.1f64..50.0, cm in 40.0f64..200.0, haycock: bool) {
            let formula = if haycock { BsaFormula::Haycock } else { BsaFormula::Mosteller };
            let lighter = body_surface_area(formula, Kilograms::new(kg), Centimetres::new(cm));
            let heavier = body_surface_area(formula, Kilograms::new(kg + extra), Centimetres::new(cm));
            prop_assert!(heavier > lighter);
        }

        #[test]
        fn bsa_grows_with_height(kg in 2.0f64..150.0, cm in 40.0f64..200.0, extra in 0.1f64..30.0, haycock: bool) {
            let formula = if haycock { BsaFormula::Haycock } else { BsaFormula::Mosteller };
            let shorter = body_surface_area(formula, Kilograms::new(kg), Centimetres::new(cm));
            let taller = body_surface_area(formula, Kilograms::new(kg), Centimetres::new(cm + extra));
            prop_assert!(taller > shorter);
        }

        /// Plausible children: height 50-180 cm with a weight within a wide band around the
        /// median for that height (BMI 12-25).
        #[test]
        fn mosteller_and_haycock_agree_within_ten_percent_for_children(cm in 50.0f64..180.0, bmi in 12.0f64..25.0) {
            let kg = bmi * (cm / 100.0).powi(2);
            let mosteller = body_surface_area(BsaFormula::Mosteller, Kilograms::new(kg), Centimetres::new(cm));
            let haycock = body_surface_area(BsaFormula::Haycock, Kilograms::new(kg), Centimetres::new(cm));
            let difference = (mosteller.value() - haycock.value()).abs() / mosteller.value();
            prop_assert!(difference < 0.10, "{kg} kg, {cm} cm: {mosteller} vs {haycock}");
        }
    }
}

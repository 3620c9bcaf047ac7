//! Dose arithmetic: BSA- and weight-based doses, rounding to a
//! step, caps, and the working shown on the card.
//!
//! All arithmetic is exact decimal arithmetic (`rust_decimal`), so the card shows `232.5 mg`, never
//! `232.50000001 mg`; the measurements arrive exact from the facts (the BSA rounded once there).
//!
//! Invariant: an mg amount exists only through `Dosing::dose`, and a `Dosing` only when the
//! measurements the call needs are usable.

use fhir_mapping::{
    date_in_words, BodyMeasurements, BodySurfaceArea, BsaFormula, Conflict, FhirRef, Measurement,
};
use rust_decimal::{Decimal, RoundingStrategy};
use time::Date;

pub use fhir_mapping::Milligrams;

/// What a dose is scaled by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasisUnit {
    /// Per square metre of body surface area.
    SquareMetre,
    /// Per kilogram of body weight.
    Kilogram,
}

impl BasisUnit {
    /// The unit as a card writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            BasisUnit::SquareMetre => "m2",
            BasisUnit::Kilogram => "kg",
        }
    }
}

/// A body size fit for dosing, with the sentence that says where it came from. Only a `Dosing`
/// holds one, so no dose can be computed from a measurement that was not judged usable.
#[derive(Debug, Clone, PartialEq)]
pub struct DosingBasis {
    amount: Decimal,
    unit: BasisUnit,
    provenance: String,
    sources: Vec<FhirRef>,
}

impl DosingBasis {
    /// The value (m2 or kg).
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// m2 or kg.
    pub fn unit(&self) -> BasisUnit {
        self.unit
    }

    /// Where the value came from: the readings with their dates, in clinical words.
    pub fn provenance(&self) -> &str {
        &self.provenance
    }

    /// The Observations the value came from (for the card's references).
    pub fn sources(&self) -> &[FhirRef] {
        &self.sources
    }

    fn body_surface_area(body: &BodyMeasurements) -> Option<Self> {
        let (value, provenance, sources) = match &body.bsa {
            BodySurfaceArea::Unavailable => return None,
            BodySurfaceArea::Computed {
                value,
                formula,
                weight,
                height,
                ..
            } => {
                let formula = match formula {
                    BsaFormula::Mosteller => "Mosteller",
                    BsaFormula::Haycock => "Haycock",
                };
                let provenance = format!(
                    "{formula}; weight {} kg on {}, height {} cm on {}",
                    show(weight.measured.value.value()),
                    date_in_words(weight.measured.date),
                    show(height.measured.value.value()),
                    date_in_words(height.measured.date),
                );
                let sources = vec![weight.source.clone(), height.source.clone()];
                (*value, provenance, sources)
            }
            BodySurfaceArea::Observed { measured, source } => (
                measured.value,
                format!("recorded BSA on {}", date_in_words(measured.date)),
                vec![source.clone()],
            ),
        };
        // The BSA was rounded once, by the mapping; it is used as it is.
        let amount = value.value();
        Some(Self {
            amount,
            unit: BasisUnit::SquareMetre,
            provenance: format!("BSA {} m2 ({provenance})", show(amount)),
            sources,
        })
    }

    fn weight(body: &BodyMeasurements) -> Option<Self> {
        let (weight, source) = body.weight.usable()?;
        let amount = weight.value.value();
        Some(Self {
            amount,
            unit: BasisUnit::Kilogram,
            provenance: format!(
                "weight {} kg on {}",
                show(amount),
                date_in_words(weight.date)
            ),
            sources: vec![source.clone()],
        })
    }
}

/// Proof that the body measurements the call's doses need are usable. Only `Dosing::assess`
/// makes one, and `Dosing::dose` is the only way to an mg amount: a card cannot show an mg
/// amount unless the assessment found the measurements fit for dosing.
#[derive(Debug, Clone, PartialEq)]
pub struct Dosing {
    bsa: Option<DosingBasis>,
    weight: Option<DosingBasis>,
}

impl Dosing {
    /// The dosing bases of `body`, or `None` when a basis the call needs (`needs_bsa`,
    /// `needs_weight`) is unusable: then *both* are withheld, so no card anywhere shows an mg
    /// amount.
    pub fn assess(body: &BodyMeasurements, needs_bsa: bool, needs_weight: bool) -> Option<Dosing> {
        let bsa = DosingBasis::body_surface_area(body);
        let weight = DosingBasis::weight(body);
        if (needs_bsa && bsa.is_none()) || (needs_weight && weight.is_none()) {
            return None;
        }
        Some(Dosing { bsa, weight })
    }

    /// The BSA basis, when usable.
    pub fn bsa(&self) -> Option<&DosingBasis> {
        self.bsa.as_ref()
    }

    /// The weight basis, when usable.
    pub fn weight(&self) -> Option<&DosingBasis> {
        self.weight.as_ref()
    }

    /// A dose by `rule`, from the basis the rule is per; `None` when that basis is unusable.
    pub fn dose(&self, rule: &DoseRule) -> Option<ComputedDose> {
        let basis = match rule.basis {
            BasisUnit::SquareMetre => self.bsa()?,
            BasisUnit::Kilogram => self.weight()?,
        };
        Some(ComputedDose::compute(rule, basis))
    }
}

/// How a dose is derived: amount per unit of body size, rounding step, cap and divisor.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseRule {
    /// What the dose is per.
    pub basis: BasisUnit,
    /// mg per m2 or per kg.
    pub per_unit: Decimal,
    /// How `per_unit` reads on the card, e.g. `mg/m2` or `mg/kg/day`.
    pub per_unit_label: &'static str,
    /// The product is split into this many administrations (1 = not split).
    pub divided_into: u32,
    /// Doses are rounded to a multiple of this (half away from zero).
    pub rounding_step: Decimal,
    /// The most one administration may be.
    pub cap: Option<DoseCap>,
}

/// A maximum dose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DoseCap {
    /// A fixed maximum per administration (rituximab 1000 mg, methylprednisolone 1000 mg/day).
    Milligrams(Decimal),
    /// A maximum per square metre.
    MilligramsPerSquareMetre(Decimal),
    /// A maximum per day, for a daily dose divided into several administrations
    /// (dexamethasone 40 mg/day): each administration is at most the day's cap divided.
    MilligramsPerDay(Decimal),
}

/// A computed dose together with every number that shaped it.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputedDose {
    /// The dose per administration, rounded and capped.
    pub dose: Milligrams,
    /// The rule that was applied.
    pub rule: DoseRule,
    /// The body size used.
    pub basis: DosingBasis,
    /// `per_unit x basis`.
    pub product: Decimal,
    /// `product / divided_into`, before rounding.
    pub unrounded: Decimal,
    /// After rounding, before the cap.
    pub rounded: Decimal,
    /// The cap in mg, when there is one.
    pub cap_mg: Option<Decimal>,
}

impl ComputedDose {
    /// Applies a dose rule to a body size (reached through `Dosing::dose`).
    fn compute(rule: &DoseRule, basis: &DosingBasis) -> Self {
        let product = rule.per_unit * basis.amount;
        let divisor = Decimal::from(rule.divided_into.max(1));
        let unrounded = product / divisor;
        let rounded = round_to_step(unrounded, rule.rounding_step);
        let cap_mg = rule.cap.map(|cap| match cap {
            DoseCap::Milligrams(mg) => mg,
            DoseCap::MilligramsPerSquareMetre(per_m2) => per_m2 * basis.amount,
            DoseCap::MilligramsPerDay(per_day) => per_day / divisor,
        });
        // A binding cap is itself brought to the rounding step, downwards, so the dose given is
        // a measurable amount that never exceeds the cap.
        let dose = match cap_mg {
            Some(cap) if rounded > cap => floor_to_step(cap, rule.rounding_step),
            _ => rounded,
        };
        Self {
            dose: Milligrams::new(dose),
            rule: rule.clone(),
            basis: basis.clone(),
            product,
            unrounded,
            rounded,
            cap_mg,
        }
    }

    /// Whether the cap reduced the dose.
    pub fn cap_applied(&self) -> bool {
        self.cap_mg.is_some_and(|cap| self.rounded > cap)
    }

    /// Whether the dose is the maximum: the cap reduced it, or the rounded dose equals the cap.
    pub fn at_cap(&self) -> bool {
        self.cap_mg.is_some_and(|cap| self.rounded >= cap)
    }

    /// `", capped"` when the dose is the maximum, for summaries that state the amount (section 5:
    /// when a cap binds, the card says so).
    pub fn cap_suffix(&self) -> &'static str {
        if self.at_cap() {
            ", capped"
        } else {
            ""
        }
    }

    /// The working as markdown-free sentences: inputs, formula, unrounded and rounded result, cap.
    pub fn working(&self) -> Vec<String> {
        let rule = &self.rule;
        let mut lines = vec![self.basis.provenance.clone()];
        let product = format!(
            "{} {} x {} {} = {} mg",
            show(rule.per_unit),
            rule.per_unit_label,
            show(self.basis.amount),
            self.basis.unit.symbol(),
            show(self.product)
        );
        let per_dose = if rule.divided_into > 1 {
            format!(
                "{product}; divided into {} doses: {} mg",
                rule.divided_into,
                show(self.unrounded)
            )
        } else {
            product
        };
        let rounded = format!(
            "{per_dose}, rounded to the nearest {} mg: {} mg",
            show(rule.rounding_step),
            show(self.rounded)
        );
        // A cap is a line of its own when it binds or is reached; one that does not is on the
        // rulebook page, not on the card.
        lines.push(rounded);
        lines.extend(self.cap_line());
        lines
    }

    /// The cap as text ("1000 mg", "1000 mg/m2 x 1.24 m2 = 1240 mg"), when there is one.
    fn cap_text(&self) -> Option<String> {
        let cap_mg = self.cap_mg?;
        Some(match self.rule.cap? {
            DoseCap::Milligrams(mg) => format!("{} mg", show(mg)),
            DoseCap::MilligramsPerSquareMetre(per_m2) => format!(
                "{} mg/m2 x {} m2 = {} mg",
                show(per_m2),
                show(self.basis.amount),
                show(cap_mg)
            ),
            DoseCap::MilligramsPerDay(per_day) => {
                format!("{} mg/day ({} mg per dose)", show(per_day), show(cap_mg))
            }
        })
    }

    /// A line of its own when the cap binds or is reached; `None` otherwise.
    fn cap_line(&self) -> Option<String> {
        let cap_text = self.cap_text()?;
        if self.cap_applied() {
            Some(format!("capped at {cap_text}: {}", self.dose))
        } else if self.at_cap() {
            Some(format!(
                "maximum {cap_text}: reached, the dose is the maximum"
            ))
        } else {
            None
        }
    }
}

/// The largest multiple of `step` not above `value`.
fn floor_to_step(value: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO {
        return value;
    }
    ((value / step).floor() * step).normalize()
}

/// Rounds to the nearest multiple of `step`, halves away from zero (615 -> 620 for step 10).
pub fn round_to_step(value: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO {
        return value;
    }
    let steps = (value / step).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    (steps * step).normalize()
}

/// How far an ordered dose is from the computed one, in percent of the computed dose.
pub fn deviation_percent(ordered: Decimal, computed: Decimal) -> Option<Decimal> {
    if computed <= Decimal::ZERO {
        return None;
    }
    Some(((ordered - computed).abs() * Decimal::from(100) / computed).round_dp(1))
}

/// A decimal as the card shows it: no trailing zeros.
pub fn show(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Why a measurement is not usable, with its value and date, for the `missing-body-measurements`
/// card; `None` when it is usable.
pub fn measurement_problem<Q: Copy>(
    name: &str,
    measurement: &Measurement<Q>,
    value_of: impl Fn(Q) -> Decimal,
    unit: &str,
) -> Option<String> {
    let describe = |value: Q, date: Date| {
        format!(
            "{} {unit} on {}",
            show(value_of(value)),
            date_in_words(date)
        )
    };
    match measurement {
        Measurement::Usable { .. } => None,
        Measurement::Missing => Some(format!("no {name} is on record")),
        Measurement::FutureDated(future) => Some(format!(
            "the only {name} on record is dated in the future ({}): check its date",
            date_in_words(future.date)
        )),
        Measurement::Stale {
            measured,
            max_age_days,
            ..
        } => Some(format!(
            "the latest {name} ({}) is older than {max_age_days} days",
            describe(measured.value, measured.date)
        )),
        Measurement::Implausible {
            measured, range, ..
        } => Some(format!(
            "the latest {name} ({}) is outside the plausible range {}-{} {unit}",
            describe(measured.value, measured.date),
            show(value_of(range.0)),
            show(value_of(range.1))
        )),
        Measurement::Inconsistent {
            measured,
            other,
            conflict,
            ..
        } => {
            let other_text = describe(other.measured.value, other.measured.date);
            Some(match conflict {
                Conflict::SameDay { limit_percent } => format!(
                    "two {name}s on the same day differ by more than {limit_percent}% ({}; \
                     {other_text}): re-weigh and mark the wrong one entered-in-error",
                    describe(measured.value, measured.date)
                ),
                Conflict::ChangeSincePrevious {
                    percent,
                    limit_percent,
                } => format!(
                    "the latest {name} ({}) changed by {percent}% since the previous \
                     one ({other_text}), more than the {limit_percent}% allowed: check the value \
                     and its unit",
                    describe(measured.value, measured.date)
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    use crate::fixtures::body;

    fn rituximab() -> DoseRule {
        DoseRule {
            basis: BasisUnit::SquareMetre,
            per_unit: dec("375"),
            per_unit_label: "mg/m2",
            divided_into: 1,
            rounding_step: dec("10"),
            cap: Some(DoseCap::Milligrams(dec("1000"))),
        }
    }

    #[test]
    fn rounding_is_to_the_nearest_step_with_halves_away_from_zero() {
        assert_eq!(round_to_step(dec("615"), dec("10")), dec("620"));
        assert_eq!(round_to_step(dec("614.99"), dec("10")), dec("610"));
        assert_eq!(round_to_step(dec("8.25"), dec("0.5")), dec("8.5"));
        assert_eq!(round_to_step(dec("8.2"), dec("0.5")), dec("8"));
        assert_eq!(round_to_step(dec("232.5"), dec("10")), dec("230"));
    }

    #[test]
    fn the_rules_worked_example_gives_230_mg_with_its_working() {
        let basis = DosingBasis::body_surface_area(&body(14.2, 96.0, 0.62)).unwrap();
        let dose = ComputedDose::compute(&rituximab(), &basis);
        assert_eq!(dose.dose.to_string(), "230 mg");
        let working = dose.working();
        assert_eq!(
            working[0],
            "BSA 0.62 m2 (Mosteller; weight 14.2 kg on 20 Nov 2026, height 96 cm on 2 Oct 2026)"
        );
        assert_eq!(
            working[1],
            "375 mg/m2 x 0.62 m2 = 232.5 mg, rounded to the nearest 10 mg: 230 mg"
        );
        assert_eq!(working.len(), 2);
    }

    #[test]
    fn the_cap_binds_for_a_large_adult_and_the_card_says_so() {
        let basis = DosingBasis::body_surface_area(&body(110.0, 190.0, 2.7)).unwrap();
        let dose = ComputedDose::compute(&rituximab(), &basis);
        assert_eq!(dose.rounded, dec("1010"));
        assert_eq!(dose.dose.value(), dec("1000"));
        assert!(dose.cap_applied());
        assert!(
            dose.working()[2].starts_with("capped at"),
            "{:?}",
            dose.working()
        );
    }

    #[test]
    fn dexamethasone_is_split_into_two_doses_before_rounding() {
        let rule = DoseRule {
            basis: BasisUnit::SquareMetre,
            per_unit: dec("20"),
            per_unit_label: "mg/m2/day",
            divided_into: 2,
            rounding_step: dec("0.5"),
            cap: None,
        };
        let basis = DosingBasis::body_surface_area(&body(21.0, 116.0, 0.82)).unwrap();
        let dose = ComputedDose::compute(&rule, &basis);
        assert_eq!(dose.dose.value(), dec("8"));
        assert_eq!(
            dose.working()[1],
            "20 mg/m2/day x 0.82 m2 = 16.4 mg; divided into 2 doses: 8.2 mg, rounded to the \
             nearest 0.5 mg: 8 mg"
        );
    }

    #[test]
    fn a_per_square_metre_cap_scales_with_the_bsa() {
        let rule = DoseRule {
            basis: BasisUnit::SquareMetre,
            per_unit: dec("1200"),
            per_unit_label: "mg/m2",
            divided_into: 1,
            rounding_step: dec("10"),
            cap: Some(DoseCap::MilligramsPerSquareMetre(dec("1000"))),
        };
        let basis = DosingBasis::body_surface_area(&body(21.0, 116.0, 0.82)).unwrap();
        let dose = ComputedDose::compute(&rule, &basis);
        assert_eq!(dose.dose.value(), dec("820"));
        assert!(dose.cap_applied());
    }

    #[test]
    fn weight_based_methylprednisolone_is_capped_at_one_gram() {
        let rule = DoseRule {
            basis: BasisUnit::Kilogram,
            per_unit: dec("30"),
            per_unit_label: "mg/kg/day",
            divided_into: 1,
            rounding_step: dec("10"),
            cap: Some(DoseCap::Milligrams(dec("1000"))),
        };
        let basis = DosingBasis::weight(&body(21.3, 116.0, 0.83)).unwrap();
        let small = ComputedDose::compute(&rule, &basis);
        assert_eq!(small.dose.value(), dec("640"));
        assert_eq!(
            small.working()[1],
            "30 mg/kg/day x 21.3 kg = 639 mg, rounded to the nearest 10 mg: 640 mg"
        );
        let basis = DosingBasis::weight(&body(70.0, 170.0, 1.82)).unwrap();
        assert_eq!(
            ComputedDose::compute(&rule, &basis).dose.value(),
            dec("1000")
        );
    }

    #[test]
    fn no_basis_exists_without_a_usable_bsa() {
        let mut measurements = body(21.0, 116.0, 0.82);
        measurements.bsa = BodySurfaceArea::Unavailable;
        assert_eq!(DosingBasis::body_surface_area(&measurements), None);
    }

    #[test]
    fn no_dosing_proof_exists_when_a_needed_measurement_is_unusable() {
        let mut measurements = body(18.0, 105.0, 0.72);
        assert!(Dosing::assess(&measurements, true, true).is_some());
        measurements.bsa = BodySurfaceArea::Unavailable;
        assert_eq!(Dosing::assess(&measurements, true, false), None);
        let weight_only = Dosing::assess(&measurements, false, true).unwrap();
        assert!(
            weight_only.dose(&rituximab()).is_none(),
            "no BSA, no mg/m2 dose"
        );
        measurements.weight = Measurement::Missing;
        assert_eq!(Dosing::assess(&measurements, false, true), None);
    }

    #[test]
    fn a_dose_is_computed_from_the_basis_its_rule_is_per() {
        let dosing = Dosing::assess(&body(20.0, 110.0, 0.78), true, true).unwrap();
        let per_kg = DoseRule {
            basis: BasisUnit::Kilogram,
            per_unit: dec("30"),
            per_unit_label: "mg/kg/day",
            ..rituximab()
        };
        assert_eq!(dosing.dose(&per_kg).unwrap().dose.value(), dec("600"));
        assert_eq!(dosing.dose(&rituximab()).unwrap().dose.value(), dec("290"));
    }

    #[test]
    fn deviation_is_measured_against_the_computed_dose() {
        assert_eq!(deviation_percent(dec("650"), dec("620")), Some(dec("4.8")));
        assert_eq!(deviation_percent(dec("500"), dec("250")), Some(dec("100")));
        assert_eq!(deviation_percent(dec("1"), Decimal::ZERO), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn basis_m2(hundredths: u32) -> DosingBasis {
            DosingBasis {
                amount: Decimal::new(i64::from(hundredths), 2),
                unit: BasisUnit::SquareMetre,
                provenance: String::new(),
                sources: Vec::new(),
            }
        }

        proptest! {
            #[test]
            fn the_dose_never_decreases_as_the_bsa_grows(a in 15u32..300, b in 15u32..300) {
                let (small, large) = (a.min(b), a.max(b));
                let low = ComputedDose::compute(&rituximab(), &basis_m2(small));
                let high = ComputedDose::compute(&rituximab(), &basis_m2(large));
                prop_assert!(low.dose <= high.dose);
            }

            #[test]
            fn the_dose_never_exceeds_its_cap(hundredths in 15u32..300, per_m2 in 100u32..2000) {
                let rule = DoseRule { per_unit: Decimal::from(per_m2), ..rituximab() };
                let dose = ComputedDose::compute(&rule, &basis_m2(hundredths));
                prop_assert!(dose.dose.value() <= Decimal::from(1000));
                let cpm = DoseRule { cap: Some(DoseCap::MilligramsPerSquareMetre(Decimal::from(1000))), ..rule };
                let dose = ComputedDose::compute(&cpm, &basis_m2(hundredths));
                prop_assert!(dose.dose.value() <= Decimal::from(1000) * Decimal::new(i64::from(hundredths), 2));
            }

            #[test]
            fn rounding_is_exact_and_within_half_a_step(cents in 0i64..10_000_000, step_tenths in 1i64..200) {
                let value = Decimal::new(cents, 2);
                let step = Decimal::new(step_tenths, 1);
                let rounded = round_to_step(value, step);
                prop_assert_eq!((rounded / step).fract(), Decimal::ZERO);
                prop_assert!((rounded - value).abs() * Decimal::from(2) <= step);
            }

            #[test]
            fn weight_doses_never_decrease_as_weight_grows(a in 20u32..2500, b in 20u32..2500) {
                let rule = DoseRule { per_unit: Decimal::from(30), per_unit_label: "mg/kg/day", basis: BasisUnit::Kilogram, ..rituximab() };
                let basis = |tenths: u32| DosingBasis { amount: Decimal::new(i64::from(tenths), 1), unit: BasisUnit::Kilogram, provenance: String::new(), sources: Vec::new() };
                let low = ComputedDose::compute(&rule, &basis(a.min(b)));
                let high = ComputedDose::compute(&rule, &basis(a.max(b)));
                prop_assert!(low.dose <= high.dose);
                prop_assert!(high.dose.value() <= Decimal::from(1000));
            }
        }
    }
}

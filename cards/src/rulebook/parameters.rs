//! The configured numbers behind the cards, as rows of the rulebook's parameter tables. Each row
//! names its `[clinical]` key, so a reader can tell which value a site may change and an operator
//! can find it; each value is read from the configuration passed in, never restated.

use rust_decimal::Decimal;

use crate::config::ClinicalConfig;
use crate::dose::show;

/// One configured number: what it is, its value with its unit, and the key that sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// What the number is, in words.
    pub name: &'static str,
    /// The value with its unit, e.g. `375 mg/m2 per dose`.
    pub value: String,
    /// The configuration key, e.g. `clinical.rituximab_mg_per_m2`.
    pub key: &'static str,
}

impl Parameter {
    fn new(name: &'static str, value: String, key: &'static str) -> Self {
        Self { name, value, key }
    }
}

fn mg(value: Decimal) -> String {
    format!("{} mg", show(value))
}

fn nearest(step: Decimal) -> String {
    format!("{} mg (halves up)", show(step))
}

/// Rituximab per dose: the amount per m2, its rounding and its cap.
pub fn rituximab_dose(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        rituximab_per_m2(config),
        Parameter::new(
            "Rituximab dose rounded to the nearest",
            nearest(config.rituximab_rounding_mg),
            "clinical.rituximab_rounding_mg",
        ),
        rituximab_cap(config),
    ]
}

/// `clinical.rituximab_mg_per_m2`.
pub fn rituximab_per_m2(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Rituximab dose",
        format!("{} mg/m2 per dose", show(config.rituximab_mg_per_m2)),
        "clinical.rituximab_mg_per_m2",
    )
}

fn rituximab_cap(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Rituximab maximum per dose",
        mg(config.rituximab_cap_mg),
        "clinical.rituximab_cap_mg",
    )
}

/// What counts as a full rituximab course: by the number of doses, or by their recorded amounts.
pub fn full_course(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        Parameter::new(
            "Doses in a full course (at least)",
            format!("{} doses", config.full_course_min_doses),
            "clinical.full_course_min_doses",
        ),
        Parameter::new(
            "Longest span of a full course, first to last dose",
            format!("{} days", config.full_course_window_days),
            "clinical.full_course_window_days",
        ),
        Parameter::new(
            "Or, within that span, doses recorded per m2 adding up to at least",
            format!("{} mg/m2", show(config.full_course_min_mg_per_m2)),
            "clinical.full_course_min_mg_per_m2",
        ),
        Parameter::new(
            "Or, within that span, doses recorded in mg adding up to at least",
            mg(config.full_course_min_mg),
            "clinical.full_course_min_mg",
        ),
    ]
}

/// The windows that decide between re-dosing and escalation: refractory (a), (b) and (d), and
/// what an additional dose is.
pub fn refractory(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        Parameter::new(
            "A relapse this soon after a full course means refractory",
            format!("{} months", config.refractory_window_months),
            "clinical.refractory_window_months",
        ),
        redose_gap(config),
        Parameter::new(
            "A relapse this soon after an additional dose means refractory",
            format!("{} months", config.additional_dose_window_months),
            "clinical.additional_dose_window_months",
        ),
        Parameter::new(
            "A course begun this soon after the relapse date treated that relapse (non-response \
             if still in relapse)",
            format!("{} days", config.non_response_window_days),
            "clinical.non_response_window_days",
        ),
    ]
}

/// `clinical.redose_gap_days`: what separates an additional dose (or a new course) from the
/// course before it.
pub fn redose_gap(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "A later dose is an additional dose when it comes more than",
        format!("{} days after the course", config.redose_gap_days),
        "clinical.redose_gap_days",
    )
}

/// `clinical.new_course_alternative_months`: after this long, the redose card names a new full
/// course as the alternative.
pub fn new_course_alternative(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "A new full course is named as the alternative when the course ended more than",
        format!("{} months ago", config.new_course_alternative_months),
        "clinical.new_course_alternative_months",
    )
}

/// `clinical.response_judgeable_weeks`: the 8-week rule of the pulses card.
pub fn response_judgeable(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "No pulse order is suggested while the course's last dose is less than",
        format!("{} weeks ago", config.response_judgeable_weeks),
        "clinical.response_judgeable_weeks",
    )
}

/// The cyclophosphamide pulse: amount per m2, its cap in mg, the highest configurable mg/m2 and
/// the rounding.
pub fn cyclophosphamide(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        cyclophosphamide_per_m2(config),
        cyclophosphamide_cap(config),
        Parameter::new(
            "Highest configurable cyclophosphamide dose (range check)",
            format!("{} mg/m2", show(config.cyclophosphamide_cap_mg_per_m2)),
            "clinical.cyclophosphamide_cap_mg_per_m2",
        ),
        Parameter::new(
            "Cyclophosphamide rounded to the nearest",
            nearest(config.cyclophosphamide_rounding_mg),
            "clinical.cyclophosphamide_rounding_mg",
        ),
    ]
}

fn cyclophosphamide_per_m2(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Cyclophosphamide pulse",
        format!("{} mg/m2", show(config.cyclophosphamide_mg_per_m2)),
        "clinical.cyclophosphamide_mg_per_m2",
    )
}

fn cyclophosphamide_cap(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Cyclophosphamide maximum per pulse",
        format!(
            "{} per pulse (local policy)",
            mg(config.cyclophosphamide_cap_mg)
        ),
        "clinical.cyclophosphamide_cap_mg",
    )
}

/// The dexamethasone pulse of the cyclophosphamide regimen: amount, days, split, rounding and
/// daily cap.
pub fn dexamethasone(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        dexamethasone_per_m2(config),
        dexamethasone_days(config),
        dexamethasone_doses_per_day(config),
        Parameter::new(
            "Each dexamethasone dose rounded to the nearest",
            nearest(config.dexamethasone_rounding_mg),
            "clinical.dexamethasone_rounding_mg",
        ),
        dexamethasone_cap(config),
    ]
}

/// A dexamethasone pulse as a steroid option: amount, days and interval.
pub fn dexamethasone_pulse_option(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        dexamethasone_per_m2(config),
        dexamethasone_days(config),
        pulse_interval(config),
    ]
}

fn dexamethasone_per_m2(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Dexamethasone pulse",
        format!("{} mg/m2/day", show(config.dexamethasone_mg_per_m2_per_day)),
        "clinical.dexamethasone_mg_per_m2_per_day",
    )
}

fn dexamethasone_days(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Dexamethasone days per pulse",
        format!("{} days", config.dexamethasone_days),
        "clinical.dexamethasone_days",
    )
}

fn dexamethasone_doses_per_day(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Dexamethasone doses per day",
        format!("{} divided doses", config.dexamethasone_doses_per_day),
        "clinical.dexamethasone_doses_per_day",
    )
}

fn dexamethasone_cap(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Dexamethasone maximum per day",
        format!("{} mg/day", show(config.dexamethasone_cap_mg_per_day)),
        "clinical.dexamethasone_cap_mg_per_day",
    )
}

/// How often and how many times the pulses repeat.
pub fn cycles(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![pulse_interval(config), pulse_cycles(config)]
}

/// `clinical.pulse_cycles`.
pub fn pulse_cycles(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Number of cycles",
        format!("{} cycles", config.pulse_cycles),
        "clinical.pulse_cycles",
    )
}

fn pulse_interval(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Interval between pulses",
        format!("{} weeks", config.pulse_interval_weeks),
        "clinical.pulse_interval_weeks",
    )
}

/// The IV methylprednisolone pulse.
pub fn methylprednisolone(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        methylprednisolone_per_kg(config),
        methylprednisolone_cap(config),
        Parameter::new(
            "IV methylprednisolone rounded to the nearest",
            nearest(config.methylprednisolone_rounding_mg),
            "clinical.methylprednisolone_rounding_mg",
        ),
        Parameter::new(
            "Days the suggested order covers",
            format!("{} days", config.methylprednisolone_days),
            "clinical.methylprednisolone_days",
        ),
    ]
}

fn methylprednisolone_per_kg(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "IV methylprednisolone",
        format!("{} mg/kg/day", show(config.methylprednisolone_mg_per_kg)),
        "clinical.methylprednisolone_mg_per_kg",
    )
}

fn methylprednisolone_cap(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "IV methylprednisolone maximum",
        format!("{} per day", mg(config.methylprednisolone_cap_mg)),
        "clinical.methylprednisolone_cap_mg",
    )
}

/// `clinical.regimen_order_min_percent`: the share of the regimen's daily dose below which a
/// steroid order is another use.
pub fn regimen_order_share(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "A steroid order below this share of the regimen's daily dose is another use",
        format!("{}%", show(config.regimen_order_min_percent)),
        "clinical.regimen_order_min_percent",
    )
}

/// The age from which a patient is an adult (younger patients are "young").
pub fn adult_age(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Adult from the age of",
        format!("{} years", config.adult_age_years),
        "clinical.adult_age_years",
    )
}

/// `clinical.reproductive_potential_max_age_years`.
pub fn reproductive_potential(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Of reproductive potential (any sex) under the age of",
        format!("{} years", config.reproductive_potential_max_age_years),
        "clinical.reproductive_potential_max_age_years",
    )
}

/// The ages between which a patient who is not male could be pregnant.
pub fn could_be_pregnant(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        Parameter::new(
            "Could be pregnant from the age of",
            format!("{} years", config.could_be_pregnant_min_age_years),
            "clinical.could_be_pregnant_min_age_years",
        ),
        Parameter::new(
            "Could be pregnant up to the age of",
            format!("{} years", config.could_be_pregnant_max_age_years),
            "clinical.could_be_pregnant_max_age_years",
        ),
    ]
}

/// `clinical.workup_repeat_months`: how old a tumour work-up may be before the relapse.
pub fn workup_repeat(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "A work-up is repeated when the latest is, before the relapse date, more than",
        format!("{} months", config.workup_repeat_months),
        "clinical.workup_repeat_months",
    )
}

/// How far an ordered dose may be above the computed one before `dose-check` speaks.
pub fn tolerance(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Largest accepted excess over the computed dose",
        format!("{}%", show(config.dose_check_tolerance_percent)),
        "clinical.dose_check_tolerance_percent",
    )
}

/// The lower end of each regimen's literature range: below it `dose-check` warns.
pub fn literature_minima(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        Parameter::new(
            "Lowest rituximab dose of the literature range",
            format!("{} mg/m2 per dose", show(config.rituximab_min_mg_per_m2)),
            "clinical.rituximab_min_mg_per_m2",
        ),
        Parameter::new(
            "Lowest cyclophosphamide pulse of the literature range",
            format!(
                "{} mg/m2 per pulse",
                show(config.cyclophosphamide_min_mg_per_m2)
            ),
            "clinical.cyclophosphamide_min_mg_per_m2",
        ),
        Parameter::new(
            "Lowest dexamethasone pulse of the literature range",
            format!(
                "{} mg/m2/day",
                show(config.dexamethasone_min_mg_per_m2_per_day)
            ),
            "clinical.dexamethasone_min_mg_per_m2_per_day",
        ),
        Parameter::new(
            "Lowest IV methylprednisolone pulse of the literature range",
            format!(
                "{} mg/kg/day",
                show(config.methylprednisolone_min_mg_per_kg)
            ),
            "clinical.methylprednisolone_min_mg_per_kg",
        ),
    ]
}

/// Every dose cap.
pub fn caps(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        rituximab_cap(config),
        cyclophosphamide_cap(config),
        dexamethasone_cap(config),
        methylprednisolone_cap(config),
    ]
}

/// The dose each regimen computes, which `dose-check` compares orders against.
pub fn regimen_doses(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        rituximab_per_m2(config),
        cyclophosphamide_per_m2(config),
        dexamethasone_per_m2(config),
        dexamethasone_doses_per_day(config),
        methylprednisolone_per_kg(config),
    ]
}

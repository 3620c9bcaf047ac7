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

/// What counts as a full rituximab course.
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
    ]
}

/// The windows that decide between re-dosing and escalation.
pub fn refractory(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        Parameter::new(
            "A relapse this soon after a full course means refractory",
            format!("{} months", config.refractory_window_months),
            "clinical.refractory_window_months",
        ),
        Parameter::new(
            "A later dose is an additional dose when it comes more than",
            format!("{} days after the course", config.redose_gap_days),
            "clinical.redose_gap_days",
        ),
    ]
}

/// The cyclophosphamide pulse: amount per m2, its cap and its rounding.
pub fn cyclophosphamide(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        cyclophosphamide_per_m2(config),
        cyclophosphamide_cap(config),
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
        format!("{} mg/m2", show(config.cyclophosphamide_cap_mg_per_m2)),
        "clinical.cyclophosphamide_cap_mg_per_m2",
    )
}

/// The dexamethasone pulse of the cyclophosphamide regimen: amount, days, split and rounding.
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

/// How often and how many times the pulses repeat.
pub fn cycles(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        pulse_interval(config),
        Parameter::new(
            "Number of cycles",
            format!("{} cycles", config.pulse_cycles),
            "clinical.pulse_cycles",
        ),
    ]
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

/// The age from which a patient is an adult (younger patients are "young").
pub fn adult_age(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Adult from the age of",
        format!("{} years", config.adult_age_years),
        "clinical.adult_age_years",
    )
}

/// How far an ordered dose may be from the computed one before `dose-check` speaks.
pub fn tolerance(config: &ClinicalConfig) -> Parameter {
    Parameter::new(
        "Largest accepted difference from the computed dose",
        format!("{}%", show(config.dose_check_tolerance_percent)),
        "clinical.dose_check_tolerance_percent",
    )
}

/// Every dose cap.
pub fn caps(config: &ClinicalConfig) -> Vec<Parameter> {
    vec![
        rituximab_cap(config),
        cyclophosphamide_cap(config),
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

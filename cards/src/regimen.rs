//! The regimens of the rules (sections 4 and 5) as dose rules and dosages: what the cards propose
//! and what `dose-check` compares orders against.

use fhir_mapping::{FhirRef, MedicationClass};

use crate::assessment::Assessment;
use crate::config::ClinicalConfig;
use crate::dose::{show, BasisUnit, ComputedDose, DoseCap, DoseRule};
use crate::proposal::{
    AdministrationRoute, MedicationDosage, MedicationOrder, PeriodUnit, Schedule,
};

/// Rituximab 375 mg/m2 per dose, rounded to 10 mg, at most 1000 mg.
pub fn rituximab_rule(config: &ClinicalConfig) -> DoseRule {
    DoseRule {
        basis: BasisUnit::SquareMetre,
        per_unit: config.rituximab_mg_per_m2,
        per_unit_label: "mg/m2",
        divided_into: 1,
        rounding_step: config.rituximab_rounding_mg,
        cap: Some(DoseCap::Milligrams(config.rituximab_cap_mg)),
    }
}

/// Cyclophosphamide 750 mg/m2 per pulse, rounded to 10 mg, at most 1200 mg per pulse (a
/// local-policy ceiling; the former per-m2 "cap" is a range check on the configured mg/m2).
pub fn cyclophosphamide_rule(config: &ClinicalConfig) -> DoseRule {
    DoseRule {
        basis: BasisUnit::SquareMetre,
        per_unit: config.cyclophosphamide_mg_per_m2,
        per_unit_label: "mg/m2",
        divided_into: 1,
        rounding_step: config.cyclophosphamide_rounding_mg,
        cap: Some(DoseCap::Milligrams(config.cyclophosphamide_cap_mg)),
    }
}

/// Dexamethasone 20 mg/m2/day in 2 divided doses, at most 40 mg/day, each dose rounded to
/// 0.5 mg after the cap is divided.
pub fn dexamethasone_rule(config: &ClinicalConfig) -> DoseRule {
    DoseRule {
        basis: BasisUnit::SquareMetre,
        per_unit: config.dexamethasone_mg_per_m2_per_day,
        per_unit_label: "mg/m2/day",
        divided_into: config.dexamethasone_doses_per_day,
        rounding_step: config.dexamethasone_rounding_mg,
        cap: Some(DoseCap::MilligramsPerDay(
            config.dexamethasone_cap_mg_per_day,
        )),
    }
}

/// IV methylprednisolone 30 mg/kg/day, rounded to 10 mg, at most 1000 mg/day.
pub fn methylprednisolone_rule(config: &ClinicalConfig) -> DoseRule {
    DoseRule {
        basis: BasisUnit::Kilogram,
        per_unit: config.methylprednisolone_mg_per_kg,
        per_unit_label: "mg/kg/day",
        divided_into: 1,
        rounding_step: config.methylprednisolone_rounding_mg,
        cap: Some(DoseCap::Milligrams(config.methylprednisolone_cap_mg)),
    }
}

/// A rituximab dose, when a BSA may be used.
pub fn rituximab_dose(assessment: &Assessment<'_>) -> Option<ComputedDose> {
    assessment
        .dosing
        .as_ref()?
        .dose(&rituximab_rule(assessment.config))
}

/// A cyclophosphamide pulse, when a BSA may be used.
pub fn cyclophosphamide_dose(assessment: &Assessment<'_>) -> Option<ComputedDose> {
    assessment
        .dosing
        .as_ref()?
        .dose(&cyclophosphamide_rule(assessment.config))
}

/// A dexamethasone pulse dose (one of the daily divided doses), when a BSA may be used.
pub fn dexamethasone_dose(assessment: &Assessment<'_>) -> Option<ComputedDose> {
    assessment
        .dosing
        .as_ref()?
        .dose(&dexamethasone_rule(assessment.config))
}

/// An IV methylprednisolone daily dose, when a weight may be used.
pub fn methylprednisolone_dose(assessment: &Assessment<'_>) -> Option<ComputedDose> {
    assessment
        .dosing
        .as_ref()?
        .dose(&methylprednisolone_rule(assessment.config))
}

/// Rituximab IV once weekly, `count` doses (4 for a full course, 1 for a single dose).
pub fn rituximab_dosage(
    dose: &ComputedDose,
    count: u32,
    config: &ClinicalConfig,
) -> MedicationDosage {
    let per_m2 = show(config.rituximab_mg_per_m2);
    // A capped dose is not 375 mg/m2: the text says so, so pharmacy sees no mismatch.
    let basis = if dose.at_cap() {
        format!("{per_m2} mg/m2, capped at {}", dose.dose)
    } else {
        format!("{per_m2} mg/m2")
    };
    let text = if count == 1 {
        format!("rituximab {} IV, single dose ({basis})", dose.dose)
    } else {
        format!(
            "rituximab {} IV once weekly for {count} doses ({basis} per dose)",
            dose.dose
        )
    };
    MedicationDosage {
        text,
        route: AdministrationRoute::Intravenous,
        dose: dose.dose,
        schedule: Schedule {
            frequency: 1,
            period: 1,
            period_unit: PeriodUnit::Week,
            count,
        },
    }
}

/// Cyclophosphamide IV on day 1 of each cycle, every 4 weeks, for `cycles` cycles (6, or the
/// remaining ones of a regimen in progress).
pub fn cyclophosphamide_dosage(
    dose: &ComputedDose,
    config: &ClinicalConfig,
    cycles: u32,
) -> MedicationDosage {
    MedicationDosage {
        text: format!(
            "cyclophosphamide {} IV on day 1 of each {}-week cycle, {cycles} cycles ({})",
            dose.dose,
            config.pulse_interval_weeks,
            if dose.at_cap() {
                format!(
                    "{} mg/m2 capped at {} per pulse, local policy: {} mg/m2",
                    show(dose.rule.per_unit),
                    dose.dose,
                    show((dose.dose.value() / dose.basis.amount()).round_dp(0))
                )
            } else {
                format!("{} mg/m2 per pulse", show(dose.rule.per_unit))
            }
        ),
        route: AdministrationRoute::Intravenous,
        dose: dose.dose,
        schedule: Schedule {
            frequency: 1,
            period: config.pulse_interval_weeks,
            period_unit: PeriodUnit::Week,
            count: cycles,
        },
    }
}

/// Dexamethasone in divided doses on days 1-3 of a cycle. FHIR `Timing` cannot nest "days 1-3"
/// inside "every 4 weeks", so the timing covers one cycle and the text says to repeat it.
pub fn dexamethasone_dosage(
    dose: &ComputedDose,
    config: &ClinicalConfig,
    cycles: u32,
) -> MedicationDosage {
    let per_day = config.dexamethasone_doses_per_day;
    MedicationDosage {
        text: format!(
            "dexamethasone {} IV {} times daily on days 1-{} of each {}-week cycle ({}); this \
             order covers one cycle, repeat with each of the {cycles} cycles",
            dose.dose,
            per_day,
            config.dexamethasone_days,
            config.pulse_interval_weeks,
            if dose.at_cap() {
                format!(
                    "{} mg/m2/day capped at {} mg/day",
                    show(config.dexamethasone_mg_per_m2_per_day),
                    show(config.dexamethasone_cap_mg_per_day)
                )
            } else {
                format!(
                    "{} mg/m2/day in {per_day} divided doses",
                    show(config.dexamethasone_mg_per_m2_per_day)
                )
            }
        ),
        route: AdministrationRoute::Intravenous,
        dose: dose.dose,
        schedule: dexamethasone_pulse_schedule(config),
    }
}

/// A dexamethasone pulse (20 mg/m2/day by default, divided, on days 1-3 every 4 weeks) on the
/// route the clinician chose, without tying it to the cyclophosphamide regimen's cycle count: the
/// correction `dose-check` offers for a dexamethasone draft outside that regimen (the rules'
/// corticosteroid option; Rostasy 2006 gave the pulses orally or IV).
pub fn dexamethasone_pulse_dosage(
    dose: &ComputedDose,
    config: &ClinicalConfig,
    route: AdministrationRoute,
) -> MedicationDosage {
    let per_day = config.dexamethasone_doses_per_day;
    let how = match route {
        AdministrationRoute::Intravenous => "IV",
        AdministrationRoute::Oral => "orally",
    };
    MedicationDosage {
        text: format!(
            "dexamethasone {} {how} {} times daily on days 1-{} of a {}-week pulse ({} mg/m2/day \
             in {per_day} divided doses); this order covers one pulse",
            dose.dose,
            per_day,
            config.dexamethasone_days,
            config.pulse_interval_weeks,
            show(config.dexamethasone_mg_per_m2_per_day),
        ),
        route,
        dose: dose.dose,
        schedule: dexamethasone_pulse_schedule(config),
    }
}

/// One dexamethasone pulse: the divided doses of each pulse day, for the pulse's days.
fn dexamethasone_pulse_schedule(config: &ClinicalConfig) -> Schedule {
    let per_day = config.dexamethasone_doses_per_day;
    Schedule {
        frequency: per_day,
        period: 1,
        period_unit: PeriodUnit::Day,
        count: per_day * config.dexamethasone_days,
    }
}

/// IV methylprednisolone once daily for the configured days (3 by default).
pub fn methylprednisolone_dosage(dose: &ComputedDose, config: &ClinicalConfig) -> MedicationDosage {
    MedicationDosage {
        text: format!(
            "methylprednisolone {} IV once daily for {} days ({} mg/kg/day, maximum {} mg/day)",
            dose.dose,
            config.methylprednisolone_days,
            show(config.methylprednisolone_mg_per_kg),
            show(config.methylprednisolone_cap_mg)
        ),
        route: AdministrationRoute::Intravenous,
        dose: dose.dose,
        schedule: Schedule {
            frequency: 1,
            period: 1,
            period_unit: PeriodUnit::Day,
            count: config.methylprednisolone_days,
        },
    }
}

/// A MedicationRequest to create, citing the Observations behind the dose.
pub fn order(
    drug: MedicationClass,
    dosage: MedicationDosage,
    assessment: &Assessment<'_>,
) -> MedicationOrder {
    MedicationOrder {
        drug,
        dosage,
        supporting: body_sources(assessment),
    }
}

fn body_sources(assessment: &Assessment<'_>) -> Vec<FhirRef> {
    let body = &assessment.facts.body;
    let mut sources = Vec::new();
    if let Some((_, source)) = body.weight.usable() {
        sources.push(source.clone());
    }
    if let Some((_, source)) = body.height.usable() {
        sources.push(source.clone());
    }
    if let fhir_mapping::BodySurfaceArea::Observed { source, .. } = &body.bsa {
        sources.push(source.clone());
    }
    sources
}

/// The configured parameters that shaped a dose, as one working line.
pub fn parameters_line(dose: &ComputedDose) -> String {
    let rule = &dose.rule;
    let cap = match rule.cap {
        Some(DoseCap::Milligrams(mg)) => format!(", maximum {} mg", show(mg)),
        Some(DoseCap::MilligramsPerDay(per_day)) => format!(", maximum {} mg/day", show(per_day)),
        Some(DoseCap::MilligramsPerSquareMetre(per_m2)) => {
            format!(", maximum {} mg/m2", show(per_m2))
        }
        None => String::new(),
    };
    let divided = if rule.divided_into > 1 {
        format!(", {} divided doses", rule.divided_into)
    } else {
        String::new()
    };
    let unit = match rule.basis {
        BasisUnit::Kilogram => "weight",
        BasisUnit::SquareMetre => "BSA",
    };
    format!(
        "configured: {} {}{divided}, rounding to {} mg{cap} (dose by {unit})",
        show(rule.per_unit),
        rule.per_unit_label,
        show(rule.rounding_step)
    )
}

/// The working of a dose: inputs with dates, formula, unrounded and rounded result, cap. The
/// configured parameters are on the rulebook page the card links to.
pub fn working(dose: &ComputedDose) -> Vec<String> {
    dose.working()
}

//! Pregnancy (section 2): an active pregnancy Condition, a pregnancy-status Observation, or an
//! hCG test. Evidence counts only within its window, and the latest evidence wins: a negative
//! hCG or "not pregnant" after a positive one means "not known", never "not pregnant".

use fhirbolt::model::r4::resources::{
    Condition, ConditionAbatement, Observation, ObservationValue,
};
use rust_decimal::Decimal;
use time::{Date, Duration};

use crate::codes::ValueSetName;
use crate::conditions::{clinical_status, is_refuted_or_in_error, onset_date, recorded_date};
use crate::elements::{concept_label, day_of, text_of, ucum_quantity};
use crate::facts::{ClinicalStatus, FhirRef, Pregnancy, ResultStatus};
use crate::observation_sets::ObservationSet;
use crate::observations::{is_result, observation_date};
use crate::results::result_status;
use crate::Context;

/// One piece of evidence for or against a pregnancy.
struct Evidence {
    date: Date,
    pregnant: bool,
    description: String,
    source: FhirRef,
}

/// Whether the record says the patient is pregnant now.
pub fn pregnancy(context: &Context<'_>) -> Pregnancy {
    let config = context.config;
    let window_start = days_before(context.today, config.pregnancy_evidence_window_days);
    let hcg_window_start = days_before(context.today, config.pregnancy_hcg_window_days);
    let mut evidence: Vec<Evidence> = conditions(context)
        .chain(status_observations(context))
        .chain(hcg_tests(context).filter(|e| !e.pregnant || e.date >= hcg_window_start))
        .filter(|e| e.date <= context.today && e.date >= window_start)
        .collect();
    evidence.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            // On the same day, evidence against a pregnancy wins: it is the later test.
            .then_with(|| b.pregnant.cmp(&a.pregnant))
            .then_with(|| a.source.cmp(&b.source))
    });
    match evidence.pop() {
        Some(latest) if latest.pregnant => Pregnancy::Pregnant {
            date: latest.date,
            evidence: latest.description,
            source: latest.source,
        },
        _ => Pregnancy::NotKnown,
    }
}

fn days_before(day: Date, days: u32) -> Date {
    day.checked_sub(Duration::days(i64::from(days)))
        .unwrap_or(Date::MIN)
}

/// Pregnancy Conditions: an active one is evidence of pregnancy on its latest date (the
/// evaluation date when undated); a resolved or inactive one with an abatement date is evidence
/// against, on that date.
fn conditions<'a>(context: &'a Context<'a>) -> impl Iterator<Item = Evidence> + 'a {
    let terminology = context.terminology;
    context
        .index
        .conditions()
        .filter(|(_, condition)| !is_refuted_or_in_error(condition))
        .filter(move |(_, condition)| {
            condition.code.as_deref().is_some_and(|code| {
                terminology.has_code(ValueSetName::Pregnancy, code)
                    || terminology.has_affirmed_text(ValueSetName::Pregnancy, code)
            })
        })
        .filter_map(move |(reference, condition)| {
            let description = condition
                .code
                .as_deref()
                .and_then(concept_label)
                .unwrap_or("pregnancy")
                .to_owned();
            match clinical_status(condition) {
                ClinicalStatus::Active | ClinicalStatus::Recurrence | ClinicalStatus::Relapse => {
                    Some(Evidence {
                        date: onset_date(condition)
                            .max(recorded_date(condition))
                            .unwrap_or(context.today),
                        pregnant: true,
                        description,
                        source: reference.clone(),
                    })
                }
                _ => abatement_date(condition).map(|date| Evidence {
                    date,
                    pregnant: false,
                    description,
                    source: reference.clone(),
                }),
            }
        })
}

fn abatement_date(condition: &Condition) -> Option<Date> {
    match &condition.abatement {
        Some(ConditionAbatement::DateTime(date_time)) => day_of(text_of!(date_time)),
        Some(ConditionAbatement::Period(period)) => {
            day_of(period.end.as_ref().and_then(|d| text_of!(d)))
        }
        _ => None,
    }
}

/// Pregnancy-status Observations (LOINC 82810-3): a value naming pregnancy says pregnant; a
/// negated one ("not pregnant") says not; anything else says nothing.
fn status_observations<'a>(context: &'a Context<'a>) -> impl Iterator<Item = Evidence> + 'a {
    let terminology = context.terminology;
    results_of(context, ObservationSet::PregnancyStatus).filter_map(
        move |(reference, observation)| {
            let Some(ObservationValue::CodeableConcept(value)) = &observation.value else {
                return None;
            };
            let pregnant = if terminology.has_code(ValueSetName::Pregnancy, value)
                || terminology.has_affirmed_text(ValueSetName::Pregnancy, value)
            {
                true
            } else if terminology.has_text(ValueSetName::Pregnancy, value) {
                false
            } else {
                return None;
            };
            Some(Evidence {
                date: observation_date(observation)?,
                pregnant,
                description: format!(
                    "pregnancy status: {}",
                    concept_label(value).unwrap_or("pregnant")
                ),
                source: reference.clone(),
            })
        },
    )
}

/// hCG tests: read as results (value and interpretation); a quantitative value without an
/// interpretation is positive at or above the configured threshold (IU/L, the same as mIU/mL).
fn hcg_tests<'a>(context: &'a Context<'a>) -> impl Iterator<Item = Evidence> + 'a {
    results_of(context, ObservationSet::Hcg).filter_map(move |(reference, observation)| {
        let date = observation_date(observation)?;
        let quantity = match &observation.value {
            Some(ObservationValue::Quantity(quantity)) => international_units_per_litre(quantity),
            _ => None,
        };
        let pregnant = match (result_status(observation, context), quantity) {
            (ResultStatus::Positive, _) => true,
            (ResultStatus::Negative, _) => false,
            (ResultStatus::Unreadable, Some(value)) => {
                value >= context.config.pregnancy_hcg_positive_iu_per_l
            }
            (ResultStatus::Unreadable, None) => return None,
        };
        let description = match quantity {
            Some(value) => format!("hCG {} IU/L", value.normalize()),
            None if pregnant => "hCG positive".to_owned(),
            None => "hCG negative".to_owned(),
        };
        Some(Evidence {
            date,
            pregnant,
            description,
            source: reference.clone(),
        })
    })
}

/// A quantity in IU/L (`[IU]/L`, `IU/L`, `m[IU]/mL`, `mIU/mL`: the same number).
fn international_units_per_litre(
    quantity: &fhirbolt::model::r4::types::Quantity,
) -> Option<Decimal> {
    let (value, unit) = ucum_quantity(quantity);
    match unit? {
        "[IU]/L" | "IU/L" | "m[IU]/mL" | "mIU/mL" => value,
        _ => None,
    }
}

/// Final (or amended, corrected) Observations in a value set.
fn results_of<'a>(
    context: &'a Context<'a>,
    set: ObservationSet,
) -> impl Iterator<Item = (&'a FhirRef, &'a Observation)> + 'a {
    context
        .observations_in(set)
        .filter(|(_, observation)| is_result(observation))
        .filter(move |(_, observation)| {
            context
                .terminology
                .has_code(set.value_set(), &observation.code)
        })
}

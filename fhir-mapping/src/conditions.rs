//! The OMS diagnosis (sections 1 and 2) and a documented fertility concern, from Conditions
//! (and, for fertility, Observations, Goals and Flags).

use fhirbolt::model::r4::resources::{Condition, ConditionOnset};
use time::Date;

use crate::codes::ValueSetName;
use crate::elements::{any_code, day_of, text_of};
use crate::facts::{
    ClinicalStatus, FhirRef, OmsCondition, OmsDiagnosis, Severity, VerificationStatus,
};
use crate::observation_sets::ObservationSet;
use crate::Context;

/// The OMS diagnosis: confirmed by a specific code or by the Condition's own code text naming OMS
/// (never by a note, never by negated text), ambiguous when only G25.3 / H55.89 without such
/// text, or none. Refuted and entered-in-error Conditions are ignored.
pub fn oms_diagnosis(context: &Context<'_>) -> OmsDiagnosis {
    let mut confirmed = Vec::new();
    let mut ambiguous = Vec::new();
    for (reference, condition) in context.index.conditions() {
        if is_refuted_or_in_error(condition) {
            continue;
        }
        let Some(code) = condition.code.as_deref() else {
            continue;
        };
        let terminology = context.terminology;
        // The code alone decides (its codings, `code.text`, `coding.display`): notes never make a
        // Condition an OMS Condition, and negated text ("OMS ruled out") never corroborates.
        let corroborated = terminology.has_affirmed_text(ValueSetName::Oms, code);
        if terminology.has_code(ValueSetName::Oms, code) || corroborated {
            confirmed.push(oms_condition(reference, condition, context));
        } else if terminology.has_code(ValueSetName::OmsAmbiguous, code) {
            ambiguous.push(reference.clone());
        }
    }
    // The most relevant: a relapsed one first, then the latest relapse date.
    let best = confirmed
        .into_iter()
        .max_by_key(|condition| (condition.is_relapsed(), condition.relapse_date));
    match best {
        Some(condition) => OmsDiagnosis::Confirmed(condition),
        None if !ambiguous.is_empty() => OmsDiagnosis::AmbiguousOnly {
            references: ambiguous,
        },
        None => OmsDiagnosis::None,
    }
}

fn oms_condition(
    reference: &FhirRef,
    condition: &Condition,
    context: &Context<'_>,
) -> OmsCondition {
    OmsCondition {
        reference: reference.clone(),
        status: clinical_status(condition),
        severity: severity(condition, context),
        relapse_date: relapse_date(condition),
        verification: verification_status(condition),
        onset: onset_date(condition),
    }
}

/// `clinicalStatus`, read by code (the system is often omitted by EHRs).
pub fn clinical_status(condition: &Condition) -> ClinicalStatus {
    let Some(status) = condition.clinical_status.as_deref() else {
        return ClinicalStatus::Unknown;
    };
    any_code(status)
        .find_map(|code| match code {
            "active" => Some(ClinicalStatus::Active),
            "recurrence" => Some(ClinicalStatus::Recurrence),
            "relapse" => Some(ClinicalStatus::Relapse),
            "inactive" => Some(ClinicalStatus::Inactive),
            "remission" => Some(ClinicalStatus::Remission),
            "resolved" => Some(ClinicalStatus::Resolved),
            _ => None,
        })
        .unwrap_or(ClinicalStatus::Unknown)
}

/// `verificationStatus`, read by code (the system is often omitted by EHRs).
fn verification_status(condition: &Condition) -> VerificationStatus {
    let Some(status) = condition.verification_status.as_deref() else {
        return VerificationStatus::NotRecorded;
    };
    any_code(status)
        .find_map(|code| match code {
            "confirmed" => Some(VerificationStatus::Confirmed),
            "provisional" => Some(VerificationStatus::Provisional),
            "differential" => Some(VerificationStatus::Differential),
            "unconfirmed" => Some(VerificationStatus::Unconfirmed),
            _ => None,
        })
        .unwrap_or(VerificationStatus::NotRecorded)
}

/// `verificationStatus` is refuted or entered-in-error: the Condition does not count.
pub fn is_refuted_or_in_error(condition: &Condition) -> bool {
    condition
        .verification_status
        .as_deref()
        .is_some_and(|status| {
            any_code(status).any(|code| matches!(code, "refuted" | "entered-in-error"))
        })
}

fn severity(condition: &Condition, context: &Context<'_>) -> Option<Severity> {
    let severity = condition.severity.as_deref()?;
    let terminology = context.terminology;
    [
        (ValueSetName::SeveritySevere, Severity::Severe),
        (ValueSetName::SeverityModerate, Severity::Moderate),
        (ValueSetName::SeverityMild, Severity::Mild),
    ]
    .into_iter()
    .find(|(set, _)| terminology.has_code(*set, severity))
    .map(|(_, level)| level)
}

/// The later of `recordedDate` and onset (`onsetDateTime` or `onsetPeriod.start`).
fn relapse_date(condition: &Condition) -> Option<Date> {
    recorded_date(condition).max(onset_date(condition))
}

/// `onsetDateTime`, or `onsetPeriod.start`.
pub fn onset_date(condition: &Condition) -> Option<Date> {
    match &condition.onset {
        Some(ConditionOnset::DateTime(date_time)) => day_of(text_of!(date_time)),
        Some(ConditionOnset::Period(period)) => {
            day_of(period.start.as_ref().and_then(|s| text_of!(s)))
        }
        _ => None,
    }
}

/// `recordedDate`.
pub fn recorded_date(condition: &Condition) -> Option<Date> {
    day_of(condition.recorded_date.as_ref().and_then(|d| text_of!(d)))
}

/// Records documenting a fertility concern: a Condition, Observation, Goal or Flag coded in the
/// fertility value set or whose code text mentions fertility.
pub fn fertility_concern(context: &Context<'_>) -> Vec<FhirRef> {
    let terminology = context.terminology;
    let index = context.index;
    let fertility = |concept| terminology.matches(ValueSetName::Fertility, concept);
    let conditions = index
        .conditions()
        .filter(|(_, c)| !is_refuted_or_in_error(c))
        .filter(|(_, c)| c.code.as_deref().is_some_and(fertility))
        .map(|(r, _)| r);
    let observations = context
        .observations_in(ObservationSet::Fertility)
        .filter(|(_, o)| text_of!(o.status) != Some("entered-in-error"))
        .map(|(r, _)| r);
    let goals = index
        .goals()
        .filter(|(_, g)| text_of!(g.lifecycle_status) != Some("entered-in-error"))
        .filter(|(_, g)| fertility(&g.description))
        .map(|(r, _)| r);
    let flags = index
        .flags()
        .filter(|(_, f)| text_of!(f.status) != Some("entered-in-error"))
        .filter(|(_, f)| fertility(&f.code))
        .map(|(r, _)| r);
    conditions
        .chain(observations)
        .chain(goals)
        .chain(flags)
        .cloned()
        .collect()
}

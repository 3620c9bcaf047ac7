//! Age and sex at the evaluation date (section 2: `Patient.birthDate`, partial dates allowed,
//! and `Patient.gender`).

use fhirbolt::model::r4::resources::{Patient, PatientDeceased};

use crate::dates::{completed_years_and_months, FhirDate};
use crate::elements::{day_of, text_of};
use crate::facts::{Age, DataIssue, DataIssueKind, FhirRef, PatientFacts, Sex};
use crate::Context;

/// The patient's facts: the Patient resource with `context.patientId` (or the only Patient).
pub fn patient_facts(
    context: &Context<'_>,
    patient_id: &str,
    issues: &mut Vec<DataIssue>,
) -> PatientFacts {
    let wanted = FhirRef::new("Patient", patient_id);
    let mut patients = context.index.patients();
    let found = context
        .index
        .patients()
        .find(|(reference, _)| **reference == wanted)
        .or_else(|| match (patients.next(), patients.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        });
    let Some((reference, patient)) = found else {
        return PatientFacts {
            reference: wanted,
            age: None,
            sex: None,
            deceased: false,
        };
    };
    PatientFacts {
        reference: wanted,
        age: age(reference, patient, context, issues),
        sex: patient
            .gender
            .as_ref()
            .and_then(|g| text_of!(g))
            .map(sex_from_code),
        deceased: is_deceased(patient, context.today),
    }
}

/// `deceasedBoolean` true, or a `deceasedDateTime` on or before `today` (the first day the
/// recorded date can mean).
fn is_deceased(patient: &Patient, today: time::Date) -> bool {
    match &patient.deceased {
        Some(PatientDeceased::Boolean(flag)) => flag.value == Some(true),
        Some(PatientDeceased::DateTime(when)) => {
            day_of(text_of!(when)).is_some_and(|day| day <= today)
        }
        _ => false,
    }
}

/// Age in completed years and months. A partial birth date counts from its *last* possible day
/// (`2019` -> 2019-12-31), so the age is one the patient has certainly reached; the rules'
/// "young" (under 18) then errs towards the paediatric evidence.
fn age(
    reference: &FhirRef,
    patient: &Patient,
    context: &Context<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<Age> {
    let text = patient.birth_date.as_ref().and_then(|d| text_of!(d))?;
    let Some(birth) = FhirDate::parse(text) else {
        issues.push(DataIssue {
            kind: DataIssueKind::UnreadableDate,
            source: Some(reference.clone()),
            message: format!("The birth date '{text}' could not be read; age is unknown."),
        });
        return None;
    };
    let (years, months) = completed_years_and_months(birth.latest(), context.today);
    Some(Age { years, months })
}

fn sex_from_code(code: &str) -> Sex {
    match code {
        "female" => Sex::Female,
        "male" => Sex::Male,
        "other" => Sex::Other,
        _ => Sex::Unknown,
    }
}

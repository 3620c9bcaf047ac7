//! The right patient: every resource the facts are built from is about the patient in context
//! (`context.patientId`), or about no one in particular. A resource whose subject (`patient` for
//! an AllergyIntolerance) names another patient, another kind of subject, or a patient only by an
//! identifier is left out before any fact is read; the data issue that says so never names the
//! other patient.

use crate::envelope::{Head, SubjectHead};
use crate::facts::FhirRef;

/// Whose record a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The patient in context.
    ThisPatient,
    /// The resource names no subject (a Medication, a Bundle-contained helper resource).
    NoSubject,
    /// Another patient, a Group, or a patient named only by an identifier.
    SomeoneElse,
}

/// Whom a resource is about, as its envelope says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A Patient resource, with its id.
    Patient {
        /// `Patient.id`.
        id: Option<String>,
    },
    /// A resource of a type the mapping reads that names its subject (`patient` for an
    /// AllergyIntolerance).
    Named(SubjectHead),
    /// No subject, or a type whose subject the mapping does not read.
    Nobody,
}

impl Subject {
    /// Whom the resource with this envelope is about.
    pub fn of(head: &Head) -> Subject {
        let named = match head.resource_type.as_deref() {
            Some("Patient") => {
                return Subject::Patient {
                    id: head.id.clone(),
                }
            }
            Some("AllergyIntolerance") => head.patient.as_ref(),
            Some(resource_type) if SUBJECT_TYPES.contains(&resource_type) => head.subject.as_ref(),
            _ => None,
        };
        match named {
            Some(subject) if subject.reference.is_some() || subject.has_identifier => {
                Subject::Named(subject.clone())
            }
            _ => Subject::Nobody,
        }
    }
}

/// The types the mapping reads whose `subject` names the patient.
const SUBJECT_TYPES: [&str; 10] = [
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "Procedure",
    "Goal",
    "Flag",
    "DiagnosticReport",
    "ServiceRequest",
];

/// Whose record a resource about `subject` is, for the patient `patient_id`; `resolve` turns a
/// Bundle fullUrl (`urn:uuid:...`) into the reference it stands for.
pub fn whose(
    subject: &Subject,
    patient_id: &str,
    resolve: impl Fn(&str) -> Option<FhirRef>,
) -> Whose {
    match subject {
        Subject::Patient { id } if id.as_deref() == Some(patient_id) => Whose::ThisPatient,
        Subject::Patient { .. } => Whose::SomeoneElse,
        Subject::Nobody => Whose::NoSubject,
        Subject::Named(named) => match &named.reference {
            Some(text) => match named_patient(text, &resolve) {
                Some(id) if id == patient_id => Whose::ThisPatient,
                _ => Whose::SomeoneElse,
            },
            // A patient named only by an identifier cannot be checked: it is not used.
            None => Whose::SomeoneElse,
        },
    }
}

/// The id of the Patient a reference names (relative `Patient/1`, absolute
/// `https://ehr/fhir/Patient/1`, versioned `Patient/1/_history/2`, or a fullUrl that stands for
/// one); `None` when it names something else.
fn named_patient(text: &str, resolve: &impl Fn(&str) -> Option<FhirRef>) -> Option<String> {
    if let Some(resolved) = resolve(text) {
        return (resolved.resource_type() == "Patient").then(|| resolved.id().to_owned());
    }
    let without_history = text.split("/_history/").next().unwrap_or(text);
    let mut segments = without_history.trim_end_matches('/').rsplit('/');
    let id = segments.next()?;
    let resource_type = segments.next()?;
    (resource_type == "Patient" && !id.is_empty()).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &str) -> Option<FhirRef> {
        None
    }

    #[test]
    fn every_written_form_of_the_patient_reference_is_recognised() {
        for text in [
            "Patient/p1",
            "https://ehr.example/fhir/Patient/p1",
            "Patient/p1/_history/3",
            "https://ehr.example/fhir/Patient/p1/_history/3",
        ] {
            assert_eq!(
                named_patient(text, &nothing).as_deref(),
                Some("p1"),
                "{text}"
            );
        }
        assert_eq!(named_patient("Group/g1", &nothing), None);
        let resolve = |url: &str| (url == "urn:uuid:1").then(|| FhirRef::new("Patient", "p1"));
        assert_eq!(named_patient("urn:uuid:1", &resolve).as_deref(), Some("p1"));
    }
}

//! The right patient: every resource the facts are built from is about the patient in context
//! (`context.patientId`), or about no one in particular. A resource whose subject (`patient` for
//! an AllergyIntolerance) names another patient, another kind of subject, or a patient only by an
//! identifier is left out before any fact is read; the data issue that says so never names the
//! other patient.

use fhirbolt::model::r4::types::Reference;
use fhirbolt::model::r4::Resource;

use crate::elements::reference_text;
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

/// Whose record `resource` is, for the patient `patient_id`; `resolve` turns a Bundle fullUrl
/// (`urn:uuid:...`) into the reference it stands for.
pub fn whose(
    resource: &Resource,
    patient_id: &str,
    resolve: impl Fn(&str) -> Option<FhirRef>,
) -> Whose {
    if let Resource::Patient(patient) = resource {
        let id = patient.id.as_ref().and_then(|id| id.value.as_deref());
        return if id == Some(patient_id) {
            Whose::ThisPatient
        } else {
            Whose::SomeoneElse
        };
    }
    let Some(subject) = subject_of(resource) else {
        return Whose::NoSubject;
    };
    match reference_text(subject) {
        Some(text) => match named_patient(text, &resolve) {
            Some(id) if id == patient_id => Whose::ThisPatient,
            _ => Whose::SomeoneElse,
        },
        // A patient named only by an identifier cannot be checked: it is not used.
        None if subject.identifier.is_some() => Whose::SomeoneElse,
        None => Whose::NoSubject,
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

/// The subject reference of the resource types the mapping reads.
fn subject_of(resource: &Resource) -> Option<&Reference> {
    let subject: &Reference = match resource {
        Resource::Condition(r) => &r.subject,
        Resource::Observation(r) => r.subject.as_deref()?,
        Resource::MedicationRequest(r) => &r.subject,
        Resource::MedicationStatement(r) => &r.subject,
        Resource::MedicationAdministration(r) => &r.subject,
        Resource::Procedure(r) => &r.subject,
        Resource::AllergyIntolerance(r) => &r.patient,
        Resource::Goal(r) => &r.subject,
        Resource::Flag(r) => &r.subject,
        Resource::DiagnosticReport(r) => r.subject.as_deref()?,
        Resource::ServiceRequest(r) => &r.subject,
        _ => return None,
    };
    let empty = subject.reference.is_none() && subject.identifier.is_none();
    (!empty).then_some(subject)
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

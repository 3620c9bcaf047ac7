//! The adult tumour work-up (section 2): a Procedure, DiagnosticReport, Observation or completed
//! ServiceRequest in the adult-tumour-screening value set, or a malignancy Condition, dated on or
//! after the OMS onset; the latest one. Adult-onset OMS is often paraneoplastic (lung and breast
//! cancer, ovarian teratoma), so the rules ask whether the search was done for this illness.

use fhirbolt::model::r4::resources::ServiceRequestOccurrence;
use fhirbolt::model::r4::types::CodeableConcept;
use time::Date;

use crate::codes::ValueSetName;
use crate::conditions::{is_refuted_or_in_error, onset_date, recorded_date};
use crate::elements::{concept_label, day_of, text_of};
use crate::facts::{AdultTumourWorkup, FhirRef};
use crate::observation_sets::ObservationSet;
use crate::observations::observation_date;
use crate::procedures::{performed_date, report_date};
use crate::Context;

/// The latest work-up dated on or after `oms_onset` (any date when the onset is unknown) and not
/// after the evaluation date.
pub fn adult_tumour_workup(
    context: &Context<'_>,
    oms_onset: Option<Date>,
) -> Option<AdultTumourWorkup> {
    let index = context.index;
    let screening = |concept: &CodeableConcept| {
        context
            .terminology
            .matches(ValueSetName::AdultTumourScreening, concept)
    };
    let mut found: Vec<(Option<Date>, &CodeableConcept, &FhirRef)> = Vec::new();
    for (reference, procedure) in index.procedures() {
        if text_of!(procedure.status) != Some("completed") {
            continue;
        }
        if let Some(code) = procedure.code.as_deref().filter(|c| screening(c)) {
            found.push((performed_date(procedure), code, reference));
        }
    }
    for (reference, report) in index.diagnostic_reports() {
        if text_of!(report.status) != Some("entered-in-error") && screening(&report.code) {
            found.push((report_date(report), &report.code, reference));
        }
    }
    for (reference, observation) in context.observations_in(ObservationSet::AdultTumourScreening) {
        if text_of!(observation.status) != Some("entered-in-error") {
            found.push((observation_date(observation), &observation.code, reference));
        }
    }
    for (reference, request) in index.service_requests() {
        if text_of!(request.status) != Some("completed") {
            continue;
        }
        if let Some(code) = request.code.as_deref().filter(|c| screening(c)) {
            let date = match &request.occurrence {
                Some(ServiceRequestOccurrence::DateTime(date_time)) => day_of(text_of!(date_time)),
                Some(ServiceRequestOccurrence::Period(period)) => {
                    day_of(period.end.as_ref().and_then(|d| text_of!(d)))
                }
                _ => None,
            }
            .or_else(|| day_of(request.authored_on.as_ref().and_then(|d| text_of!(d))));
            found.push((date, code, reference));
        }
    }
    for (reference, condition) in index.conditions() {
        if is_refuted_or_in_error(condition) {
            continue;
        }
        let malignancy = condition.code.as_deref().filter(|code| {
            // "No evidence of malignancy" is not a malignancy.
            context.terminology.has_code(ValueSetName::Malignancy, code)
                || context
                    .terminology
                    .has_affirmed_text(ValueSetName::Malignancy, code)
        });
        if let Some(code) = malignancy {
            let date = onset_date(condition).max(recorded_date(condition));
            found.push((date, code, reference));
        }
    }
    found
        .into_iter()
        .filter_map(|(date, code, reference)| Some((date?, code, reference)))
        .filter(|(date, _, _)| {
            *date <= context.today && oms_onset.is_none_or(|onset| *date >= onset)
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.2.cmp(a.2)))
        .map(|(date, code, reference)| AdultTumourWorkup {
            date,
            description: concept_label(code).unwrap_or("tumour work-up").to_owned(),
            source: reference.clone(),
        })
}

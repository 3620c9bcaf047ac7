//! Neuroblastoma state (section 2): present, resected, work-up on record, from Conditions,
//! Procedures, Observations and DiagnosticReports.

use std::collections::BTreeSet;

use fhirbolt::model::r4::resources::{
    DiagnosticReport, DiagnosticReportEffective, Procedure, ProcedurePerformed,
};
use time::{Date, Duration};

use crate::codes::ValueSetName;
use crate::conditions::{clinical_status, is_refuted_or_in_error, onset_date, recorded_date};
use crate::elements::{day_of, reference_text, text_of};
use crate::facts::{ClinicalStatus, FhirRef, NeuroblastomaFacts};
use crate::observation_sets::ObservationSet;
use crate::observations::observation_date;
use crate::Context;

/// How long before a neuroblastoma's `recordedDate` a resection still counts when the Condition
/// gives no onset (the tumour is often recorded after the operation that found it).
const RESECTION_BEFORE_RECORDING_DAYS: i64 = 30;

/// What the record says about neuroblastoma.
pub fn neuroblastoma_facts(context: &Context<'_>) -> NeuroblastomaFacts {
    let terminology = context.terminology;
    let index = context.index;
    let mut facts = NeuroblastomaFacts::default();
    let mut references = BTreeSet::new();
    let mut workup_dates = Vec::new();
    // The earliest day a resection of the present tumour can be on: its latest onset, or 30
    // days before its recording when no onset is given.
    let mut resection_from: Option<Date> = None;

    let mut nb_conditions = BTreeSet::new();
    for (reference, condition) in index.conditions() {
        let is_nb = condition
            .code
            .as_deref()
            .is_some_and(|code| terminology.matches(ValueSetName::Neuroblastoma, code));
        if !is_nb || is_refuted_or_in_error(condition) {
            continue;
        }
        nb_conditions.insert(reference.clone());
        references.insert(reference.clone());
        facts.workup_on_record = true;
        let (onset, recorded) = (onset_date(condition), recorded_date(condition));
        workup_dates.extend(onset.max(recorded));
        if matches!(
            clinical_status(condition),
            ClinicalStatus::Active | ClinicalStatus::Recurrence | ClinicalStatus::Relapse
        ) {
            facts.present = true;
            let from = onset.or_else(|| {
                recorded.and_then(|day| {
                    day.checked_sub(Duration::days(RESECTION_BEFORE_RECORDING_DAYS))
                })
            });
            facts.latest_onset = facts.latest_onset.max(onset.or(recorded));
            resection_from = resection_from.max(from);
        }
    }

    for (reference, procedure) in index.procedures() {
        if !was_performed(procedure) {
            continue;
        }
        let date = performed_date(procedure);
        if is_resection(procedure, &nb_conditions, context) {
            references.insert(reference.clone());
            facts.resection_date = facts.resection_date.max(date);
            // An undated resection is taken as the resection of the present tumour; one dated
            // before its (latest) onset was of an earlier tumour.
            let of_present_tumour = match (date, resection_from) {
                (Some(day), Some(from)) => day >= from,
                _ => true,
            };
            facts.resected |= of_present_tumour;
        }
        if procedure
            .code
            .as_deref()
            .is_some_and(|code| terminology.matches(ValueSetName::NeuroblastomaScreening, code))
        {
            facts.workup_on_record = true;
            references.insert(reference.clone());
            workup_dates.extend(date);
        }
    }

    let screening_observations = context
        .observations_in(ObservationSet::NeuroblastomaScreening)
        .filter(|(_, o)| text_of!(o.status) != Some("entered-in-error"))
        .map(|(r, o)| (r, observation_date(o)));
    let screening_reports = index
        .diagnostic_reports()
        .filter(|(_, d)| text_of!(d.status) != Some("entered-in-error"))
        .filter(|(_, d)| terminology.matches(ValueSetName::NeuroblastomaScreening, &d.code))
        .map(|(r, d)| (r, report_date(d)));
    for (reference, date) in screening_observations.chain(screening_reports) {
        facts.workup_on_record = true;
        references.insert(reference.clone());
        workup_dates.extend(date);
    }

    facts.latest_workup = workup_dates
        .into_iter()
        .filter(|date| *date <= context.today)
        .max();
    facts.references = references.into_iter().collect();
    facts
}

/// `performedDateTime`, or the end (else the start) of `performedPeriod`.
pub fn performed_date(procedure: &Procedure) -> Option<Date> {
    match &procedure.performed {
        Some(ProcedurePerformed::DateTime(date_time)) => day_of(text_of!(date_time)),
        Some(ProcedurePerformed::Period(period)) => day_of(
            period
                .end
                .as_ref()
                .or(period.start.as_ref())
                .and_then(|d| text_of!(d)),
        ),
        _ => None,
    }
}

/// `effectiveDateTime`, or the start of `effectivePeriod`, else `issued`.
pub fn report_date(report: &DiagnosticReport) -> Option<Date> {
    match &report.effective {
        Some(DiagnosticReportEffective::DateTime(date_time)) => day_of(text_of!(date_time)),
        Some(DiagnosticReportEffective::Period(period)) => {
            day_of(period.start.as_ref().and_then(|d| text_of!(d)))
        }
        _ => None,
    }
    .or_else(|| day_of(report.issued.as_ref().and_then(|d| text_of!(d))))
}

/// A Procedure that happened (`completed`); `in-progress` does not yet count as a resection.
fn was_performed(procedure: &Procedure) -> bool {
    text_of!(procedure.status) == Some("completed")
}

/// A resection of the neuroblastoma (section 2): a code in the resection value set, or a
/// Procedure whose `reasonReference` points at a neuroblastoma Condition, or one whose code says
/// resection and names neuroblastoma (in its code or reason). A work-up procedure (MIBG scan,
/// imaging) done for the neuroblastoma is not a resection.
fn is_resection(
    procedure: &Procedure,
    nb_conditions: &BTreeSet<FhirRef>,
    context: &Context<'_>,
) -> bool {
    let terminology = context.terminology;
    let Some(code) = procedure.code.as_deref() else {
        return false;
    };
    if terminology.has_code(ValueSetName::NeuroblastomaResection, code) {
        return true;
    }
    if terminology.matches(ValueSetName::NeuroblastomaScreening, code) {
        return false;
    }
    let for_nb_condition = procedure.reason_reference.iter().any(|reason| {
        reference_text(reason)
            .and_then(|text| context.index.resolve(text))
            .is_some_and(|(target, _)| nb_conditions.contains(target))
    });
    let names_neuroblastoma = terminology.matches(ValueSetName::Neuroblastoma, code)
        || procedure
            .reason_code
            .iter()
            .any(|reason| terminology.matches(ValueSetName::Neuroblastoma, reason));
    for_nb_condition || (names_neuroblastoma && terminology.has_text(ValueSetName::Resection, code))
}

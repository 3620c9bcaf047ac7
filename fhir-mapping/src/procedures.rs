//! Neuroblastoma state (section 2): present, resected, work-up on record, from Conditions,
//! Procedures, Observations and DiagnosticReports.

use std::collections::BTreeSet;

use fhirbolt::model::r4::resources::Procedure;

use crate::codes::ValueSetName;
use crate::conditions::{clinical_status, is_refuted_or_in_error};
use crate::elements::{reference_text, text_of};
use crate::facts::{ClinicalStatus, FhirRef, NeuroblastomaFacts};
use crate::Context;

/// What the record says about neuroblastoma.
pub fn neuroblastoma_facts(context: &Context<'_>) -> NeuroblastomaFacts {
    let terminology = context.terminology;
    let index = context.index;
    let mut facts = NeuroblastomaFacts::default();
    let mut references = BTreeSet::new();

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
        if matches!(
            clinical_status(condition),
            ClinicalStatus::Active | ClinicalStatus::Recurrence | ClinicalStatus::Relapse
        ) {
            facts.present = true;
        }
    }

    for (reference, procedure) in index.procedures() {
        if !was_performed(procedure) {
            continue;
        }
        if is_resection(procedure, &nb_conditions, context) {
            facts.resected = true;
            references.insert(reference.clone());
        }
        if procedure
            .code
            .as_deref()
            .is_some_and(|code| terminology.matches(ValueSetName::NeuroblastomaScreening, code))
        {
            facts.workup_on_record = true;
            references.insert(reference.clone());
        }
    }

    let screening_observations = index
        .observations()
        .filter(|(_, o)| text_of!(o.status) != Some("entered-in-error"))
        .filter(|(_, o)| terminology.matches(ValueSetName::NeuroblastomaScreening, &o.code))
        .map(|(r, _)| r);
    let screening_reports = index
        .diagnostic_reports()
        .filter(|(_, d)| text_of!(d.status) != Some("entered-in-error"))
        .filter(|(_, d)| terminology.matches(ValueSetName::NeuroblastomaScreening, &d.code))
        .map(|(r, _)| r);
    for reference in screening_observations.chain(screening_reports) {
        facts.workup_on_record = true;
        references.insert(reference.clone());
    }

    facts.references = references.into_iter().collect();
    facts
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

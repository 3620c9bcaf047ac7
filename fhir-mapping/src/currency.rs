//! Which `active` medication records describe treatment now. EHRs leave orders and statements
//! `active` for years, so `active` alone is not "on it now": a record is current when its period
//! includes the evaluation date, or when it was written (effective, asserted, authored) within
//! the configured window. An older `active` record is history, named as a data issue.

use fhirbolt::model::r4::resources::{
    MedicationRequest, MedicationStatement, MedicationStatementEffective,
};
use fhirbolt::model::r4::types::{Period, TimingRepeatBounds};
use time::{Date, Duration};

use crate::elements::{day_of, text_of};
use crate::facts::{DataIssue, DataIssueKind, FhirRef};
use crate::Context;

/// An `active` statement is current: its `effectivePeriod` includes today, or its
/// `effectiveDateTime` / `dateAsserted` is within the window.
pub fn statement_is_current(
    drug: &str,
    reference: &FhirRef,
    statement: &MedicationStatement,
    context: &Context<'_>,
    issues: &mut Vec<DataIssue>,
) -> bool {
    let (period, effective) = match &statement.effective {
        Some(MedicationStatementEffective::Period(period)) => (Some(&**period), None),
        Some(MedicationStatementEffective::DateTime(when)) => (None, day_of(text_of!(when))),
        _ => (None, None),
    };
    let asserted = statement
        .date_asserted
        .as_ref()
        .and_then(|when| day_of(text_of!(when)));
    judge(
        drug,
        reference,
        period,
        effective.max(asserted),
        context,
        issues,
    )
}

/// An `active` request is current: its `timing.repeat.boundsPeriod` (else its
/// `dispenseRequest.validityPeriod`) includes today, or it was authored within the window.
pub fn request_is_current(
    drug: &str,
    reference: &FhirRef,
    request: &MedicationRequest,
    context: &Context<'_>,
    issues: &mut Vec<DataIssue>,
) -> bool {
    let bounds = request
        .dosage_instruction
        .iter()
        .filter_map(|dosage| dosage.timing.as_deref()?.repeat.as_ref()?.bounds.as_ref())
        .find_map(|bounds| match bounds {
            TimingRepeatBounds::Period(period) => Some(&**period),
            _ => None,
        });
    let validity = request
        .dispense_request
        .as_ref()
        .and_then(|dispense| dispense.validity_period.as_deref());
    let authored = request
        .authored_on
        .as_ref()
        .and_then(|when| day_of(text_of!(when)));
    judge(
        drug,
        reference,
        bounds.or(validity),
        authored,
        context,
        issues,
    )
}

fn judge(
    drug: &str,
    reference: &FhirRef,
    period: Option<&Period>,
    written: Option<Date>,
    context: &Context<'_>,
    issues: &mut Vec<DataIssue>,
) -> bool {
    let today = context.today;
    let window = Duration::days(i64::from(context.config.current_medication_window_days));
    let covers_today = period.is_some_and(|period| {
        let start = day_of(period.start.as_ref().and_then(|s| text_of!(s)));
        let end = day_of(period.end.as_ref().and_then(|e| text_of!(e)));
        start.is_none_or(|start| start <= today)
            && end.is_none_or(|end| end >= today)
            && (start.is_some() || end.is_some())
    });
    let recent = written.is_some_and(|day| day <= today && today - day <= window);
    if covers_today || recent {
        return true;
    }
    let when = written.map_or_else(|| "an unknown date".to_owned(), crate::facts::date_in_words);
    issues.push(DataIssue {
        kind: DataIssueKind::OutdatedActiveRecord,
        source: Some(reference.clone()),
        message: format!(
            "A {drug} record from {when} is still marked active, with no period covering today \
             (more than {} days old): it was read as history, not as current treatment; consider \
             closing it.",
            context.config.current_medication_window_days
        ),
    });
    false
}

//! The rules of section 4, one module per part of the guideline. Each module reads an
//! [`Assessment`](crate::assessment::Assessment) and pushes [`CardProposal`]s; none does IO.
//!
//! - `primary`: the primary recommendation table (exactly one card).
//! - `fertility`: `fertility-prefer-rituximab`.
//! - `neuroblastoma`: `neuroblastoma-resection`, `neuroblastoma-screening`.
//! - `steroids`: `iv-methylprednisolone`, `corticosteroid-options`, `combination-therapy`.
//! - `safety`: `hepatitis-b-screening`, `dose-check`, `missing-body-measurements`, `adult-patient`.
//! - `monitoring`: `monitoring-and-rehabilitation`.

pub mod fertility;
pub mod monitoring;
pub mod neuroblastoma;
pub mod primary;
pub mod safety;
pub mod steroids;

use fhir_mapping::{DoseEvent, DoseKnownFrom, MedicationClass, OrderInPlay, UncountedDoses};

use crate::assessment::Assessment;
use crate::markdown::Detail;
use crate::proposal::{MedicationDosage, ProposedAction, ProposedOrder};
use crate::regimen;

/// Dates and sources of doses, as one line: `2026-08-17 (`MedicationAdministration/1`), ...`;
/// a dose known only from a statement or an order says so.
pub fn dose_list(doses: &[DoseEvent]) -> String {
    doses
        .iter()
        .map(|dose| {
            format!(
                "{}{} (`{}`)",
                dose.date,
                how_known(dose.known_from),
                dose.source
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Records of an unknown number of doses, as one line.
pub fn uncounted_list(records: &[UncountedDoses]) -> String {
    records
        .iter()
        .map(|record| {
            let period = match record.last {
                Some(last) if last != record.first => format!("{} to {last}", record.first),
                _ => format!("from {}", record.first),
            };
            format!(
                "{period}, number of doses unknown{} (`{}`)",
                how_known(record.known_from),
                record.source
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Nothing for a dose given; "(reported)" or "(ordered, administration not on record)".
fn how_known(known_from: DoseKnownFrom) -> &'static str {
    match known_from {
        DoseKnownFrom::Given => "",
        DoseKnownFrom::Reported => " (reported)",
        DoseKnownFrom::Ordered => " (ordered, administration not on record)",
    }
}

/// The relapsed OMS Condition as a trigger line.
pub fn relapsed_oms(detail: Detail, assessment: &Assessment<'_>) -> Detail {
    detail.because(
        format!(
            "relapsed OMS, relapse date {}",
            assessment.relapse_date_text()
        ),
        Some(&assessment.oms.reference),
    )
}

/// The orders in play that made the service speak.
pub fn orders_in_play(detail: Detail, assessment: &Assessment<'_>) -> Detail {
    let refs: Vec<_> = assessment
        .facts
        .orders
        .iter()
        .map(|order| order.reference.clone())
        .collect();
    detail.because_all("relevant order(s) in play", &refs)
}

/// Every data issue the mapping reported, on the card it may have limited.
pub fn data_issues(mut detail: Detail, assessment: &Assessment<'_>) -> Detail {
    for issue in &assessment.facts.issues {
        detail = match &issue.source {
            Some(source) => detail.data_issue(format!("{} (`{source}`)", issue.message)),
            None => detail.data_issue(issue.message.clone()),
        };
    }
    detail
}

/// Puts a dosage into effect: update the draft of the same drug in play if there is one (same id,
/// corrected dosage), otherwise create a new order.
pub fn update_or_create(
    drug: MedicationClass,
    dosage: MedicationDosage,
    draft: Option<&OrderInPlay>,
    assessment: &Assessment<'_>,
) -> ProposedAction {
    match draft {
        Some(order) => ProposedAction::Update {
            description: format!("Update draft {} to: {}", order.reference, dosage.text),
            target: order.reference.clone(),
            dosage,
        },
        None => ProposedAction::Create {
            description: format!("Create draft order: {}", dosage.text),
            order: ProposedOrder::Medication(regimen::order(drug, dosage, assessment)),
        },
    }
}

/// Removes a draft order in play that the recommendation replaces.
pub fn delete(order: &OrderInPlay, why: &str) -> ProposedAction {
    ProposedAction::Delete {
        description: format!("Remove draft {} ({why})", order.reference),
        target: order.reference.clone(),
    }
}

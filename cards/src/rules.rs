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
pub mod risks;
pub mod safety;
pub mod steroids;

use fhir_mapping::{
    date_in_words, date_span_in_words, DataIssue, DataIssueKind, DoseEvent, DoseKnownFrom, FhirRef,
    MedicationClass, OrderInPlay, UncountedDoses,
};

use crate::assessment::Assessment;
use crate::markdown::Detail;
use crate::proposal::{MedicationDosage, ProposedAction, ProposedOrder};
use crate::regimen;

/// The nouns of rituximab doses, for [`dose_list`].
pub const RITUXIMAB_DOSES: (&str, &str) = ("rituximab dose", "rituximab doses");

/// The nouns of cyclophosphamide pulses, for [`dose_list`].
pub const CYCLOPHOSPHAMIDE_PULSES: (&str, &str) =
    ("cyclophosphamide pulse", "cyclophosphamide pulses");

/// Doses in clinical words: `4 rituximab doses, 2-23 Mar 2026 (given)`; doses known in
/// different ways are grouped in date order (`2-9 Mar 2026 (given); 16 Mar 2026 (ordered,
/// administration not on record)`). `noun` is the singular and plural ("rituximab dose",
/// "rituximab doses"). The records go into the card's references, not into this text.
pub fn dose_list(noun: (&str, &str), doses: &[DoseEvent]) -> String {
    let count = doses.len();
    let noun = if count == 1 { noun.0 } else { noun.1 };
    let mut groups: Vec<(DoseKnownFrom, Vec<&DoseEvent>)> = Vec::new();
    for dose in doses {
        match groups.last_mut() {
            Some((known_from, group)) if *known_from == dose.known_from => group.push(dose),
            _ => groups.push((dose.known_from, vec![dose])),
        }
    }
    let spans: Vec<String> = groups
        .iter()
        .filter_map(|(known_from, group)| {
            let (first, last) = (group.first()?, group.last()?);
            Some(format!(
                "{} ({})",
                date_span_in_words(first.date, last.date),
                how_known(*known_from)
            ))
        })
        .collect();
    format!("{count} {noun}, {}", spans.join("; "))
}

/// The records behind doses, each once.
pub fn dose_sources(doses: &[DoseEvent]) -> Vec<FhirRef> {
    let mut sources: Vec<FhirRef> = Vec::new();
    for dose in doses {
        if !sources.contains(&dose.source) {
            sources.push(dose.source.clone());
        }
    }
    sources
}

/// Records of an unknown number of doses, in clinical words.
pub fn uncounted_list(records: &[UncountedDoses]) -> String {
    records
        .iter()
        .map(|record| {
            let period = match record.last {
                Some(last) => date_span_in_words(record.first, last),
                None => format!("from {}", date_in_words(record.first)),
            };
            format!(
                "{period}, number of doses unknown ({})",
                how_known(record.known_from)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// "given", "reported" or "ordered, administration not on record".
fn how_known(known_from: DoseKnownFrom) -> &'static str {
    match known_from {
        DoseKnownFrom::Given => "given",
        DoseKnownFrom::Reported => "reported",
        DoseKnownFrom::Ordered => "ordered, administration not on record",
    }
}

/// The relapsed OMS Condition as a trigger line.
pub fn relapsed_oms(detail: Detail, assessment: &Assessment<'_>) -> Detail {
    detail.because(
        format!("relapsed OMS ({})", assessment.relapse_date_text()),
        Some(&assessment.oms.reference),
    )
}

/// The orders in play that made the service speak, by drug.
pub fn orders_in_play(detail: Detail, assessment: &Assessment<'_>) -> Detail {
    let orders = &assessment.facts.orders;
    let refs: Vec<_> = orders.iter().map(|order| order.reference.clone()).collect();
    let mut drugs: Vec<&str> = orders.iter().map(|order| order.medication.name()).collect();
    drugs.dedup();
    let verb = if assessment.facts.hook == fhir_mapping::Hook::OrderSign {
        "being signed"
    } else {
        "selected"
    };
    detail.because_all(format!("order(s) {verb}: {}", drugs.join(", ")), &refs)
}

/// At most this many data-issue lines on a card: a record with thousands of unreadable entries
/// must not bury the recommendation (the references of all of them stay in the extension).
const MAX_DATA_ISSUE_LINES: usize = 3;

/// The data issues the mapping reported, on the card they may have limited: one line per kind of
/// problem (data that could not be obtained first), at most three, then how many more; every
/// record stays in the card's references.
pub fn data_issues(mut detail: Detail, assessment: &Assessment<'_>) -> Detail {
    let issues = &assessment.facts.issues;
    let obtaining = |issue: &&DataIssue| {
        matches!(
            issue.kind,
            DataIssueKind::PrefetchError | DataIssueKind::MissingOptionalData
        )
    };
    let ordered = issues
        .iter()
        .filter(obtaining)
        .chain(issues.iter().filter(|issue| !obtaining(issue)));
    let mut shown: Vec<&DataIssue> = Vec::new();
    for issue in ordered {
        let new_kind = !shown.iter().any(|seen| seen.kind == issue.kind)
            || issue.kind == DataIssueKind::MissingOptionalData;
        if new_kind && shown.len() < MAX_DATA_ISSUE_LINES {
            shown.push(issue);
        }
    }
    for issue in &shown {
        detail = detail.data_issue(issue.message.clone(), issue.source.as_ref());
    }
    let more = issues.len() - shown.len();
    if more > 0 {
        detail = detail
            .data_issue(
                format!(
                    "... and {more} more data issues (their records are in the card's references)."
                ),
                None,
            )
            .cite_records(issues.iter().filter_map(|issue| issue.source.as_ref()));
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
            description: format!(
                "Update the {} draft order to: {}",
                order.medication.name(),
                dosage.text
            ),
            target: order.reference.clone(),
            drug,
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
        description: format!("Remove the {} draft order ({why})", order.medication.name()),
        target: order.reference.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::fixtures::{self, evaluate};
    use fhir_mapping::{DataIssue, DataIssueKind, FhirRef};

    #[test]
    fn thousands_of_data_issues_give_one_line_and_a_count_with_every_reference_kept() {
        let mut facts = fixtures::facts();
        facts.issues = (0..5000)
            .map(|index| DataIssue {
                kind: DataIssueKind::UnparseableResource,
                source: Some(FhirRef::new("Observation", &format!("bad-{index}"))),
                message: "An observation is not valid FHIR R4 and was ignored.".to_owned(),
            })
            .collect();
        let cards = evaluate(&facts);
        let primary = &cards[0];
        assert!(
            primary.detail.contains("... and 4999 more data issues"),
            "{}",
            primary.detail
        );
        assert!(primary.detail.chars().count() <= 1500, "{}", primary.detail);
        assert!(primary
            .references
            .contains(&FhirRef::new("Observation", "bad-4999")));
    }
}

//! `neuroblastoma-resection` and `neuroblastoma-screening` (section 4, additional cards): for OMS
//! with neuroblastoma, resect the tumour in addition to immunotherapy; without a work-up on record,
//! screen for an occult tumour (Rossor 2022, expert consensus).

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::evidence::{ARMANGUE_2016, ROSSOR_2022};
use crate::history::add_months;
use crate::markdown::Detail;
use crate::proposal::{
    CardProposal, ProposedAction, ProposedOrder, ProposedSuggestion, ServiceCode, ServiceOrder,
};
use crate::rules::primary::PATIENT_REFERRAL;
use crate::rules::relapsed_oms;
use fhir_mapping::date_in_words;
use fhir_mapping::proposal::SNOMED;

/// Adds the resection card (tumour present, not resected) or the screening card (no work-up).
pub fn apply(cards: &mut Vec<CardProposal>, assessment: &Assessment<'_>) {
    let neuroblastoma = &assessment.facts.neuroblastoma;
    if neuroblastoma.present && !neuroblastoma.resected {
        cards.push(resection(assessment));
    }
    if assessment.is_adult() {
        // Adults: the tumour work-up of adult-onset OMS replaces neuroblastoma screening.
        if assessment.adult_onset()
            && workup_due(
                assessment,
                assessment
                    .facts
                    .adult_tumour_workup
                    .as_ref()
                    .map(|w| w.date),
            )
        {
            cards.push(tumour_screening(assessment));
        }
    } else if assessment.is_young()
        && !neuroblastoma.present
        && workup_due(assessment, neuroblastoma.latest_workup)
    {
        cards.push(screening(assessment));
    }
}

/// No work-up on record, or the latest is more than `workup_repeat_months` before the relapse
/// date (a relapse can herald a tumour).
fn workup_due(assessment: &Assessment<'_>, latest: Option<time::Date>) -> bool {
    latest.is_none_or(|date| {
        add_months(date, assessment.config.workup_repeat_months) < assessment.relapse_date
    })
}

fn tumour_screening(assessment: &Assessment<'_>) -> CardProposal {
    let previous = assessment.facts.adult_tumour_workup.as_ref();
    let mut detail = Detail::new(
        "Adult-onset OMS is often paraneoplastic (39% in the largest adult series: lung and \
         breast cancer, ovarian teratoma in young women; fewer in others). Screen: CT of chest, \
         abdomen and pelvis; mammography or breast imaging and pelvic imaging in women; \
         testicular ultrasound in young men; consider FDG-PET; onconeural antibodies (incl. \
         anti-Ri).",
    )
    .evidence(ARMANGUE_2016);
    detail = match previous {
        Some(workup) => detail.because(
            format!(
                "adult-onset OMS; latest tumour work-up {} ({}), more than {} months before the relapse",
                date_in_words(workup.date),
                workup.description,
                assessment.config.workup_repeat_months
            ),
            Some(&workup.source),
        ),
        None => detail.because(
            "adult-onset OMS; no tumour work-up since the OMS onset on record",
            Some(&assessment.oms.reference),
        ),
    };
    let imaging = ServiceOrder {
        code: ServiceCode {
            system: None,
            code: None,
            text: "CT of chest, abdomen and pelvis with contrast",
        },
        note: "Adult-onset opsoclonus-myoclonus syndrome: screening for an underlying tumour."
            .to_owned(),
    };
    CardProposal::new(
        Topic::TumourScreening,
        Indicator::Info,
        "Adult-onset OMS: screen for an underlying tumour (CT chest/abdomen/pelvis, breast, pelvis or testis)",
        detail,
    )
    .suggest(ProposedSuggestion::new(
        "Order CT of chest, abdomen and pelvis",
        vec![ProposedAction::Create {
            description: "Create an order for CT of chest, abdomen and pelvis".to_owned(),
            order: ProposedOrder::Service(imaging),
        }],
    ))
    .selection(SelectionBehavior::Any)
}

fn resection(assessment: &Assessment<'_>) -> CardProposal {
    let neuroblastoma = &assessment.facts.neuroblastoma;
    let trigger = match (neuroblastoma.resection_date, neuroblastoma.latest_onset) {
        (Some(resected), Some(onset)) => format!(
            "neuroblastoma present (onset {}), after a resection on {}; no resection since",
            date_in_words(onset),
            date_in_words(resected)
        ),
        _ => "neuroblastoma present (active, recurrent or relapsed), no resection on record"
            .to_owned(),
    };
    let detail = Detail::new(
        "A neuroblastoma is present and not resected: tumour resection alongside immunotherapy; \
         refer to surgical oncology.",
    )
    .evidence(ROSSOR_2022)
    .because_all(trigger, &neuroblastoma.references);
    let referral = ServiceOrder {
        code: ServiceCode {
            system: Some(SNOMED),
            code: Some(PATIENT_REFERRAL),
            text: "Referral to paediatric surgical oncology for neuroblastoma resection",
        },
        note: "Opsoclonus-myoclonus syndrome with unresected neuroblastoma: tumour resection in \
               addition to immunotherapy."
            .to_owned(),
    };
    CardProposal::new(
        Topic::NeuroblastomaResection,
        Indicator::Warning,
        "Neuroblastoma not resected: refer for tumour resection in addition to immunotherapy",
        detail,
    )
    .suggest(ProposedSuggestion::new(
        "Refer to surgical oncology",
        vec![ProposedAction::Create {
            description: "Create a referral to surgical oncology for neuroblastoma resection"
                .to_owned(),
            order: ProposedOrder::Service(referral),
        }],
    ))
    .selection(SelectionBehavior::Any)
}

fn screening(assessment: &Assessment<'_>) -> CardProposal {
    let latest = assessment.facts.neuroblastoma.latest_workup;
    let opening = match latest {
        Some(date) => format!(
            "The latest neuroblastoma work-up is from {}, more than {} months before this \
             relapse; a relapse can herald a tumour (recurrence).",
            date_in_words(date),
            assessment.config.workup_repeat_months
        ),
        None => "No neuroblastoma work-up is on record.".to_owned(),
    };
    let detail = Detail::new(format!(
        "{opening} Screen for an occult neuroblastoma: cross-sectional imaging (MRI of chest, \
         abdomen and pelvis), urine catecholamine metabolites (HVA, VMA), and MIBG \
         scintigraphy where imaging is inconclusive."
    ));
    let trigger = match latest {
        Some(date) => format!("latest neuroblastoma work-up {}", date_in_words(date)),
        None => "no neuroblastoma Condition, urine catecholamines, MIBG scan or cross-sectional \
                 imaging on record"
            .to_owned(),
    };
    let detail = relapsed_oms(detail, assessment)
        .evidence(ROSSOR_2022)
        .because_all(trigger, &assessment.facts.neuroblastoma.references);
    let imaging = ServiceOrder {
        code: ServiceCode {
            system: None,
            code: None,
            text: "MRI of chest, abdomen and pelvis for occult neuroblastoma",
        },
        note: "Opsoclonus-myoclonus syndrome: screening for an occult neuroblastoma.".to_owned(),
    };
    let urine = ServiceOrder {
        code: ServiceCode {
            system: None,
            code: None,
            text: "Urine homovanillic acid (HVA) and vanillylmandelic acid (VMA)",
        },
        note: "Opsoclonus-myoclonus syndrome: screening for an occult neuroblastoma.".to_owned(),
    };
    CardProposal::new(
        Topic::NeuroblastomaScreening,
        Indicator::Info,
        if latest.is_some() {
            "Neuroblastoma work-up over 12 months old: screen again (imaging, urine catecholamines)"
        } else {
            "No neuroblastoma work-up on record: screen for an occult tumour (imaging, urine catecholamines)"
        },
        detail,
    )
    .suggest(ProposedSuggestion::new(
        "Order neuroblastoma screening",
        vec![
            ProposedAction::Create {
                description: "Create an order for MRI of chest, abdomen and pelvis".to_owned(),
                order: ProposedOrder::Service(imaging),
            },
            ProposedAction::Create {
                description: "Create an order for urine HVA and VMA".to_owned(),
                order: ProposedOrder::Service(urine),
            },
        ],
    ))
    .selection(SelectionBehavior::Any)
}

#[cfg(test)]
mod tests {
    use crate::card::{Indicator, Topic};
    use crate::fixtures::{self, evaluate, find};
    use fhir_mapping::FhirRef;

    #[test]
    fn an_unresected_neuroblastoma_gets_a_surgical_referral() {
        let mut facts = fixtures::facts();
        facts.neuroblastoma.present = true;
        facts.neuroblastoma.references = vec![FhirRef::new("Condition", "nb")];
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::NeuroblastomaResection).unwrap();
        assert_eq!(card.indicator, Indicator::Warning);
        let referral = fixtures::services(card)[0];
        assert_eq!(referral.code.code, Some("3457005"));
        assert!(card
            .references
            .contains(&fhir_mapping::FhirRef::new("Condition", "nb")));
        assert!(!card.detail.contains("Condition/"));
    }

    #[test]
    fn a_resected_neuroblastoma_gets_no_resection_card() {
        let mut facts = fixtures::facts();
        facts.neuroblastoma.present = true;
        facts.neuroblastoma.resected = true;
        assert!(find(&evaluate(&facts), Topic::NeuroblastomaResection).is_none());
    }

    #[test]
    fn no_work_up_on_record_gets_the_screening_card_with_two_orders() {
        let mut facts = fixtures::facts();
        facts.neuroblastoma.workup_on_record = false;
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::NeuroblastomaScreening).unwrap();
        assert_eq!(card.indicator, Indicator::Info);
        assert_eq!(fixtures::services(card).len(), 2);
    }
}

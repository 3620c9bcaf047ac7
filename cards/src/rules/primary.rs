//! The primary recommendation (section 4, table "Primary recommendation"): exactly one card per
//! call when the service speaks about a relapsed patient.
//!
//! | topic | when | evidence |
//! |---|---|---|
//! | `rituximab-full-course` | no rituximab on record | guideline; case series; consensus |
//! | `rituximab-redose` | full course on record, not refractory | guideline; single case report |
//! | `rituximab-partial-prior` | less than a full course, not refractory | clinical judgement |
//! | `cyclophosphamide-dexamethasone-pulses` | refractory, not highly refractory | 2-patient case report |
//! | `specialist-referral` | highly refractory | literature (guideline list empty) |

use fhir_mapping::{date_in_words, MedicationClass, Pregnancy, ReactionRecord, VerificationStatus};

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::{show, ComputedDose};
use crate::evidence::{
    BRAIN_DEV_2016, DE_ALARCON_2018, GUIDELINE, PRANZATELLI_2006, RITUXIMAB_LABEL, ROSSOR_2022,
    ROSTASY_2006, WILKEN_2008,
};
use crate::history::{add_months, AfterFullCourse, RefractoryReason, RituximabHistory};
use crate::markdown::Detail;
use crate::proposal::{
    CardProposal, MedicationDosage, ProposedAction, ProposedOrder, ProposedSuggestion, ServiceCode,
    ServiceOrder,
};
use crate::regimen;
use crate::rules::{
    data_issues, delete, dose_list, dose_sources, orders_in_play, relapsed_oms, uncounted_list,
    update_or_create, CYCLOPHOSPHAMIDE_PULSES, RITUXIMAB_DOSES,
};
use fhir_mapping::proposal::SNOMED;

/// The safety line of every rituximab card (infusion reactions: boxed warning; immunisation).
const RITUXIMAB_SAFETY: &str = "Safety: premedicate (paracetamol, an antihistamine, with or \
    without a corticosteroid); graded first-infusion rate; no live vaccines during B-cell \
    depletion, due vaccines before the course.";

/// Before re-dosing rituximab.
const REDOSE_SAFETY: &str = "Before re-dosing: check IgG (with IgM) and the CD19 count; low IgG \
    with infections: consider immunoglobulin replacement.";

/// The safety line of the pulses card.
fn pulses_safety(assessment: &Assessment<'_>) -> String {
    let mut parts = Vec::new();
    let from_puberty = assessment
        .facts
        .patient
        .age
        .is_some_and(|age| age.years >= assessment.config.could_be_pregnant_min_age_years);
    if assessment.is_pregnant() {
        parts.push("pregnant: see the pregnancy card");
    } else if assessment.could_be_pregnant() {
        parts.push(
            "pregnancy test before each cycle, contraception until 1 year after the last dose",
        );
    } else if assessment.of_reproductive_potential() && from_puberty {
        parts.push("contraception until 4 months after the last dose");
    }
    parts.push(
        "hydration (mesna per local protocol); blood count before each pulse (hold if counts \
         are low; nadir day 10-14); consider Pneumocystis prophylaxis; no live vaccines during \
         and 3 months after",
    );
    format!("Safety: {}.", parts.join("; "))
}

/// SNOMED CT 3457005 "Patient referral".
pub const PATIENT_REFERRAL: &str = "3457005";

/// The primary card for the assessment's primary topic.
pub fn card(assessment: &Assessment<'_>) -> CardProposal {
    let after = match &assessment.history {
        RituximabHistory::AfterFullCourse(after) => Some(after),
        _ => None,
    };
    let card = match (assessment.primary, after) {
        (Topic::SpecialistReferral, _) => specialist_referral(assessment, after),
        (Topic::CyclophosphamideDexamethasonePulses, _) => {
            cyclophosphamide_dexamethasone(assessment, after)
        }
        (Topic::RituximabRedose, Some(after)) => redose(assessment, after),
        (Topic::RituximabPartialPrior, _) => partial_prior(assessment),
        _ => full_course(assessment),
    };
    let detail = data_issues(
        orders_in_play(relapsed_oms(card.detail, assessment), assessment),
        assessment,
    );
    let detail = hepatitis_b_reminder(detail, assessment);
    let card = name_verification(CardProposal { detail, ..card }, assessment);
    if assessment.primary_is_rituximab() {
        reaction_warning(card, assessment)
    } else {
        card
    }
}

/// A relapse recorded as provisional, differential or unconfirmed is named in the primary
/// card's summary and detail (section 1): the clinician decides on a diagnosis the record does
/// not confirm.
fn name_verification(card: CardProposal, assessment: &Assessment<'_>) -> CardProposal {
    let word = match assessment.oms.verification {
        VerificationStatus::Provisional => "provisional",
        VerificationStatus::Differential => "differential",
        VerificationStatus::Unconfirmed => "unconfirmed",
        VerificationStatus::Confirmed | VerificationStatus::NotRecorded => return card,
    };
    let suffix = format!(" (relapse recorded as {word})");
    let summary = if card.summary.chars().count() + suffix.chars().count() < 140 {
        format!("{}{suffix}", card.summary)
    } else {
        format!("Relapse recorded as {word}: {}", card.summary)
    };
    let detail = card.detail.also(format!(
        "The OMS relapse is recorded as {word}, not confirmed: confirm the diagnosis before \
         treating it as a relapse."
    ));
    CardProposal {
        summary,
        detail,
        ..card
    }
}

/// The `hepatitis-b-screening` card fires for a rituximab order in play. When the service itself
/// proposes rituximab (no rituximab draft in play, for example a cyclophosphamide draft for a
/// rituximab-naive child) and the screening is not on record, the rituximab card says so, so the
/// proposal never skips the boxed warning.
fn hepatitis_b_reminder(detail: Detail, assessment: &Assessment<'_>) -> Detail {
    let proposes_rituximab = matches!(
        assessment.primary,
        Topic::RituximabFullCourse | Topic::RituximabRedose | Topic::RituximabPartialPrior
    );
    let rituximab_in_play = assessment
        .facts
        .orders
        .iter()
        .any(|order| order.medication.is_rituximab());
    // Missing or unreadable (equivocal, discordant): the screening is not done.
    let readable = |result: &Option<fhir_mapping::LabResult>| {
        result
            .as_ref()
            .is_some_and(|result| result.status != fhir_mapping::ResultStatus::Unreadable)
    };
    let screening = &assessment.facts.hepatitis_b;
    let done = readable(&screening.hbsag) && readable(&screening.anti_hbc);
    if !proposes_rituximab || rituximab_in_play || done {
        return detail;
    }
    detail
        .also(
            "No complete hepatitis B screening (HBsAg and anti-HBc) is on record: screen before \
             the first rituximab dose (boxed warning: hepatitis B reactivation).",
        )
        .evidence(RITUXIMAB_LABEL)
}

/// `rituximab-full-course`: no rituximab on record.
fn full_course(assessment: &Assessment<'_>) -> CardProposal {
    let config = assessment.config;
    let count = config.full_course_min_doses;
    let per_m2 = show(config.rituximab_mg_per_m2);
    let dose = regimen::rituximab_dose(assessment);
    let amount = amount_text(dose.as_ref(), " per dose");
    let summary = format!(
        "Rituximab {per_m2} mg/m2 IV once weekly x {count}{amount}: no rituximab dose on record"
    );
    let detail = Detail::new(format!(
        "Give a full course of rituximab: {per_m2} mg/m2 IV once weekly for {count} doses{amount}."
    ))
    .evidence(GUIDELINE)
    .evidence(PRANZATELLI_2006)
    .evidence(ROSSOR_2022)
    .off_label()
    .because("no rituximab dose on record", None);
    rituximab_card(
        Topic::RituximabFullCourse,
        summary,
        detail,
        dose,
        assessment,
    )
}

/// `rituximab-redose`: a full course on record, not refractory.
fn redose(assessment: &Assessment<'_>, after: &AfterFullCourse) -> CardProposal {
    let config = assessment.config;
    let per_m2 = show(config.rituximab_mg_per_m2);
    let dose = regimen::rituximab_dose(assessment);
    let amount = amount_text(dose.as_ref(), "");
    let summary = if after.known_only_from_orders {
        format!(
            "Single additional rituximab dose {per_m2} mg/m2 IV{amount}; the course is ordered, its administration not on record"
        )
    } else if after.relapse_date_precedes_course {
        format!(
            "Single additional rituximab dose {per_m2} mg/m2 IV{amount}; relapse date on record precedes the course: update it"
        )
    } else {
        format!("Single additional rituximab dose {per_m2} mg/m2 IV{amount} after a full course")
    };
    let mut detail = Detail::new(format!(
        "Give one additional dose of rituximab, {per_m2} mg/m2 IV{amount}, once, for a relapse \
         after a full course."
    ))
    .evidence(GUIDELINE)
    .evidence(BRAIN_DEV_2016)
    .off_label()
    .because_all(
        format!(
            "{}: {}",
            course_label(after),
            dose_list(RITUXIMAB_DOSES, after.course.doses())
        ),
        &dose_sources(after.course.doses()),
    );
    let last_dose = after.course.last_date();
    if after.known_only_from_orders {
        detail = detail
            .also("Confirm the course was given: if it was not, a full course is the option.");
    }
    if add_months(last_dose, config.new_course_alternative_months) < assessment.facts.today {
        detail = detail.also(
            "The full course was long ago and B cells have recovered: a new full course is an \
             alternative.",
        );
    }
    let why_not_refractory = if after.relapse_date_precedes_course {
        detail = detail.also(format!(
            "The relapse date on record ({}) precedes the course (first dose {}): if this is a new \
             relapse, update the OMS Condition's onset or recorded date; if the course did not \
             work, this is non-response and the pulses regimen applies.",
            assessment.relapse_date_text(),
            date_in_words(after.course.first_date())
        ));
        "the relapse date on record precedes the course, so the record cannot tell a new relapse \
         from non-response"
            .to_owned()
    } else if after.known_only_from_orders {
        "the course is known only from orders, which never makes the patient refractory".to_owned()
    } else {
        format!(
            "not refractory: the relapse ({}) is more than {} months after the course's last dose \
             ({}), with no single additional dose or cyclophosphamide for OMS since",
            assessment.relapse_date_text(),
            config.refractory_window_months,
            date_in_words(last_dose)
        )
    };
    let detail = detail.because(why_not_refractory, None);
    rituximab_card(Topic::RituximabRedose, summary, detail, dose, assessment)
}

/// `rituximab-partial-prior`: some rituximab, less than a full course. Not in the guideline: the
/// clinician chooses between completing the course and one dose.
fn partial_prior(assessment: &Assessment<'_>) -> CardProposal {
    let config = assessment.config;
    let full = config.full_course_min_doses;
    let (doses, sources, given, count_known) = match &assessment.history {
        RituximabHistory::Partial { doses, uncounted } if uncounted.is_empty() => (
            dose_list(RITUXIMAB_DOSES, doses),
            dose_sources(doses),
            doses.len(),
            true,
        ),
        RituximabHistory::Partial { doses, uncounted } => {
            let counted = (!doses.is_empty()).then(|| dose_list(RITUXIMAB_DOSES, doses));
            let listed = counted.into_iter().chain([uncounted_list(uncounted)]);
            let mut sources = dose_sources(doses);
            sources.extend(uncounted.iter().map(|record| record.source.clone()));
            (
                listed.collect::<Vec<_>>().join("; "),
                sources,
                doses.len(),
                false,
            )
        }
        _ => (String::new(), Vec::new(), 0, true),
    };
    let remaining = remaining_doses(assessment);
    let per_m2 = show(config.rituximab_mg_per_m2);
    let gap = new_course_after_gap(assessment);
    let (summary, on_record) = if !count_known {
        (
            "Rituximab on record, number of doses unknown: a full course or one dose".to_owned(),
            "rituximab on record, number of doses unknown, so it cannot count as a full course"
                .to_owned(),
        )
    } else if gap {
        (
            format!(
                "Partial rituximab course ({given} of {full} doses, over {} days ago): a new full course or one dose",
                config.redose_gap_days
            ),
            "less than a full course of rituximab on record".to_owned(),
        )
    } else {
        (
            format!(
                "Partial rituximab course on record ({given} of {full} doses): complete the course or give one dose"
            ),
            "less than a full course of rituximab on record".to_owned(),
        )
    };
    let dose = regimen::rituximab_dose(assessment);
    let amount = amount_text(dose.as_ref(), " per dose");
    let course_option = if gap {
        format!(
            "a new full course of {remaining} weekly doses (the last dose was more than {} days \
             ago, so the old course is not resumed)",
            config.redose_gap_days
        )
    } else if count_known {
        format!("complete the course with the remaining {remaining} weekly dose(s)")
    } else {
        format!(
            "a full course of {remaining} weekly doses (the record does not say how many doses \
             were given, so it cannot count as a full course)"
        )
    };
    let opening = if count_known {
        "Less than a full course of rituximab is on record."
    } else {
        "Rituximab is on record, but not how many doses were given."
    };
    let detail = Detail::new(format!(
        "{opening} Two options, at {per_m2} mg/m2 IV per dose{amount}: {course_option}, or give \
         a single dose."
    ))
    .also("Not in the guideline: clinical judgement, so neither option is pre-selected.")
    // Not in the guideline: the doses are those of the full-course regimen.
    .evidence(PRANZATELLI_2006)
    .off_label()
    .because_all(format!("{on_record}: {doses}"), &sources);
    rituximab_card(
        Topic::RituximabPartialPrior,
        summary,
        detail,
        dose,
        assessment,
    )
}

/// The weekly doses left to complete a course: the full course less the counted doses (at least
/// one); a full course when the number of doses on record is unknown.
fn remaining_doses(assessment: &Assessment<'_>) -> u32 {
    let full = assessment.config.full_course_min_doses;
    match &assessment.history {
        _ if new_course_after_gap(assessment) => full,
        RituximabHistory::Partial { doses, uncounted } if uncounted.is_empty() => {
            let given = u32::try_from(doses.len()).unwrap_or(u32::MAX);
            full.saturating_sub(given).max(1)
        }
        _ => full,
    }
}

/// "full course of rituximab on record", or "... ordered (administration not on record)" when
/// only orders record it.
fn course_label(after: &AfterFullCourse) -> String {
    let only_ordered = after
        .course
        .doses()
        .iter()
        .all(|dose| dose.known_from == fhir_mapping::DoseKnownFrom::Ordered);
    let label = if only_ordered {
        "full course of rituximab ordered (administration not on record)"
    } else {
        "full course of rituximab on record"
    };
    // Fewer doses than a course by number: it is a course by its recorded amounts.
    let per_m2: Vec<String> = after
        .course
        .doses()
        .iter()
        .filter_map(|dose| match dose.amount {
            Some(fhir_mapping::DoseAmount::MilligramsPerSquareMetre(amount)) => Some(show(amount)),
            Some(fhir_mapping::DoseAmount::Milligrams(amount)) => {
                Some(format!("{} mg", show(amount)))
            }
            _ => None,
        })
        .collect();
    if after.course.doses().len() < 4 && !per_m2.is_empty() {
        format!("{label} by its amounts ({})", per_m2.join(" + "))
    } else {
        label.to_owned()
    }
}

/// Precision rule 9: after a partial course whose last dose is more than `redose_gap_days` ago,
/// the course option is a new full course, not the remaining doses.
fn new_course_after_gap(assessment: &Assessment<'_>) -> bool {
    let RituximabHistory::Partial { doses, .. } = &assessment.history else {
        return false;
    };
    let gap = time::Duration::days(i64::from(assessment.config.redose_gap_days));
    doses
        .last()
        .is_some_and(|last| assessment.facts.today - last.date > gap)
}

/// `cyclophosphamide-dexamethasone-pulses`: refractory to rituximab, not highly refractory.
fn cyclophosphamide_dexamethasone(
    assessment: &Assessment<'_>,
    after: Option<&AfterFullCourse>,
) -> CardProposal {
    let config = assessment.config;
    let cpm_per_m2 = show(config.cyclophosphamide_mg_per_m2);
    let dex_per_m2 = show(config.dexamethasone_mg_per_m2_per_day);
    let (cycle, remaining) = (assessment.next_cycle(), assessment.remaining_cycles());
    // While pregnant no mg amount is proposed (see below); within 8 weeks of the course's last
    // dose the response to rituximab may not be judgeable yet, so no cyclophosphamide either.
    let too_early = assessment.response_not_yet_judgeable();
    let pregnant = assessment.is_pregnant();
    let cyclophosphamide = regimen::cyclophosphamide_dose(assessment).filter(|_| !pregnant);
    let dexamethasone = regimen::dexamethasone_dose(assessment).filter(|_| !pregnant);
    let amount = amount_text(cyclophosphamide.as_ref(), "");
    let in_progress = !assessment.regimen_pulses.is_empty();
    let summary = if in_progress {
        format!(
            "Cyclophosphamide {cpm_per_m2} mg/m2{amount} + dexamethasone pulses: cycle {cycle} of {}, {remaining} left",
            config.pulse_cycles
        )
    } else {
        format!(
            "Refractory to rituximab: cyclophosphamide {cpm_per_m2} mg/m2{amount} + dexamethasone pulses q{}wk x {}",
            config.pulse_interval_weeks, config.pulse_cycles
        )
    };
    let opening = if in_progress {
        format!(
            "The regimen for this relapse is in progress: the next pulse is cycle {cycle} of {} \
             ({remaining} left).",
            config.pulse_cycles
        )
    } else {
        "Refractory to rituximab.".to_owned()
    };
    let mut detail = Detail::new(format!(
        "{opening} Cyclophosphamide {cpm_per_m2} mg/m2 IV on day 1 (range 500-1000 mg/m2, \
         borrowed from autoimmune encephalitis practice) with dexamethasone \
         {dex_per_m2} mg/m2/day in {} doses on days 1-{}, every {} weeks.",
        config.dexamethasone_doses_per_day, config.dexamethasone_days, config.pulse_interval_weeks,
    ))
    .also(pulses_safety(assessment))
    .evidence(GUIDELINE)
    .evidence(WILKEN_2008)
    .evidence(ROSTASY_2006)
    .off_label();
    if let Some(cpm) = cyclophosphamide.as_ref().filter(|dose| dose.cap_applied()) {
        let per_m2 = (cpm.dose.value() / cpm.basis.amount()).round_dp(0);
        let under_range = if per_m2 < config.cyclophosphamide_min_mg_per_m2 {
            format!(
                ", under the {} mg/m2 range",
                show(config.cyclophosphamide_min_mg_per_m2)
            )
        } else {
            String::new()
        };
        detail = detail.also(format!(
            "The {} cap is local policy (published 1000-1500 mg): {} mg/m2 here{under_range}.",
            cpm.dose,
            show(per_m2)
        ));
    }
    if let Some(last_dose) = too_early {
        detail = detail.also(format!(
            "The last rituximab dose was on {}, under {} weeks ago: the response to rituximab may \
             not yet be judgeable, so no cyclophosphamide order is suggested yet.",
            date_in_words(last_dose),
            config.response_judgeable_weeks
        ));
    }
    if in_progress {
        detail = detail.because_all(
            format!(
                "regimen in progress: {} for OMS since the relapse",
                dose_list(CYCLOPHOSPHAMIDE_PULSES, &assessment.regimen_pulses)
            ),
            &dose_sources(&assessment.regimen_pulses),
        );
    }
    if let Some(after) = after {
        if after
            .refractory
            .iter()
            .any(|reason| matches!(reason, RefractoryReason::RelapseSoonAfterCourse { .. }))
        {
            detail = detail.also(
                "An early relapse with CD19 B-cell repopulation may still respond to re-dosing.",
            );
        }
        detail = refractory_triggers(detail, assessment, after);
    }
    let mut card = CardProposal::new(
        Topic::CyclophosphamideDexamethasonePulses,
        Indicator::Warning,
        summary,
        Detail::default(),
    );
    if let Pregnancy::Pregnant {
        date,
        evidence,
        source,
    } = &assessment.facts.pregnancy
    {
        // No one-click cyclophosphamide or dexamethasone while pregnant (embryo-fetal toxicity;
        // dexamethasone crosses the placenta): the pregnancy card says why.
        detail = detail
            .also(format!(
                "Pregnancy on record ({evidence}, {}): no order is suggested, and a \
                 cyclophosphamide order in play is not changed here; see the pregnancy card.",
                date_in_words(*date)
            ))
            .cite_records([source]);
        return CardProposal { detail, ..card };
    }
    if let (Some(cpm), Some(dex)) = (cyclophosphamide, dexamethasone) {
        detail = detail
            .dose_working(&cpm, Some("cyclophosphamide"))
            .dose_working(&dex, Some("dexamethasone"));
        if too_early.is_some() {
            // The doses are shown; the order waits until the response can be judged.
            return CardProposal { detail, ..card };
        }
        let mut actions: Vec<ProposedAction> = assessment
            .facts
            .orders
            .iter()
            .filter(|order| order.medication.is_rituximab() && assessment.is_regimen_order(order))
            .map(|order| delete(order, "refractory to rituximab"))
            .collect();
        let cpm_draft = assessment.regimen_order_of(MedicationClass::Cyclophosphamide);
        let dex_draft = assessment.regimen_order_of(MedicationClass::Dexamethasone);
        actions.push(update_or_create(
            MedicationClass::Cyclophosphamide,
            regimen::cyclophosphamide_dosage(&cpm, config, assessment.remaining_cycles()),
            cpm_draft,
            assessment,
        ));
        actions.push(update_or_create(
            MedicationClass::Dexamethasone,
            regimen::dexamethasone_dosage(&dex, config, assessment.remaining_cycles()),
            dex_draft,
            assessment,
        ));
        card = card
            .suggest(
                ProposedSuggestion::new("Order cyclophosphamide + dexamethasone pulses", actions)
                    .recommended(),
            )
            .selection(SelectionBehavior::AtMostOne);
    } else {
        detail = no_dose_note(detail);
    }
    CardProposal { detail, ..card }
}

/// `specialist-referral`: highly refractory (relapse despite cyclophosphamide after rituximab).
fn specialist_referral(
    assessment: &Assessment<'_>,
    after: Option<&AfterFullCourse>,
) -> CardProposal {
    let summary = "Highly refractory OMS (relapse after rituximab and cyclophosphamide): refer to an OMS specialist centre";
    let mut detail = Detail::new(
        "Refer to an OMS specialist centre. The guideline lists no further option for highly \
         refractory OMS; the literature offers, with this strength of evidence:",
    )
    .also("- IVIG add-on: randomised trial, in neuroblastoma-associated OMS only (de Alarcon 2018)")
    .also("- ACTH-based combinations: case series")
    .also("- intrathecal rituximab: case series")
    .also("- steroid-sparing agents: weak evidence; mycophenolate did not prevent relapse")
    .also("- ofatumumab, bortezomib: only by extrapolation from autoimmune encephalitis")
    .evidence(ROSSOR_2022)
    .evidence(DE_ALARCON_2018)
    .off_label();
    if let Some(after) = after {
        detail = refractory_triggers(detail, assessment, after);
    }
    if assessment.regimen_pulses.len() >= assessment.config.pulse_cycles as usize {
        detail = detail.because_all(
            format!(
                "still in relapse after all {} pulses of the regimen: {}",
                assessment.config.pulse_cycles,
                dose_list(CYCLOPHOSPHAMIDE_PULSES, &assessment.regimen_pulses)
            ),
            &dose_sources(&assessment.regimen_pulses),
        );
    }
    let referral = ServiceOrder {
        code: ServiceCode {
            system: Some(SNOMED),
            code: Some(PATIENT_REFERRAL),
            text: "Referral to an OMS specialist centre",
        },
        note: "Highly refractory relapsed opsoclonus-myoclonus syndrome: relapse after a full \
               rituximab course and cyclophosphamide pulses."
            .to_owned(),
    };
    CardProposal::new(
        Topic::SpecialistReferral,
        Indicator::Warning,
        summary,
        detail,
    )
    .suggest(
        ProposedSuggestion::new(
            "Refer to an OMS specialist centre",
            vec![ProposedAction::Create {
                description: "Create a referral to an OMS specialist centre".to_owned(),
                order: ProposedOrder::Service(referral),
            }],
        )
        .recommended(),
    )
    .selection(SelectionBehavior::AtMostOne)
}

fn refractory_triggers(
    mut detail: Detail,
    assessment: &Assessment<'_>,
    after: &AfterFullCourse,
) -> Detail {
    detail = detail.because_all(
        format!(
            "{}: {}",
            course_label(after),
            dose_list(RITUXIMAB_DOSES, after.course.doses())
        ),
        &dose_sources(after.course.doses()),
    );
    for reason in &after.refractory {
        detail = match reason {
            RefractoryReason::RelapseSoonAfterCourse {
                last_dose,
                window_months,
            } => detail.because(
                format!(
                    "refractory: relapse ({}) within {window_months} months of the last dose ({})",
                    assessment.relapse_date_text(),
                    date_in_words(*last_dose)
                ),
                None,
            ),
            RefractoryReason::RelapseAfterAdditionalDose { dose } => detail.because(
                format!(
                    "refractory: relapse after a single additional dose on {}",
                    date_in_words(dose.date)
                ),
                Some(&dose.source),
            ),
            RefractoryReason::NonResponse { first_dose } => detail.because(
                format!(
                    "refractory, non-response: the relapse recorded on {} came before the course \
                     (first dose {}), and the Condition is still in relapse",
                    assessment.relapse_date_text(),
                    date_in_words(*first_dose)
                ),
                None,
            ),
            RefractoryReason::CyclophosphamideAfterCourse { pulses } => detail.because_all(
                format!(
                    "refractory: cyclophosphamide for OMS after the course: {} ({} of {} cycles)",
                    dose_list(CYCLOPHOSPHAMIDE_PULSES, pulses),
                    pulses.len(),
                    assessment.config.pulse_cycles
                ),
                &dose_sources(pulses),
            ),
        };
    }
    if let Some(pulse) = &after.relapse_despite_cyclophosphamide {
        detail = detail.because(
            format!(
                "highly refractory: relapse after the last cyclophosphamide pulse ({})",
                date_in_words(pulse.date)
            ),
            Some(&pulse.source),
        );
    }
    detail
}

/// One way to give the primary card's rituximab: the button label, the dosage, and whether the
/// service recommends it.
#[derive(Debug, Clone)]
pub struct RituximabOption {
    /// What the clinician accepts, e.g. `Order the rituximab course`.
    pub label: String,
    /// The dosage (dose per administration and how many).
    pub dosage: MedicationDosage,
    /// Whether this is the recommended option (at most one is).
    pub recommended: bool,
}

/// The rituximab orders a rituximab primary card offers: the full course, one additional dose, or
/// (after a partial course) the clinician's choice between completing it and one dose. Empty when
/// the primary is not a rituximab card.
pub fn rituximab_options(assessment: &Assessment<'_>, dose: &ComputedDose) -> Vec<RituximabOption> {
    let config = assessment.config;
    let option = |label: String, count: u32, recommended: bool| RituximabOption {
        label,
        dosage: regimen::rituximab_dosage(dose, count, config),
        recommended,
    };
    match (&assessment.history, assessment.primary) {
        (_, Topic::RituximabFullCourse) => vec![option(
            "Order the rituximab course".to_owned(),
            config.full_course_min_doses,
            true,
        )],
        (_, Topic::RituximabRedose) => {
            vec![option("Order one rituximab dose".to_owned(), 1, true)]
        }
        (RituximabHistory::Partial { uncounted, .. }, Topic::RituximabPartialPrior) => {
            let remaining = remaining_doses(assessment);
            let label = if new_course_after_gap(assessment) {
                format!("Give a new full course ({remaining} weekly doses)")
            } else if uncounted.is_empty() {
                format!("Complete the course ({remaining} weekly doses)")
            } else {
                format!("Give a full course ({remaining} weekly doses)")
            };
            vec![
                option(label, remaining, false),
                option("Give one rituximab dose".to_owned(), 1, false),
            ]
        }
        _ => Vec::new(),
    }
}

/// A rituximab primary card (`Info`): with a computed dose, the working and the order options;
/// without one, the note that no dose can be shown and no order.
fn rituximab_card(
    topic: Topic,
    summary: String,
    detail: Detail,
    dose: Option<ComputedDose>,
    assessment: &Assessment<'_>,
) -> CardProposal {
    let card = CardProposal::new(topic, Indicator::Info, summary, Detail::default());
    // Section 6: one line of safety content on every rituximab card; before re-dosing, one more.
    let mut detail = detail.also(RITUXIMAB_SAFETY);
    if matches!(topic, Topic::RituximabRedose | Topic::RituximabPartialPrior) {
        detail = detail.also(REDOSE_SAFETY);
    }
    // A positive hepatitis B result or a pregnancy has its own warning card; this card names it
    // in one line and pre-selects nothing (`may_preselect_rituximab`).
    let positive = assessment.facts.hepatitis_b.positives_in_words();
    if !positive.is_empty() {
        detail = detail.also(format!(
            "{}: HBV DNA and antiviral prophylaxis first (see the hepatitis B card).",
            positive.join(", ")
        ));
    }
    if let Pregnancy::Pregnant { date, evidence, .. } = &assessment.facts.pregnancy {
        detail = detail.also(format!(
            "Pregnancy on record ({evidence}, {}): see the pregnancy card.",
            date_in_words(*date)
        ));
    }
    let Some(dose) = dose else {
        return CardProposal {
            detail: no_dose_note(detail),
            ..card
        };
    };
    let detail = detail.dose_working(&dose, None);
    let (card, detail) = offer_rituximab(card, detail, assessment, &dose);
    CardProposal { detail, ..card }
}

/// A rituximab reaction or allergy on record makes a rituximab primary a warning that names it:
/// re-challenge is a specialist decision, and nothing is pre-selected.
fn reaction_warning(card: CardProposal, assessment: &Assessment<'_>) -> CardProposal {
    let reactions = &assessment.facts.rituximab_reactions;
    if reactions.is_empty() {
        return card;
    }
    let named: Vec<String> = reactions
        .iter()
        .map(|reaction| {
            let when = reaction
                .date
                .map_or_else(|| "undated".to_owned(), date_in_words);
            let how = match reaction.recorded_as {
                ReactionRecord::RituximabReaction => "recorded as an allergy or intolerance",
                ReactionRecord::StoppedForReaction => "rituximab stopped for it",
            };
            format!("{} ({when}; {how})", reaction.description)
        })
        .collect();
    let detail = card.detail.also(format!(
        "Reaction to rituximab or another anti-CD20 antibody on record: {}. Re-challenge needs \
         specialist input (premedication, slow infusion or desensitisation), or the pulses \
         regimen instead; nothing is pre-selected.",
        named.join("; ")
    ));
    let detail = detail.lead(
        "Only if re-challenge is decided with specialist input (a reaction to rituximab is on \
         record, below):",
    );
    let detail = if matches!(assessment.history, RituximabHistory::Naive) {
        detail.also("The reaction implies rituximab was given before: check the dose history.")
    } else {
        detail
    };
    let first = &reactions[0];
    let when = first
        .date
        .map_or_else(|| "undated".to_owned(), date_in_words);
    let summary = format!(
        "Rituximab reaction on record ({}, {when}): re-challenge only with specialist input",
        first.description
    );
    let summary = if summary.chars().count() < 140 {
        summary
    } else {
        format!("Rituximab reaction on record ({when}): re-challenge only with specialist input")
    };
    CardProposal {
        indicator: Indicator::Warning,
        summary,
        detail,
        ..card
    }
}

/// Adds the rituximab options to a rituximab primary card, unless the fertility card offers them
/// together with removing a cyclophosphamide draft: then the order is offered there only, so that
/// accepting both cards cannot create it twice.
fn offer_rituximab(
    mut card: CardProposal,
    detail: Detail,
    assessment: &Assessment<'_>,
    dose: &ComputedDose,
) -> (CardProposal, Detail) {
    for option in rituximab_options(assessment, dose) {
        let suggestion =
            ProposedSuggestion::new(option.label, rituximab_actions(assessment, option.dosage));
        card = card.suggest(
            if option.recommended && assessment.may_preselect_rituximab() {
                suggestion.recommended()
            } else {
                suggestion
            },
        );
    }
    (card.selection(SelectionBehavior::AtMostOne), detail)
}

/// Puts a rituximab dosage into effect: update an IV rituximab draft in play; replace a
/// subcutaneous one (it is excluded from mg/m2 dosing); otherwise create.
pub fn rituximab_actions(
    assessment: &Assessment<'_>,
    dosage: MedicationDosage,
) -> Vec<ProposedAction> {
    let iv = assessment.regimen_order_of(MedicationClass::Rituximab);
    let mut actions: Vec<ProposedAction> = assessment
        .orders_of(MedicationClass::RituximabSubcutaneous)
        .into_iter()
        .map(|order| {
            delete(
                order,
                "subcutaneous rituximab is not dosed by body surface area",
            )
        })
        .collect();
    actions.push(update_or_create(
        MedicationClass::Rituximab,
        dosage,
        iv,
        assessment,
    ));
    actions
}

/// The dose in parentheses for a card's text, e.g. ` (270 mg per dose)` or ` (1000 mg, capped)`;
/// empty without a computed dose. `qualifier` follows the amount (e.g. ` per dose`).
fn amount_text(dose: Option<&ComputedDose>, qualifier: &str) -> String {
    dose.map(|dose| format!(" ({}{qualifier}{})", dose.dose, dose.cap_suffix()))
        .unwrap_or_default()
}

fn no_dose_note(detail: Detail) -> Detail {
    detail.data_issue(
        "No dose in mg is shown and no order is suggested: the body measurements needed for \
         dosing are missing, stale, implausible or inconsistent (see the missing-body-measurements card).",
        None,
    )
}

#[cfg(test)]
mod tests {
    use crate::card::{ActionKind, Indicator, SelectionBehavior, Topic};
    use crate::fixtures::{self, dosages, evaluate, topics};
    use fhir_mapping::proposal::PeriodUnit;
    use fhir_mapping::{BodySurfaceArea, Measurement, MedicationClass};
    use time::macros::date;

    fn primary(facts: &fhir_mapping::Facts) -> crate::Card {
        let cards = evaluate(facts);
        let primaries: Vec<_> = cards
            .iter()
            .filter(|card| card.is_primary)
            .cloned()
            .collect();
        assert_eq!(primaries.len(), 1, "{:?}", topics(&cards));
        primaries.into_iter().next().unwrap()
    }

    #[test]
    fn a_rituximab_naive_patient_gets_one_weekly_course_of_four_updating_the_selected_draft() {
        let card = primary(&fixtures::facts());
        assert_eq!(card.topic, Topic::RituximabFullCourse);
        assert_eq!(card.indicator, Indicator::Info);
        let action = &card.suggestions[0].actions[0];
        assert_eq!(action.kind(), ActionKind::Update);
        assert_eq!(
            action.target().map(|target| target.as_str()),
            Some("MedicationRequest/draft-1")
        );
        let dosage = action.dosage().unwrap();
        assert_eq!(dosage.dose.value(), fixtures::dec("270"));
        assert_eq!(dosage.schedule.count, 4);
        assert_eq!(dosage.schedule.period_unit, PeriodUnit::Week);
        assert!(
            card.detail.contains("375 mg/m2 x 0.72 m2 = 270 mg"),
            "{}",
            card.detail
        );
    }

    #[test]
    fn a_full_course_long_before_the_relapse_gives_one_additional_dose() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2025 - 01 - 06), 4);
        let card = primary(&facts);
        assert_eq!(card.topic, Topic::RituximabRedose);
        assert_eq!(dosages(&card)[0].schedule.count, 1);
        assert!(card
            .links
            .iter()
            .any(|link| link.url == "https://doi.org/10.1016/j.braindev.2015.09.002"));
    }

    #[test]
    fn a_partial_course_offers_two_alternatives_none_recommended() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2026 - 11 - 02), 2);
        let card = primary(&facts);
        assert_eq!(card.topic, Topic::RituximabPartialPrior);
        assert_eq!(card.selection_behavior, Some(SelectionBehavior::AtMostOne));
        assert_eq!(card.suggestions.len(), 2);
        assert!(card
            .suggestions
            .iter()
            .all(|suggestion| !suggestion.is_recommended));
        let counts: Vec<_> = dosages(&card)
            .iter()
            .map(|dosage| dosage.schedule.count)
            .collect();
        assert_eq!(counts, vec![2, 1]);
    }

    #[test]
    fn a_partial_course_more_than_60_days_ago_offers_a_new_full_course() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2026 - 03 - 02), 2);
        let card = primary(&facts);
        assert_eq!(card.topic, Topic::RituximabPartialPrior);
        let counts: Vec<_> = dosages(&card)
            .iter()
            .map(|dosage| dosage.schedule.count)
            .collect();
        assert_eq!(counts, vec![4, 1]);
        assert!(
            card.summary.contains("a new full course"),
            "{}",
            card.summary
        );
    }

    #[test]
    fn a_relapse_soon_after_a_full_course_gives_cyclophosphamide_and_dexamethasone_in_one_suggestion(
    ) {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2026 - 08 - 17), 4);
        let card = primary(&facts);
        assert_eq!(card.topic, Topic::CyclophosphamideDexamethasonePulses);
        assert_eq!(card.indicator, Indicator::Warning);
        assert_eq!(card.suggestions.len(), 1);
        let kinds: Vec<_> = card.suggestions[0]
            .actions
            .iter()
            .map(|action| action.kind())
            .collect();
        assert_eq!(
            kinds,
            vec![ActionKind::Delete, ActionKind::Create, ActionKind::Create]
        );
        assert_eq!(
            card.suggestions[0].actions[0]
                .target()
                .map(|target| target.as_str()),
            Some("MedicationRequest/draft-1")
        );
        let doses: Vec<_> = dosages(&card)
            .iter()
            .map(|dosage| dosage.dose.value())
            .collect();
        assert_eq!(doses, vec![fixtures::dec("540"), fixtures::dec("7")]);
        let cycles = dosages(&card)[0].schedule;
        assert_eq!((cycles.count, cycles.period), (6, 4));
    }

    #[test]
    fn a_relapse_after_cyclophosphamide_pulses_gives_a_specialist_referral() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2025 - 09 - 01), 4);
        facts.cyclophosphamide = fixtures::on(
            &[date!(2026 - 02 - 02), date!(2026 - 03 - 02)],
            "MedicationAdministration",
        );
        let card = primary(&facts);
        assert_eq!(card.topic, Topic::SpecialistReferral);
        assert_eq!(fixtures::services(&card).len(), 1);
        assert!(card.detail.contains("IVIG"));
    }

    #[test]
    fn a_cyclophosphamide_order_in_play_is_updated_in_place_by_the_pulses_card() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2026 - 08 - 17), 4);
        facts.orders = vec![fixtures::order(
            "draft-9",
            MedicationClass::Cyclophosphamide,
            None,
        )];
        let card = primary(&facts);
        let update = &card.suggestions[0].actions[0];
        assert_eq!(update.kind(), ActionKind::Update);
        assert_eq!(
            update.target().map(|target| target.as_str()),
            Some("MedicationRequest/draft-9")
        );
    }

    #[test]
    fn proposing_rituximab_without_hepatitis_b_screening_says_to_screen_first() {
        let mut facts = fixtures::facts();
        facts.hepatitis_b = Default::default();
        facts.orders = vec![fixtures::order(
            "draft-3",
            MedicationClass::Dexamethasone,
            None,
        )];
        let card = primary(&facts);
        assert!(
            card.detail
                .contains("screen before the first rituximab dose"),
            "{}",
            card.detail
        );
        facts.orders = vec![fixtures::order("draft-1", MedicationClass::Rituximab, None)];
        let cards = evaluate(&facts);
        assert!(!cards[0]
            .detail
            .contains("screen before the first rituximab dose"));
        assert!(topics(&cards).contains(&Topic::HepatitisBScreening));
    }

    #[test]
    fn a_rituximab_dose_at_the_cap_is_called_capped_in_the_summary() {
        let mut facts = fixtures::facts();
        facts.body = fixtures::body(150.0, 200.0, 2.89);
        let card = primary(&facts);
        assert!(
            card.summary.contains("(1000 mg per dose, capped)"),
            "{}",
            card.summary
        );
        assert!(card.detail.contains("capped at 1000 mg: 1000 mg"));
    }

    #[test]
    fn a_cyclophosphamide_pulse_at_or_above_its_mg_cap_says_so() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2026 - 08 - 17), 4);
        // BSA 0.72 m2: 1000 mg/m2 would be 720 mg; a 700 mg local ceiling binds.
        let capped = crate::ClinicalConfig {
            cyclophosphamide_mg_per_m2: rust_decimal::Decimal::from(1000),
            cyclophosphamide_cap_mg: rust_decimal::Decimal::from(700),
            ..crate::ClinicalConfig::default()
        };
        let cards = crate::evaluate(&facts, &capped);
        assert!(
            cards[0].summary.contains("(700 mg, capped)"),
            "{}",
            cards[0].summary
        );
        assert!(
            cards[0].detail.contains("capped at 700 mg: 700 mg"),
            "{}",
            cards[0].detail
        );
        // A configured mg/m2 above the range check is refused at start-up, not capped.
        let out_of_range = crate::ClinicalConfig {
            cyclophosphamide_mg_per_m2: rust_decimal::Decimal::from(1200),
            ..crate::ClinicalConfig::default()
        };
        assert!(out_of_range.validate().is_err());
    }

    #[test]
    fn without_a_usable_bsa_the_primary_card_shows_mg_per_m2_only_and_suggests_nothing() {
        let mut facts = fixtures::facts();
        facts.body.height = Measurement::Missing;
        facts.body.bsa = BodySurfaceArea::Unavailable;
        let card = primary(&facts);
        assert!(card.suggestions.is_empty());
        assert!(card.summary.contains("375 mg/m2"));
        assert!(!fixtures::mentions_mg_amount(&card.summary));
        assert!(
            !fixtures::mentions_mg_amount(&card.detail),
            "{}",
            card.detail
        );
    }
}

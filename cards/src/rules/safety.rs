//! Safety cards (section 4, additional cards):
//! - `hepatitis-b-screening`: rituximab ordered without HBsAg and anti-HBc on record (rituximab
//!   label, boxed warning).
//! - `dose-check`: an ordered dose more than the configured tolerance away from the computed dose.
//! - `missing-body-measurements`: a dose is needed but weight or height is unusable.
//! - `adult-patient`: the evidence is paediatric.

use fhir_mapping::{MedicationClass, OrderInPlay, Route};
use rust_decimal::Decimal;

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::{deviation_percent, measurement_problem, show, ComputedDose};
use crate::evidence::{
    ARMANGUE_2016, PRANZATELLI_2006, RITUXIMAB_LABEL, ROSTASY_2006, WILKEN_2008,
};
use crate::markdown::Detail;
use crate::proposal::{
    AdministrationRoute, CardProposal, MedicationDosage, ProposedAction, ProposedOrder,
    ProposedSuggestion, ServiceCode, ServiceOrder,
};
use crate::regimen;
use crate::rules::relapsed_oms;
use fhir_mapping::proposal::LOINC;

/// Adds the safety cards that apply.
pub fn apply(cards: &mut Vec<CardProposal>, assessment: &Assessment<'_>) {
    if let Some(card) = hepatitis_b_screening(assessment) {
        cards.push(card);
    }
    if let Some(card) = dose_check(assessment) {
        cards.push(card);
    }
    if assessment.measurements_unusable() {
        cards.push(missing_body_measurements(assessment));
    }
    if assessment.is_adult() {
        cards.push(adult_patient(assessment));
    }
}

const HBSAG: ServiceCode = ServiceCode {
    system: Some(LOINC),
    code: Some("5196-1"),
    text: "Hepatitis B virus surface Ag [Presence] in Serum or Plasma by Immunoassay",
};

const ANTI_HBC: ServiceCode = ServiceCode {
    system: Some(LOINC),
    code: Some("13952-7"),
    text: "Hepatitis B virus core Ab [Presence] in Serum or Plasma by Immunoassay",
};

fn hepatitis_b_screening(assessment: &Assessment<'_>) -> Option<CardProposal> {
    let rituximab_orders: Vec<&OrderInPlay> = assessment
        .facts
        .orders
        .iter()
        .filter(|order| order.medication.is_rituximab())
        .collect();
    let screening = &assessment.facts.hepatitis_b;
    // Missing within the look-back, or unreadable (equivocal, discordant): test (again).
    let needs_test = |result: &Option<fhir_mapping::LabResult>| {
        result
            .as_ref()
            .is_none_or(|result| result.status == fhir_mapping::ResultStatus::Unreadable)
    };
    let mut missing = Vec::new();
    if needs_test(&screening.hbsag) {
        missing.push(HBSAG);
    }
    if needs_test(&screening.anti_hbc) {
        missing.push(ANTI_HBC);
    }
    if rituximab_orders.is_empty() || missing.is_empty() {
        return None;
    }
    let names: Vec<&str> = missing
        .iter()
        .map(|code| {
            if code.code == HBSAG.code {
                "HBsAg"
            } else {
                "anti-HBc"
            }
        })
        .collect();
    let mut detail = Detail::new(
        "Screen for hepatitis B (HBsAg and anti-HBc) before anti-CD20 therapy: rituximab can \
         reactivate hepatitis B, sometimes fatally (boxed warning).",
    )
    .evidence(RITUXIMAB_LABEL);
    for order in &rituximab_orders {
        detail = detail.because("rituximab order in play", Some(&order.reference));
    }
    detail = detail.because(
        format!(
            "missing within the look-back, or unreadable: {}",
            names.join(", ")
        ),
        None,
    );
    for result in screening.hbsag.iter().chain(screening.anti_hbc.iter()) {
        detail = detail.because(
            format!(
                "on record: result of {}",
                fhir_mapping::date_in_words(result.date)
            ),
            Some(&result.source),
        );
    }
    let actions = missing
        .into_iter()
        .map(|code| ProposedAction::Create {
            description: format!("Create an order for {}", code.text),
            order: ProposedOrder::Service(ServiceOrder {
                code,
                note: "Hepatitis B screening before rituximab (boxed warning).".to_owned(),
            }),
        })
        .collect();
    Some(
        CardProposal::new(
            Topic::HepatitisBScreening,
            Indicator::Warning,
            format!(
                "Hepatitis B screening missing or unreadable ({}): test before rituximab",
                names.join(", ")
            ),
            detail,
        )
        .suggest(ProposedSuggestion::new(
            "Order hepatitis B screening",
            actions,
        ))
        .selection(SelectionBehavior::Any),
    )
}

/// An order whose amount per administration day is above the computed one (beyond the
/// tolerance), below the literature range, or above a cap.
struct Finding<'a> {
    order: &'a OrderInPlay,
    /// The drug's cap in words ("1000 mg per dose").
    cap: String,
    /// The finding in clinical words.
    line: String,
    /// The regimen's dose when the order is the regimen's and may be corrected to it.
    correct_to: Option<ComputedDose>,
    /// Another card corrects the order (this card names it and shows no working).
    corrected_elsewhere: bool,
}

fn dose_check(assessment: &Assessment<'_>) -> Option<CardProposal> {
    let findings: Vec<Finding<'_>> = assessment
        .facts
        .orders
        .iter()
        .filter_map(|order| check_order(order, assessment))
        .collect();
    if findings.is_empty() {
        return None;
    }
    let summary = match findings.as_slice() {
        [only] => format!("Dose check: {}", only.line),
        _ => {
            let drugs: Vec<&str> = findings
                .iter()
                .map(|finding| finding.order.medication.name())
                .collect();
            format!(
                "Dose check: {} ordered outside the computed dose or a cap",
                drugs.join(", ")
            )
        }
    };
    let mut detail = Detail::new("Check the ordered amount per administration day.")
        // The computed dose's evidence is cited on the card that proposes it.
        .off_label();
    let mut card = CardProposal::new(
        Topic::DoseCheck,
        Indicator::Warning,
        summary,
        Detail::default(),
    );
    for finding in &findings {
        detail = detail.because(finding.line.clone(), Some(&finding.order.reference));
        let Some(computed) = finding
            .correct_to
            .as_ref()
            .filter(|_| !finding.corrected_elsewhere)
        else {
            // A cap report: the ordered amount and the configured cap, no computed dose
            // (precision rule 4).
            detail = detail.working([format!(
                "{}: {} (configured cap)",
                finding.order.medication.name(),
                finding.cap
            )]);
            continue;
        };
        detail = detail.dose_working(computed, Some(finding.order.medication.name()));
        // The computed dose rests on its regimen's evidence.
        detail = match finding.order.medication {
            MedicationClass::Rituximab => detail.evidence(PRANZATELLI_2006),
            MedicationClass::Cyclophosphamide => detail.evidence(WILKEN_2008),
            MedicationClass::Dexamethasone => detail.evidence(ROSTASY_2006),
            _ => detail,
        };
        if let Some((drug, dosage)) = corrected_dosage(finding.order, computed, assessment) {
            let times = match dosage.schedule.frequency {
                1 => String::new(),
                2 => " twice daily".to_owned(),
                n => format!(" {n} times daily"),
            };
            card = card.suggest(ProposedSuggestion::new(
                format!("Set {} to {}{times}", drug.name(), computed.dose),
                vec![ProposedAction::Update {
                    description: format!(
                        "Update the {} draft order to: {}",
                        drug.name(),
                        dosage.text
                    ),
                    target: finding.order.reference.clone(),
                    drug,
                    dosage,
                }],
            ));
        }
    }
    Some(CardProposal {
        detail,
        ..card.selection(SelectionBehavior::Any)
    })
}

/// Section 5 and precision rules 2-5: the regimen's order is compared with the computed amount
/// per administration day (and the literature range); any order of the drug by its regimen
/// route is checked against the cap; another use, or an order a card deletes, gets at most a cap
/// report and never a correction.
fn check_order<'a>(order: &'a OrderInPlay, assessment: &Assessment<'_>) -> Option<Finding<'a>> {
    let config = assessment.config;
    let drug = order.medication;
    let (cap_per_day, cap_text) = match drug {
        MedicationClass::Rituximab => (config.rituximab_cap_mg, "mg per dose"),
        MedicationClass::Cyclophosphamide => (
            config.cyclophosphamide_cap_mg,
            "mg per pulse (local policy)",
        ),
        MedicationClass::Dexamethasone => (config.dexamethasone_cap_mg_per_day, "mg/day"),
        MedicationClass::Methylprednisolone => (config.methylprednisolone_cap_mg, "mg/day"),
        // Fixed-dose subcutaneous rituximab and the other drugs are not dose-checked.
        _ => return None,
    };
    let ordered = assessment.ordered_amount(order)?;
    let cap_route = match drug {
        MedicationClass::Dexamethasone => {
            matches!(
                order.route,
                None | Some(Route::Intravenous) | Some(Route::Oral)
            )
        }
        _ => matches!(order.route, None | Some(Route::Intravenous)),
    };
    let over_cap = cap_route && ordered.per_day > cap_per_day;
    let cap_line = || {
        format!(
            "{} {}, above the {} {cap_text} cap",
            drug.name(),
            ordered.description,
            show(cap_per_day)
        )
    };
    // While pregnant no card corrects a cyclophosphamide or dexamethasone order into a one-click
    // dose: only a cap breach is reported (the pregnancy card says why).
    let pregnant_pulse_drug = assessment.is_pregnant()
        && matches!(
            drug,
            MedicationClass::Cyclophosphamide | MedicationClass::Dexamethasone
        );
    let regimen = assessment.is_regimen_order(order)
        && !assessment.deleted_by_a_card(order)
        && !pregnant_pulse_drug;
    let computed_day = assessment.regimen_daily_mg(drug);
    let (true, Some(computed_day)) = (regimen, computed_day) else {
        // Another use of a steroid above the pulse regimen's own daily dose for this child (an
        // adult cap alone would let 52 mg/m2/day of dexamethasone pass): reported, not changed.
        let steroid = matches!(
            drug,
            MedicationClass::Dexamethasone | MedicationClass::Methylprednisolone
        );
        let above_pulse = steroid
            && !regimen
            && computed_day.is_some_and(|pulse| {
                ordered.per_day * Decimal::from(100)
                    > pulse * (Decimal::from(100) + config.dose_check_tolerance_percent)
            });
        if above_pulse && !over_cap {
            let pulse = computed_day.unwrap_or_default();
            return Some(Finding {
                order,
                cap: format!("{} {cap_text}", show(cap_per_day)),
                line: format!(
                    "{} {}, above the pulse dose for this patient ({} mg/day); another use of \
                     the drug, not changed here",
                    drug.name(),
                    ordered.description,
                    show(pulse)
                ),
                correct_to: None,
                corrected_elsewhere: false,
            });
        }
        return over_cap.then(|| Finding {
            order,
            cap: format!("{} {cap_text}", show(cap_per_day)),
            line: cap_line(),
            correct_to: None,
            corrected_elsewhere: false,
        });
    };
    let tolerance = config.dose_check_tolerance_percent;
    let above =
        ordered.per_day * Decimal::from(100) > computed_day * (Decimal::from(100) + tolerance);
    let minimum = literature_minimum(assessment, drug);
    let below = minimum.is_some_and(|min| ordered.per_day < min);
    if !(above || below || over_cap) {
        return None;
    }
    let per_day = matches!(
        drug,
        MedicationClass::Dexamethasone | MedicationClass::Methylprednisolone
    );
    let unit = if per_day { "mg/day" } else { "mg" };
    let line = if over_cap {
        cap_line()
    } else if below {
        format!(
            "{} {}, below the literature range (computed {} {unit})",
            drug.name(),
            ordered.description,
            show(computed_day.round_dp(1))
        )
    } else {
        let deviation = deviation_percent(ordered.per_day, computed_day).unwrap_or_default();
        format!(
            "{} {}, computed {} {unit}: {}% higher (tolerance {}%)",
            drug.name(),
            ordered.description,
            show(computed_day.round_dp(1)),
            show(deviation.round_dp(0)),
            show(tolerance)
        )
    };
    // One action per order (precision rule 5): when the card that proposes this drug updates
    // its order, that card shows the dose and its working, and this card only points to it.
    if let Some(card) = corrected_by(assessment, drug) {
        let deviation = deviation_percent(ordered.per_day, computed_day).unwrap_or_default();
        let how = if over_cap {
            format!("above the {} {cap_text} cap", show(cap_per_day))
        } else if below {
            "below the literature range".to_owned()
        } else {
            format!(
                "{}% above the computed dose (tolerance {}%)",
                show(deviation.round_dp(0)),
                show(tolerance)
            )
        };
        return Some(Finding {
            order,
            cap: format!("{} {cap_text}", show(cap_per_day)),
            line: format!(
                "{} {}: {how}; the {card} card corrects this order",
                drug.name(),
                ordered.description
            ),
            correct_to: None,
            corrected_elsewhere: true,
        });
    }
    let correct_to = match drug {
        MedicationClass::Rituximab => regimen::rituximab_dose(assessment),
        MedicationClass::Cyclophosphamide => regimen::cyclophosphamide_dose(assessment),
        MedicationClass::Dexamethasone => regimen::dexamethasone_dose(assessment),
        _ => regimen::methylprednisolone_dose(assessment),
    };
    Some(Finding {
        order,
        cap: format!("{} {cap_text}", show(cap_per_day)),
        line,
        correct_to,
        corrected_elsewhere: false,
    })
}

/// The card that updates the regimen's order of `drug` with its own dose, if one does.
fn corrected_by(assessment: &Assessment<'_>, drug: MedicationClass) -> Option<&'static str> {
    match drug {
        MedicationClass::Rituximab
            if assessment.primary_is_rituximab() && assessment.has_usable_bsa() =>
        {
            Some("primary")
        }
        MedicationClass::Cyclophosphamide | MedicationClass::Dexamethasone
            if assessment.pulses_card_suggests() =>
        {
            Some("primary")
        }
        MedicationClass::Methylprednisolone
            if assessment.iv_methylprednisolone_applies()
                && regimen::methylprednisolone_dose(assessment).is_some() =>
        {
            Some("IV methylprednisolone")
        }
        _ => None,
    }
}

/// The lower end of the literature range per administration day, in mg (rituximab 300 mg/m2,
/// cyclophosphamide 500 mg/m2, dexamethasone 10 mg/m2/day, methylprednisolone 10 mg/kg/day).
fn literature_minimum(assessment: &Assessment<'_>, drug: MedicationClass) -> Option<Decimal> {
    let config = assessment.config;
    let dosing = assessment.dosing.as_ref()?;
    Some(match drug {
        MedicationClass::Rituximab => config.rituximab_min_mg_per_m2 * dosing.bsa()?.amount(),
        MedicationClass::Cyclophosphamide => {
            config.cyclophosphamide_min_mg_per_m2 * dosing.bsa()?.amount()
        }
        MedicationClass::Dexamethasone => {
            config.dexamethasone_min_mg_per_m2_per_day * dosing.bsa()?.amount()
        }
        MedicationClass::Methylprednisolone => {
            config.methylprednisolone_min_mg_per_kg * dosing.weight()?.amount()
        }
        _ => return None,
    })
}

fn corrected_dosage(
    order: &OrderInPlay,
    computed: &ComputedDose,
    assessment: &Assessment<'_>,
) -> Option<(MedicationClass, MedicationDosage)> {
    let config = assessment.config;
    match order.medication {
        MedicationClass::Rituximab => {
            let count = match assessment.primary {
                Topic::RituximabFullCourse => config.full_course_min_doses,
                _ => 1,
            };
            Some((
                MedicationClass::Rituximab,
                regimen::rituximab_dosage(computed, count, config),
            ))
        }
        MedicationClass::Cyclophosphamide => Some((
            MedicationClass::Cyclophosphamide,
            regimen::cyclophosphamide_dosage(computed, config, assessment.remaining_cycles()),
        )),
        // Within the cyclophosphamide regimen the dexamethasone is part of its cycles; outside
        // it, a pulse on the route the clinician ordered (an oral draft is never turned IV).
        MedicationClass::Dexamethasone
            if assessment.primary == Topic::CyclophosphamideDexamethasonePulses =>
        {
            Some((
                MedicationClass::Dexamethasone,
                regimen::dexamethasone_dosage(computed, config, assessment.remaining_cycles()),
            ))
        }
        MedicationClass::Dexamethasone => {
            let route = match order.route {
                Some(Route::Oral) => AdministrationRoute::Oral,
                _ => AdministrationRoute::Intravenous,
            };
            Some((
                MedicationClass::Dexamethasone,
                regimen::dexamethasone_pulse_dosage(computed, config, route),
            ))
        }
        MedicationClass::Methylprednisolone => Some((
            MedicationClass::Methylprednisolone,
            regimen::methylprednisolone_dosage(computed, config),
        )),
        _ => None,
    }
}

fn missing_body_measurements(assessment: &Assessment<'_>) -> CardProposal {
    let body = &assessment.facts.body;
    let mut problems = Vec::new();
    if let Some(problem) = measurement_problem("weight", &body.weight, |kg| kg.value(), "kg") {
        problems.push(problem);
    }
    if let Some(problem) = measurement_problem("height", &body.height, |cm| cm.value(), "cm") {
        problems.push(problem);
    }
    let weight_faulty = body.weight.usable().is_none();
    let height_faulty = body.height.usable().is_none();
    if problems.is_empty() {
        problems.push("no body surface area usable for dosing could be obtained".to_owned());
    }
    // Only the value at fault is asked for.
    let record = match (weight_faulty, height_faulty) {
        (true, false) => "Record a current weight",
        (false, true) => "Record a current height",
        _ => "Record a current weight and height",
    };
    let mut detail = relapsed_oms(
        Detail::new(format!(
        "{record}. Until then no dose in mg is shown on any card: the cards give doses per m2 or \
         per kg only, and no medication order is suggested."
    )),
        assessment,
    );
    for problem in &problems {
        detail = detail.because(problem.clone(), None);
    }
    for issue in assessment.facts.issues.iter().filter(|issue| {
        matches!(
            issue.kind,
            fhir_mapping::DataIssueKind::MissingMeasurement
                | fhir_mapping::DataIssueKind::StaleMeasurement
                | fhir_mapping::DataIssueKind::ImplausibleMeasurement
                | fhir_mapping::DataIssueKind::UnknownUnit
                | fhir_mapping::DataIssueKind::InconsistentMeasurement
                | fhir_mapping::DataIssueKind::FutureDated
        )
    }) {
        // A stale, implausible, inconsistent, future-dated or missing value is already said
        // above, in clinical words (its record is kept); a unit problem is said here.
        detail = if issue.kind == fhir_mapping::DataIssueKind::UnknownUnit {
            detail.data_issue(issue.message.clone(), issue.source.as_ref())
        } else {
            detail.cite_records(issue.source.as_ref())
        };
    }
    let summary = format!("No dose in mg: {}", problems.join("; "));
    let summary = if summary.chars().count() < 140 {
        summary
    } else {
        "No dose in mg: weight or height is missing, stale, implausible or inconsistent; record current values"
            .to_owned()
    };
    CardProposal::new(
        Topic::MissingBodyMeasurements,
        Indicator::Warning,
        summary,
        detail,
    )
}

fn adult_patient(assessment: &Assessment<'_>) -> CardProposal {
    let config = assessment.config;
    let mut detail = Detail::new(
        "The evidence is paediatric. Adult OMS differs: paraneoplastic in up to 39% of the largest \
         adult series (lung or breast cancer, ovarian teratoma), otherwise often \
         post-infectious. Seek specialist input.",
    )
    .evidence(ARMANGUE_2016);
    // The caps are mg amounts: shown (as working) only when mg amounts may be shown at all.
    detail = if assessment.measurements_unusable() {
        detail.also("Doses are capped at the adult maximum; the caps are shown once usable body measurements are recorded.")
    } else {
        detail
            .also("Doses are capped at the adult maximum (see the working).")
            .working([format!(
                "configured caps: rituximab {} mg per dose; methylprednisolone {} mg/day; \
                 cyclophosphamide {} mg per pulse (local policy); dexamethasone {} mg/day",
                show(config.rituximab_cap_mg),
                show(config.methylprednisolone_cap_mg),
                show(config.cyclophosphamide_cap_mg),
                show(config.dexamethasone_cap_mg_per_day)
            )])
    };
    if let Some(age) = assessment.facts.patient.age {
        detail = detail.because(
            format!(
                "age {} years ({} or over)",
                age.years, config.adult_age_years
            ),
            Some(&assessment.facts.patient.reference),
        );
    }
    CardProposal::new(
        Topic::AdultPatient,
        Indicator::Info,
        "Adult patient: the evidence is paediatric; adult OMS differs, seek specialist input",
        detail,
    )
}

#[cfg(test)]
mod tests {
    use crate::card::{ActionKind, Topic};
    use crate::fixtures::{self, any_mg_amount, evaluate, find};
    use fhir_mapping::{
        Age, BodySurfaceArea, DoseAmount, FhirRef, Kilograms, Measured, Measurement,
        MedicationClass,
    };
    use time::macros::date;

    #[test]
    fn rituximab_without_hepatitis_b_screening_gets_both_tests_ordered() {
        let mut facts = fixtures::facts();
        facts.hepatitis_b = Default::default();
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::HepatitisBScreening).unwrap();
        let codes: Vec<_> = fixtures::services(card)
            .iter()
            .map(|service| service.code.code.unwrap_or_default())
            .collect();
        assert_eq!(codes, vec!["5196-1", "13952-7"]);
        assert!(!card.override_reasons.is_empty());
    }

    #[test]
    fn a_missing_anti_hbc_alone_is_ordered_alone() {
        let mut facts = fixtures::facts();
        facts.hepatitis_b.anti_hbc = None;
        let cards = evaluate(&facts);
        assert_eq!(
            fixtures::services(find(&cards, Topic::HepatitisBScreening).unwrap()).len(),
            1
        );
    }

    #[test]
    fn complete_screening_or_no_rituximab_order_means_no_hepatitis_card() {
        assert!(find(&evaluate(&fixtures::facts()), Topic::HepatitisBScreening).is_none());
        let mut facts = fixtures::facts();
        facts.hepatitis_b = Default::default();
        facts.orders = vec![fixtures::order("d", MedicationClass::Dexamethasone, None)];
        assert!(find(&evaluate(&facts), Topic::HepatitisBScreening).is_none());
    }

    #[test]
    fn an_order_far_from_the_computed_dose_is_corrected_once_keeping_the_id() {
        let mut facts = fixtures::facts();
        // A rituximab-naive child's rituximab draft: dose-check reports it, the primary card
        // corrects it (one action per order).
        facts.orders = vec![fixtures::order(
            "draft-7",
            MedicationClass::Rituximab,
            Some(DoseAmount::Milligrams(fixtures::dec("500"))),
        )];
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::DoseCheck).unwrap();
        assert!(
            card.detail
                .contains("rituximab 500 mg: 85% above the computed dose (tolerance 10%); the primary card corrects this order"),
            "{}",
            card.detail
        );
        assert!(card.suggestions.is_empty());
        let primary = find(&cards, Topic::RituximabFullCourse).unwrap();
        let action = &primary.suggestions[0].actions[0];
        assert_eq!(action.kind(), ActionKind::Update);
        assert_eq!(
            action.target().map(|target| target.as_str()),
            Some("MedicationRequest/draft-7")
        );
        assert_eq!(action.dosage().unwrap().dose.value(), fixtures::dec("270"));
    }

    #[test]
    fn an_order_within_the_tolerance_gets_no_dose_check() {
        let mut facts = fixtures::facts();
        facts.orders = vec![fixtures::order(
            "d",
            MedicationClass::Rituximab,
            Some(DoseAmount::Milligrams(fixtures::dec("290"))),
        )];
        assert!(find(&evaluate(&facts), Topic::DoseCheck).is_none());
        facts.orders = vec![fixtures::order(
            "d",
            MedicationClass::Rituximab,
            Some(DoseAmount::MilligramsPerSquareMetre(fixtures::dec("375"))),
        )];
        assert!(find(&evaluate(&facts), Topic::DoseCheck).is_none());
    }

    #[test]
    fn a_dexamethasone_order_is_judged_per_administration_day_within_the_pulses() {
        let mut facts = fixtures::facts();
        // Refractory: the pulses card's dexamethasone is 20 mg/m2/day x 0.72 m2 = 14.4 mg/day.
        facts.rituximab = fixtures::weekly(date!(2026 - 08 - 17), 4);
        let mut twice_daily = fixtures::order(
            "d",
            MedicationClass::Dexamethasone,
            Some(DoseAmount::Milligrams(fixtures::dec("7"))),
        );
        twice_daily.timing = Some(fhir_mapping::OrderTiming {
            frequency: 2,
            period_days: Some(fixtures::dec("1")),
            count: Some(6),
            single_administration: false,
        });
        facts.orders = vec![twice_daily.clone()];
        assert!(find(&evaluate(&facts), Topic::DoseCheck).is_none());
        // The same dose four times a day is 28 mg/day: double.
        twice_daily.timing = Some(fhir_mapping::OrderTiming {
            frequency: 4,
            ..twice_daily.timing.unwrap()
        });
        facts.orders = vec![twice_daily];
        let cards = evaluate(&facts);
        let check = find(&cards, Topic::DoseCheck).unwrap();
        assert!(check.detail.contains("28 mg/day"), "{}", check.detail);
    }

    #[test]
    fn a_dexamethasone_order_outside_the_pulses_is_another_use_with_only_its_cap_checked() {
        let mut facts = fixtures::facts();
        let mut order = fixtures::order(
            "dex-oral",
            MedicationClass::Dexamethasone,
            Some(DoseAmount::Milligrams(fixtures::dec("30"))),
        );
        order.route = Some(fhir_mapping::Route::Oral);
        facts.orders = vec![order.clone()];
        // 30 mg/day is under the 40 mg/day cap but double this child's pulse (14 mg/day):
        // reported, never re-dosed.
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::DoseCheck).unwrap();
        assert!(card.suggestions.is_empty());
        assert!(
            card.detail.contains("above the pulse dose"),
            "{}",
            card.detail
        );
        order.dose = Some(DoseAmount::Milligrams(fixtures::dec("10")));
        facts.orders = vec![order.clone()];
        assert!(find(&evaluate(&facts), Topic::DoseCheck).is_none());
        order.dose = Some(DoseAmount::Milligrams(fixtures::dec("50")));
        facts.orders = vec![order];
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::DoseCheck).unwrap();
        assert!(card.suggestions.is_empty());
        assert!(
            card.detail.contains("above the 40 mg/day cap"),
            "{}",
            card.detail
        );
    }

    #[test]
    fn a_stale_weight_withholds_every_mg_amount_and_says_why_with_its_date() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2025 - 01 - 06), 4);
        facts.orders = vec![fixtures::order(
            "d",
            MedicationClass::Rituximab,
            Some(DoseAmount::Milligrams(fixtures::dec("500"))),
        )];
        facts.body.weight = Measurement::Stale {
            measured: Measured {
                value: Kilograms::parse("19").unwrap(),
                date: date!(2026 - 09 - 01),
            },
            source: FhirRef::new("Observation", "old-weight"),
            max_age_days: 30,
        };
        facts.body.bsa = BodySurfaceArea::Unavailable;
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::MissingBodyMeasurements).unwrap();
        assert!(
            card.detail
                .contains("19 kg on 1 Sep 2026) is older than 30 days"),
            "{}",
            card.detail
        );
        assert!(find(&cards, Topic::DoseCheck).is_none());
        assert!(!any_mg_amount(&cards));
    }

    #[test]
    fn an_adult_gets_the_adult_card_with_the_caps() {
        let mut facts = fixtures::facts();
        facts.patient.age = Some(Age {
            years: 18,
            months: 0,
        });
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::AdultPatient).unwrap();
        assert!(card
            .detail
            .contains("configured caps: rituximab 1000 mg per dose"));
        facts.patient.age = Some(Age {
            years: 17,
            months: 11,
        });
        assert!(find(&evaluate(&facts), Topic::AdultPatient).is_none());
    }
}

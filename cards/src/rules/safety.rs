//! Safety cards (section 4, additional cards):
//! - `hepatitis-b-screening`: rituximab ordered without HBsAg and anti-HBc on record (rituximab
//!   label, boxed warning).
//! - `dose-check`: an ordered dose more than the configured tolerance away from the computed dose.
//! - `missing-body-measurements`: a dose is needed but weight or height is unusable.
//! - `adult-patient`: the evidence is paediatric.

use fhir_mapping::{DoseAmount, MedicationClass, OrderInPlay, Route};
use rust_decimal::Decimal;

use crate::assessment::{is_bsa_dosed, Assessment};
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::{deviation_percent, measurement_problem, show, ComputedDose};
use crate::evidence::{RITUXIMAB_LABEL, ROSSOR_2022};
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
    if rituximab_orders.is_empty() || screening.is_complete() {
        return None;
    }
    let mut missing = Vec::new();
    if screening.hbsag.is_none() {
        missing.push(HBSAG);
    }
    if screening.anti_hbc.is_none() {
        missing.push(ANTI_HBC);
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
        detail = detail.because("rituximab ordered", Some(&order.reference));
    }
    detail = detail.because(
        format!("not on record within the look-back: {}", names.join(", ")),
        None,
    );
    for result in screening.hbsag.iter().chain(screening.anti_hbc.iter()) {
        detail = detail.because(
            format!("on record: result of {}", result.date),
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
                "No hepatitis B screening on record ({}): test before rituximab",
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

/// An order whose dose is outside the tolerance.
struct Mismatch<'a> {
    order: &'a OrderInPlay,
    line: String,
    computed: Option<ComputedDose>,
}

fn dose_check(assessment: &Assessment<'_>) -> Option<CardProposal> {
    let mismatches: Vec<Mismatch<'_>> = assessment
        .facts
        .orders
        .iter()
        .filter_map(|order| check_order(order, assessment))
        .collect();
    if mismatches.is_empty() {
        return None;
    }
    let tolerance = show(assessment.config.dose_check_tolerance_percent);
    let mut detail = Detail::new(format!(
        "Ordered dose over {tolerance}% from the computed dose: check it against the working."
    ))
    // The computed dose's basis is the regimen's evidence, cited on the card that proposes it.
    .off_label();
    let mut card = CardProposal::new(
        Topic::DoseCheck,
        Indicator::Warning,
        format!("Ordered dose differs from the computed dose by more than {tolerance}%"),
        Detail::default(),
    );
    for mismatch in &mismatches {
        detail = detail.because(mismatch.line.clone(), Some(&mismatch.order.reference));
        let Some(computed) = &mismatch.computed else {
            continue;
        };
        detail = detail.dose_working(computed, Some(mismatch.order.medication.name()));
        if let Some((drug, dosage)) = corrected_dosage(mismatch.order, computed, assessment) {
            card = card.suggest(ProposedSuggestion::new(
                format!("Set {} to {}", drug.name(), computed.dose),
                vec![ProposedAction::Update {
                    description: format!(
                        "Update the {} draft order to: {}",
                        drug.name(),
                        dosage.text
                    ),
                    target: mismatch.order.reference.clone(),
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

fn check_order<'a>(order: &'a OrderInPlay, assessment: &Assessment<'_>) -> Option<Mismatch<'a>> {
    let config = assessment.config;
    let tolerance = config.dose_check_tolerance_percent;
    let computed = match order.medication {
        MedicationClass::Rituximab => regimen::rituximab_dose(assessment),
        MedicationClass::Cyclophosphamide => regimen::cyclophosphamide_dose(assessment),
        MedicationClass::Dexamethasone => regimen::dexamethasone_dose(assessment),
        MedicationClass::Methylprednisolone => regimen::methylprednisolone_dose(assessment),
        _ => return None,
    };
    let (ordered, ordered_unit, accepted): (Decimal, &str, Vec<Decimal>) = match order.dose? {
        DoseAmount::Milligrams(mg) => {
            let computed = computed.as_ref()?;
            let per_dose = computed.dose.value();
            // A dexamethasone order may state the daily total instead of one divided dose.
            let daily = per_dose * Decimal::from(computed.rule.divided_into.max(1));
            (mg, "mg", vec![per_dose, daily])
        }
        DoseAmount::MilligramsPerSquareMetre(per_m2) if is_bsa_dosed(order) => {
            let rule = match order.medication {
                MedicationClass::Rituximab => regimen::rituximab_rule(config),
                MedicationClass::Cyclophosphamide => regimen::cyclophosphamide_rule(config),
                _ => regimen::dexamethasone_rule(config),
            };
            let per_dose = rule.per_unit / Decimal::from(rule.divided_into.max(1));
            (per_m2, "mg/m2", vec![per_dose, rule.per_unit])
        }
        DoseAmount::MilligramsPerKilogram(per_kg)
            if order.medication == MedicationClass::Methylprednisolone =>
        {
            (per_kg, "mg/kg", vec![config.methylprednisolone_mg_per_kg])
        }
        _ => return None,
    };
    let within = accepted.iter().any(|expected| {
        deviation_percent(ordered, *expected).is_some_and(|deviation| deviation <= tolerance)
    });
    if within {
        return None;
    }
    let expected = *accepted.first()?;
    let deviation = deviation_percent(ordered, expected)?;
    let direction = if ordered > expected {
        "higher"
    } else {
        "lower"
    };
    let line = format!(
        "ordered {} {ordered_unit}, computed {} {ordered_unit}: {}% {direction} (tolerance {}%)",
        show(ordered),
        show(expected),
        show(deviation),
        show(tolerance)
    );
    // A per-m2 or per-kg order gets a corrected mg dose only when a body size may be used.
    Some(Mismatch {
        order,
        line,
        computed,
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
            regimen::cyclophosphamide_dosage(computed, config),
        )),
        // Within the cyclophosphamide regimen the dexamethasone is part of its cycles; outside
        // it, a pulse on the route the clinician ordered (an oral draft is never turned IV).
        MedicationClass::Dexamethasone
            if assessment.primary == Topic::CyclophosphamideDexamethasonePulses =>
        {
            Some((
                MedicationClass::Dexamethasone,
                regimen::dexamethasone_dosage(computed, config),
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
    if problems.is_empty() {
        problems.push("no body surface area usable for dosing could be obtained".to_owned());
    }
    let mut detail = relapsed_oms(Detail::new(
        "Record a current weight and height. Until then no dose in mg is shown on any card: the \
         cards give doses per m2 or per kg only, and no medication order is suggested.",
    ), assessment);
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
        "The evidence is paediatric. Adult OMS differs (more often paraneoplastic: lung or breast \
         cancer, ovarian teratoma; or post-infectious): seek specialist input and consider a \
         tumour work-up.",
    )
    .evidence(ROSSOR_2022);
    // The caps are mg amounts: shown (as working) only when mg amounts may be shown at all.
    detail = if assessment.measurements_unusable() {
        detail.also("Doses are capped at the adult maximum; the caps are shown once usable body measurements are recorded.")
    } else {
        detail
            .also("Doses are capped at the adult maximum (see the working).")
            .working([format!(
                "configured caps: rituximab {} mg per dose; methylprednisolone {} mg/day; \
                 cyclophosphamide {} mg/m2 per pulse",
                show(config.rituximab_cap_mg),
                show(config.methylprednisolone_cap_mg),
                show(config.cyclophosphamide_cap_mg_per_m2)
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
    use fhir_mapping::proposal::AdministrationRoute;
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
    fn an_order_far_from_the_computed_dose_gets_an_update_keeping_the_id() {
        let mut facts = fixtures::facts();
        facts.orders = vec![fixtures::order(
            "draft-7",
            MedicationClass::Rituximab,
            Some(DoseAmount::Milligrams(fixtures::dec("500"))),
        )];
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::DoseCheck).unwrap();
        assert!(
            card.detail
                .contains("ordered 500 mg, computed 270 mg: 85.2% higher"),
            "{}",
            card.detail
        );
        let action = &card.suggestions[0].actions[0];
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
    fn a_dexamethasone_order_may_state_the_daily_total() {
        let mut facts = fixtures::facts();
        // 20 mg/m2/day x 0.72 m2 = 14.4 mg/day: 7 mg per divided dose, 14 mg per day.
        facts.orders = vec![fixtures::order(
            "d",
            MedicationClass::Dexamethasone,
            Some(DoseAmount::Milligrams(fixtures::dec("14"))),
        )];
        assert!(find(&evaluate(&facts), Topic::DoseCheck).is_none());
        facts.orders = vec![fixtures::order(
            "d",
            MedicationClass::Dexamethasone,
            Some(DoseAmount::Milligrams(fixtures::dec("40"))),
        )];
        assert!(find(&evaluate(&facts), Topic::DoseCheck).is_some());
    }

    #[test]
    fn an_oral_dexamethasone_draft_outside_the_cyclophosphamide_regimen_stays_oral() {
        let mut facts = fixtures::facts();
        let mut order = fixtures::order(
            "dex-oral",
            MedicationClass::Dexamethasone,
            Some(DoseAmount::Milligrams(fixtures::dec("40"))),
        );
        order.route = Some(fhir_mapping::Route::Oral);
        facts.orders = vec![order];
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::DoseCheck).unwrap();
        let dosage = card.suggestions[0].actions[0].dosage().unwrap();
        assert_eq!(dosage.route, AdministrationRoute::Oral, "{dosage:?}");
        let text = &dosage.text;
        assert!(
            text.contains("orally") && !text.contains("cycles"),
            "{text}"
        );
        assert_eq!(dosage.dose.value(), fixtures::dec("7"));
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

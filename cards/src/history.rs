//! Classification of the rituximab and cyclophosphamide histories (section 4 definitions): full
//! course, single additional dose, refractory (a/b/c) and highly refractory.
//!
//! Everything here is dated against the relapse date, which is the OMS Condition's relapse date or,
//! when the record gives none, the evaluation date.

use fhir_mapping::{
    DoseAmount, DoseEvent, DoseHistory, DoseKnownFrom, OrderIndication, UncountedDoses,
};
use rust_decimal::Decimal;
use time::{Date, Duration, Month};

use crate::config::ClinicalConfig;

/// A full course of rituximab: at least `full_course_min_doses` doses within
/// `full_course_window_days` days.
#[derive(Debug, Clone, PartialEq)]
pub struct FullCourse {
    doses: Vec<DoseEvent>,
}

impl FullCourse {
    /// The doses of the course, oldest first (never empty).
    pub fn doses(&self) -> &[DoseEvent] {
        &self.doses
    }

    /// The first dose's date.
    pub fn first_date(&self) -> Date {
        self.doses.first().map_or(Date::MIN, |dose| dose.date)
    }

    /// The last dose's date: the reference point of the refractory and redose definitions.
    pub fn last_date(&self) -> Date {
        self.doses.last().map_or(Date::MIN, |dose| dose.date)
    }
}

/// Why the patient counts as refractory to rituximab (section 4, definitions a to d).
#[derive(Debug, Clone, PartialEq)]
pub enum RefractoryReason {
    /// (a) The relapse came within the configured months after the full course's last dose.
    RelapseSoonAfterCourse {
        /// The course's last dose.
        last_dose: Date,
        /// The configured window.
        window_months: u32,
    },
    /// (b) A single additional dose was already given after the full course, and the relapse is
    /// after it.
    RelapseAfterAdditionalDose {
        /// The additional dose.
        dose: DoseEvent,
    },
    /// (c) Cyclophosphamide was already given for OMS after the full course.
    CyclophosphamideAfterCourse {
        /// The pulses after the course.
        pulses: Vec<DoseEvent>,
    },
    /// (d) Non-response: the relapse date is on or before the course's last dose and the course
    /// began within the configured days after it (the course was this relapse's treatment, and
    /// the Condition is still in relapse).
    NonResponse {
        /// The course's first dose.
        first_dose: Date,
    },
}

/// What the rituximab history says, as the primary recommendation table needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum RituximabHistory {
    /// No rituximab on record.
    Naive,
    /// Some rituximab, less than a full course.
    Partial {
        /// The counted doses on record.
        doses: Vec<DoseEvent>,
        /// Records of an unknown number of doses (never a full course).
        uncounted: Vec<UncountedDoses>,
    },
    /// At least one full course on record.
    AfterFullCourse(AfterFullCourse),
}

/// The state after the latest full course.
#[derive(Debug, Clone, PartialEq)]
pub struct AfterFullCourse {
    /// The latest full course.
    pub course: FullCourse,
    /// Single additional doses after it (more than `redose_gap_days` after its last dose).
    pub additional_doses: Vec<DoseEvent>,
    /// Cyclophosphamide pulses after it.
    pub cyclophosphamide_after_course: Vec<DoseEvent>,
    /// Why the patient is refractory; empty when not refractory.
    pub refractory: Vec<RefractoryReason>,
    /// Highly refractory: refractory, cyclophosphamide after the course, and the relapse after the
    /// last pulse. Holds that last pulse.
    pub relapse_despite_cyclophosphamide: Option<DoseEvent>,
    /// The relapse date on record precedes the course by more than the non-response window and is
    /// not after its last dose: the record cannot tell a new relapse from non-response.
    pub relapse_date_precedes_course: bool,
    /// The course is known only from orders: it never makes the patient refractory.
    pub known_only_from_orders: bool,
}

impl AfterFullCourse {
    /// Refractory to rituximab (any of a, b, c).
    pub fn is_refractory(&self) -> bool {
        !self.refractory.is_empty()
    }

    /// Highly refractory (relapse despite cyclophosphamide after a full course).
    pub fn is_highly_refractory(&self) -> bool {
        self.is_refractory() && self.relapse_despite_cyclophosphamide.is_some()
    }
}

/// Classifies the histories against the relapse date.
pub fn classify(
    rituximab: &DoseHistory,
    cyclophosphamide: &DoseHistory,
    relapse_date: Date,
    config: &ClinicalConfig,
) -> RituximabHistory {
    let doses = rituximab.events();
    if rituximab.is_empty() {
        return RituximabHistory::Naive;
    }
    let Some(course) = full_courses(doses, config).pop() else {
        return RituximabHistory::Partial {
            doses: doses.to_vec(),
            uncounted: rituximab.uncounted().to_vec(),
        };
    };
    let last_dose = course.last_date();
    let gap = Duration::days(i64::from(config.redose_gap_days));
    let additional_doses: Vec<DoseEvent> = doses
        .iter()
        .filter(|dose| dose.date - last_dose > gap)
        .cloned()
        .collect();
    // Escalation before this relapse: pulses after the relapse date are this relapse's own
    // regimen (in progress), not evidence that rituximab failed before it.
    let cyclophosphamide_after_course: Vec<DoseEvent> = pulses_for_oms(cyclophosphamide)
        .filter(|pulse| pulse.date > last_dose && pulse.date <= relapse_date)
        .cloned()
        .collect();
    let known_only_from_orders = course
        .doses()
        .iter()
        .all(|dose| dose.known_from == DoseKnownFrom::Ordered);

    let mut refractory = Vec::new();
    let window_end = add_months(last_dose, config.refractory_window_months);
    if relapse_date > last_dose && relapse_date <= window_end {
        refractory.push(RefractoryReason::RelapseSoonAfterCourse {
            last_dose,
            window_months: config.refractory_window_months,
        });
    }
    if let Some(dose) = additional_doses.iter().rev().find(|dose| {
        relapse_date > dose.date
            && relapse_date <= add_months(dose.date, config.additional_dose_window_months)
    }) {
        refractory.push(RefractoryReason::RelapseAfterAdditionalDose { dose: dose.clone() });
    }
    if !cyclophosphamide_after_course.is_empty() {
        refractory.push(RefractoryReason::CyclophosphamideAfterCourse {
            pulses: cyclophosphamide_after_course.clone(),
        });
    }
    let first_dose = course.first_date();
    let non_response_window = Duration::days(i64::from(config.non_response_window_days));
    let relapse_not_after_course = relapse_date <= last_dose;
    if relapse_not_after_course
        && first_dose >= relapse_date
        && first_dose - relapse_date <= non_response_window
    {
        refractory.push(RefractoryReason::NonResponse { first_dose });
    }
    let relapse_date_precedes_course =
        relapse_not_after_course && first_dose - relapse_date > non_response_window;
    if known_only_from_orders {
        // An order does not prove a dose was given (section 2): such a course never makes the
        // patient refractory; escalation after it (c) still does.
        refractory.retain(|reason| {
            matches!(reason, RefractoryReason::CyclophosphamideAfterCourse { .. })
        });
    }
    let relapse_despite_cyclophosphamide = cyclophosphamide_after_course
        .last()
        .filter(|last_pulse| relapse_date > last_pulse.date)
        .cloned();

    RituximabHistory::AfterFullCourse(AfterFullCourse {
        course,
        additional_doses,
        cyclophosphamide_after_course,
        refractory,
        relapse_despite_cyclophosphamide,
        relapse_date_precedes_course,
        known_only_from_orders,
    })
}

/// Cyclophosphamide pulses given for OMS: a pulse whose record names another indication
/// (neuroblastoma chemotherapy) is exposure, not the OMS regimen.
pub fn pulses_for_oms(cyclophosphamide: &DoseHistory) -> impl Iterator<Item = &DoseEvent> {
    cyclophosphamide
        .events()
        .iter()
        .filter(|pulse| pulse.indication != OrderIndication::OtherCondition)
}

/// Every full course in the history, oldest first. A course starts at a dose and takes every dose
/// within the window after it: at least `full_course_min_doses` of them, or recorded amounts
/// adding up to `full_course_min_mg_per_m2` (mg/m2 amounts) or `full_course_min_mg` (mg amounts);
/// a dose without a recorded amount counts only towards the number. Doses after a course's window
/// start the search afresh, so a later single dose never joins an earlier course.
pub fn full_courses(doses: &[DoseEvent], config: &ClinicalConfig) -> Vec<FullCourse> {
    let window = Duration::days(i64::from(config.full_course_window_days));
    let min_doses = usize::try_from(config.full_course_min_doses).unwrap_or(usize::MAX);
    let mut courses = Vec::new();
    let mut start = 0;
    while start < doses.len() {
        let first = doses[start].date;
        let in_window = doses[start..]
            .iter()
            .take_while(|dose| dose.date - first <= window)
            .count();
        let window_doses = &doses[start..start + in_window];
        if in_window >= min_doses || reaches_course_amount(window_doses, config) {
            courses.push(FullCourse {
                doses: window_doses.to_vec(),
            });
            start += in_window;
        } else {
            start += 1;
        }
    }
    courses
}

/// Whether recorded amounts add up to a full course (1500 mg/m2, or 2000 mg).
fn reaches_course_amount(doses: &[DoseEvent], config: &ClinicalConfig) -> bool {
    let (mut per_m2, mut mg) = (Decimal::ZERO, Decimal::ZERO);
    for dose in doses {
        match dose.amount {
            Some(DoseAmount::MilligramsPerSquareMetre(amount)) => per_m2 += amount,
            Some(DoseAmount::Milligrams(amount)) => mg += amount,
            _ => {}
        }
    }
    per_m2 >= config.full_course_min_mg_per_m2 || mg >= config.full_course_min_mg
}

/// Adds calendar months, keeping the day of month where it exists (31 Aug + 6 months = 28/29 Feb).
pub fn add_months(date: Date, months: u32) -> Date {
    let zero_based = i64::from(date.month() as u8) - 1 + i64::from(months);
    let year = i64::from(date.year()) + zero_based.div_euclid(12);
    let Ok(year) = i32::try_from(year) else {
        return Date::MAX;
    };
    let month_number = u8::try_from(zero_based.rem_euclid(12) + 1).unwrap_or(1);
    let Ok(month) = Month::try_from(month_number) else {
        return Date::MAX;
    };
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fhir_mapping::FhirRef;
    use time::macros::date;

    fn dose(date: Date) -> DoseEvent {
        DoseEvent {
            date,
            amount: None,
            source: FhirRef::new("MedicationAdministration", &date.to_string()),
            known_from: fhir_mapping::DoseKnownFrom::Given,
            indication: fhir_mapping::OrderIndication::NotStated,
        }
    }

    fn history(dates: &[Date]) -> DoseHistory {
        DoseHistory::new(dates.iter().copied().map(dose).collect())
    }

    fn weekly_course() -> Vec<Date> {
        vec![
            date!(2026 - 08 - 17),
            date!(2026 - 08 - 24),
            date!(2026 - 08 - 31),
            date!(2026 - 09 - 07),
        ]
    }

    fn after_course(history: RituximabHistory) -> AfterFullCourse {
        match history {
            RituximabHistory::AfterFullCourse(after) => after,
            other => panic!("expected a full course, got {other:?}"),
        }
    }

    #[test]
    fn no_rituximab_is_naive() {
        let config = ClinicalConfig::default();
        let result = classify(&history(&[]), &history(&[]), date!(2026 - 11 - 24), &config);
        assert_eq!(result, RituximabHistory::Naive);
    }

    #[test]
    fn three_weekly_doses_are_a_partial_course() {
        let config = ClinicalConfig::default();
        let dates = &weekly_course()[..3];
        let result = classify(
            &history(dates),
            &history(&[]),
            date!(2026 - 11 - 24),
            &config,
        );
        assert!(matches!(result, RituximabHistory::Partial { ref doses, .. } if doses.len() == 3));
    }

    #[test]
    fn four_doses_spread_over_more_than_sixty_days_are_not_a_full_course() {
        let config = ClinicalConfig::default();
        let dates = [
            date!(2025 - 01 - 01),
            date!(2025 - 01 - 20),
            date!(2025 - 02 - 20),
            date!(2025 - 03 - 05),
        ];
        assert!(full_courses(history(&dates).events(), &config).is_empty());
    }

    #[test]
    fn a_relapse_within_six_months_of_the_course_is_refractory_a() {
        let config = ClinicalConfig::default();
        let result = after_course(classify(
            &history(&weekly_course()),
            &history(&[]),
            date!(2026 - 11 - 24),
            &config,
        ));
        assert_eq!(
            result.refractory,
            vec![RefractoryReason::RelapseSoonAfterCourse {
                last_dose: date!(2026 - 09 - 07),
                window_months: 6
            }]
        );
        assert!(!result.is_highly_refractory());
    }

    #[test]
    fn a_relapse_more_than_six_months_after_the_course_is_not_refractory() {
        let config = ClinicalConfig::default();
        let result = after_course(classify(
            &history(&weekly_course()),
            &history(&[]),
            date!(2027 - 03 - 08),
            &config,
        ));
        assert!(!result.is_refractory());
        assert_eq!(result.course.last_date(), date!(2026 - 09 - 07));
    }

    #[test]
    fn a_relapse_after_a_single_additional_dose_is_refractory_b() {
        let config = ClinicalConfig::default();
        let mut dates = vec![
            date!(2024 - 01 - 01),
            date!(2024 - 01 - 08),
            date!(2024 - 01 - 15),
            date!(2024 - 01 - 22),
        ];
        dates.push(date!(2025 - 03 - 01));
        let result = after_course(classify(
            &history(&dates),
            &history(&[]),
            date!(2025 - 12 - 20),
            &config,
        ));
        assert_eq!(result.additional_doses.len(), 1);
        assert!(matches!(
            result.refractory.as_slice(),
            [RefractoryReason::RelapseAfterAdditionalDose { dose }] if dose.date == date!(2025 - 03 - 01)
        ));
        // More than 12 months after the additional dose: not refractory (b).
        let later = after_course(classify(
            &history(&dates),
            &history(&[]),
            date!(2026 - 11 - 20),
            &config,
        ));
        assert!(later.refractory.is_empty(), "{:?}", later.refractory);
    }

    #[test]
    fn cyclophosphamide_after_the_course_is_refractory_c_and_a_later_relapse_is_highly_refractory()
    {
        let config = ClinicalConfig::default();
        let pulses = [date!(2027 - 01 - 05), date!(2027 - 02 - 02)];
        let before = after_course(classify(
            &history(&weekly_course()),
            &history(&pulses),
            date!(2027 - 01 - 01),
            &config,
        ));
        assert!(before.is_refractory());
        assert!(
            !before.is_highly_refractory(),
            "a relapse before the pulses is treated by them"
        );
        let after = after_course(classify(
            &history(&weekly_course()),
            &history(&pulses),
            date!(2027 - 06 - 01),
            &config,
        ));
        assert!(after.is_highly_refractory());
        assert_eq!(
            after
                .relapse_despite_cyclophosphamide
                .map(|pulse| pulse.date),
            Some(date!(2027 - 02 - 02))
        );
    }

    #[test]
    fn the_latest_of_two_full_courses_is_the_reference() {
        let config = ClinicalConfig::default();
        let mut dates = vec![
            date!(2023 - 01 - 02),
            date!(2023 - 01 - 09),
            date!(2023 - 01 - 16),
            date!(2023 - 01 - 23),
        ];
        dates.extend(weekly_course());
        let result = after_course(classify(
            &history(&dates),
            &history(&[]),
            date!(2027 - 06 - 01),
            &config,
        ));
        assert_eq!(result.course.first_date(), date!(2026 - 08 - 17));
        assert!(result.additional_doses.is_empty());
    }

    #[test]
    fn adding_months_clamps_to_the_end_of_the_month() {
        assert_eq!(add_months(date!(2026 - 08 - 31), 6), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 09 - 07), 6), date!(2027 - 03 - 07));
        assert_eq!(add_months(date!(2026 - 12 - 15), 1), date!(2027 - 01 - 15));
    }
}

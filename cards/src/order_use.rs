//! What an order in play is for, in the rules' terms (section 4, "the regimen's orders", and
//! precision rules 1-3): its amount per administration day, whether it is the OMS regimen's order
//! of its drug or another use (a premedication, an antiemetic, oral cyclophosphamide), and whether
//! it can make the service speak at all.
//!
//! Invariant: only the regimen's order of a drug is ever updated, deleted or re-dosed by a card;
//! another use gets at most a cap report (section 5).

use fhir_mapping::{DoseAmount, MedicationClass, OrderInPlay, Route};
use rust_decimal::Decimal;
use time::{Date, Duration};

use crate::assessment::Assessment;
use crate::card::Topic;
use crate::dose::show;
use crate::history::{RefractoryReason, RituximabHistory};
use crate::regimen;

/// An order's amount in mg, per administration and per administration day.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedAmount {
    /// mg per administration (an mg/kg or mg/m2 dose converted with the dosing weight or BSA).
    pub per_administration: Decimal,
    /// mg per administration day: dose x frequency when the period is one day or less; the
    /// amount per administration for longer periods and for orders without timing.
    pub per_day: Decimal,
    /// Administrations per day (1 unless the period is a day or less).
    pub per_day_count: Decimal,
    /// The order in clinical words: "6 mg four times daily = 24 mg/day", "30 mg/kg daily =
    /// 1800 mg/day for 60 kg".
    pub description: String,
}

impl Assessment<'_> {
    /// The order's amount per administration day, when its dose can be read in mg (an mg/kg or
    /// mg/m2 dose only with a usable weight or BSA: otherwise it is not judged).
    pub fn ordered_amount(&self, order: &OrderInPlay) -> Option<OrderedAmount> {
        let dosing = self.dosing.as_ref();
        let (per_administration, stated) = match order.dose? {
            DoseAmount::Milligrams(mg) => (mg, format!("{} mg", show(mg))),
            DoseAmount::MilligramsPerKilogram(per_kg) => {
                let kg = dosing?.weight()?.amount();
                (
                    per_kg * kg,
                    format!("{} mg/kg for {} kg", show(per_kg), show(kg)),
                )
            }
            DoseAmount::MilligramsPerSquareMetre(per_m2) => {
                let m2 = dosing?.bsa()?.amount();
                (
                    per_m2 * m2,
                    format!("{} mg/m2 for {} m2", show(per_m2), show(m2)),
                )
            }
        };
        let daily_count = order.timing.and_then(|timing| {
            let days = timing.period_days?;
            (days > Decimal::ZERO && days <= Decimal::ONE)
                .then(|| Decimal::from(timing.frequency.max(1)) / days)
        });
        let per_day_count = daily_count.unwrap_or(Decimal::ONE);
        let per_day = per_administration * per_day_count;
        let description = if daily_count.is_some() {
            format!(
                "{stated} {} = {} mg/day",
                times_daily(per_day_count),
                show(per_day.round_dp(1))
            )
        } else if stated.ends_with("m2") || stated.contains("kg") {
            format!("{stated} = {} mg", show(per_administration.round_dp(1)))
        } else {
            stated
        };
        Some(OrderedAmount {
            per_administration,
            per_day,
            per_day_count,
            description,
        })
    }

    /// The full course's last dose when it is under `response_judgeable_weeks` before the
    /// evaluation date and the patient is refractory by the course itself ((a) or (d)): too
    /// early to judge the response, so no cyclophosphamide is suggested yet.
    pub fn response_not_yet_judgeable(&self) -> Option<Date> {
        let RituximabHistory::AfterFullCourse(after) = &self.history else {
            return None;
        };
        let by_the_course = after.refractory.iter().any(|reason| {
            matches!(
                reason,
                RefractoryReason::RelapseSoonAfterCourse { .. }
                    | RefractoryReason::NonResponse { .. }
            )
        });
        let last = after.course.last_date();
        let weeks = Duration::weeks(i64::from(self.config.response_judgeable_weeks));
        (by_the_course && self.facts.today - last < weeks).then_some(last)
    }

    /// Whether the pulses card makes its one-click suggestion (and so deletes the rituximab
    /// drafts in play): not while pregnant, not too early to judge rituximab, not without a
    /// usable BSA.
    pub fn pulses_card_suggests(&self) -> bool {
        self.primary == Topic::CyclophosphamideDexamethasonePulses
            && !self.is_pregnant()
            && self.response_not_yet_judgeable().is_none()
            && self.has_usable_bsa()
    }

    /// Whether a card's suggestion deletes this order (precision rule 5: it then gets no update
    /// or re-dose and triggers no card on its own account, except a cap report).
    pub fn deleted_by_a_card(&self, order: &OrderInPlay) -> bool {
        if !self.is_regimen_order(order) {
            return false;
        }
        match order.medication {
            MedicationClass::Rituximab => self.pulses_card_suggests(),
            MedicationClass::Cyclophosphamide => self.fertility_replaces_cyclophosphamide(),
            _ => false,
        }
    }

    /// Whether `iv-methylprednisolone` applies: a relapse on oral steroids, and the primary is
    /// not the pulses card (its dexamethasone is that relapse's steroid).
    pub fn iv_methylprednisolone_applies(&self) -> bool {
        self.facts.oral_steroid.is_some()
            && self.primary != Topic::CyclophosphamideDexamethasonePulses
    }

    /// Whether the order is the OMS regimen's order of its drug (section 4 and precision rule
    /// 2): rituximab and cyclophosphamide by the IV route (or none); dexamethasone only for the
    /// pulses card and methylprednisolone only when the IV pulse applies, never a single
    /// administration, and at least the configured share of the regimen's daily dose (when that
    /// cannot be computed, the order counts as the regimen's, with no re-dose).
    pub fn is_regimen_order(&self, order: &OrderInPlay) -> bool {
        let iv_or_none = matches!(order.route, None | Some(Route::Intravenous));
        match order.medication {
            MedicationClass::Rituximab | MedicationClass::Cyclophosphamide => iv_or_none,
            MedicationClass::Dexamethasone => {
                self.primary == Topic::CyclophosphamideDexamethasonePulses
                    && matches!(
                        order.route,
                        None | Some(Route::Intravenous) | Some(Route::Oral)
                    )
                    && self.substantial_steroid_order(order)
            }
            MedicationClass::Methylprednisolone => {
                self.iv_methylprednisolone_applies()
                    && iv_or_none
                    && self.substantial_steroid_order(order)
            }
            _ => false,
        }
    }

    /// The regimen's order of `drug` among the orders in play, if any (the one a card updates
    /// instead of creating a new order).
    pub fn regimen_order_of(&self, drug: MedicationClass) -> Option<&OrderInPlay> {
        self.facts
            .orders
            .iter()
            .find(|order| order.medication == drug && self.is_regimen_order(order))
    }

    /// Whether the order can make the service speak (precision rule 1): not a single
    /// administration, and not a dexamethasone or methylprednisolone order below the configured
    /// share of the regimen's daily dose or by a route the regimen does not use.
    pub fn order_speaks(&self, order: &OrderInPlay) -> bool {
        // A single administration of a steroid is a premedication or an antiemetic; a single
        // rituximab dose or cyclophosphamide pulse is treatment and does speak.
        let single = order
            .timing
            .is_some_and(|timing| timing.single_administration);
        if single && order.medication.is_corticosteroid() {
            return false;
        }
        match order.medication {
            MedicationClass::Dexamethasone => {
                matches!(
                    order.route,
                    None | Some(Route::Intravenous) | Some(Route::Oral)
                ) && self.at_least_share_of_regimen(order)
            }
            MedicationClass::Methylprednisolone => {
                matches!(order.route, None | Some(Route::Intravenous))
                    && self.at_least_share_of_regimen(order)
            }
            _ => true,
        }
    }

    /// A steroid order that is not a single administration and is at least the configured share
    /// of the regimen's daily dose.
    fn substantial_steroid_order(&self, order: &OrderInPlay) -> bool {
        let single = order
            .timing
            .is_some_and(|timing| timing.single_administration);
        !single && self.at_least_share_of_regimen(order)
    }

    /// At least `regimen_order_min_percent` of the regimen's daily dose; true when either
    /// amount cannot be computed (no judgement without numbers).
    fn at_least_share_of_regimen(&self, order: &OrderInPlay) -> bool {
        let (Some(ordered), Some(regimen_daily)) = (
            self.ordered_amount(order),
            self.regimen_daily_mg(order.medication),
        ) else {
            return true;
        };
        ordered.per_day * Decimal::from(100)
            >= regimen_daily * self.config.regimen_order_min_percent
    }

    /// The regimen's computed amount per administration day in mg (capped), when a body size
    /// may be used: rituximab per dose, cyclophosphamide per pulse, dexamethasone and
    /// methylprednisolone per day.
    pub fn regimen_daily_mg(&self, drug: MedicationClass) -> Option<Decimal> {
        let dose = match drug {
            MedicationClass::Rituximab => regimen::rituximab_dose(self)?,
            MedicationClass::Cyclophosphamide => regimen::cyclophosphamide_dose(self)?,
            MedicationClass::Dexamethasone => regimen::dexamethasone_dose(self)?,
            MedicationClass::Methylprednisolone => regimen::methylprednisolone_dose(self)?,
            _ => return None,
        };
        // What the regimen actually gives per day: the rounded (and capped) dose per
        // administration times the administrations per day.
        Some(dose.dose.value() * Decimal::from(dose.rule.divided_into.max(1)))
    }
}

/// "twice daily", "four times daily", "every 6 hours"-free wording of administrations per day.
fn times_daily(count: Decimal) -> String {
    match count.normalize().to_string().as_str() {
        "1" => "once daily".to_owned(),
        "2" => "twice daily".to_owned(),
        "3" => "three times daily".to_owned(),
        "4" => "four times daily".to_owned(),
        other => format!("{other} times daily"),
    }
}

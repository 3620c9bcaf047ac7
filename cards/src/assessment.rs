//! The facts read once through the rules' definitions (section 4): relapse date, young/adult,
//! severe, the rituximab classification, the primary recommendation, and which body size may be
//! used for dosing.
//!
//! Invariant: when a BSA- or weight-based dose is needed and the measurement behind it is unusable,
//! *both* dosing bases are withheld, so no card anywhere can show an mg amount (section 4,
//! `missing-body-measurements`).

use fhir_mapping::{DoseEvent, Facts, MedicationClass, OmsCondition, OrderInPlay, Severity};
use time::Date;

use crate::card::Topic;
use crate::config::ClinicalConfig;
use crate::dose::Dosing;
use crate::history::{self, RituximabHistory};

/// The facts of a relapsed patient, read through the rules' definitions.
#[derive(Debug, Clone)]
pub struct Assessment<'a> {
    /// The facts.
    pub facts: &'a Facts,
    /// The configuration.
    pub config: &'a ClinicalConfig,
    /// The relapsed OMS Condition.
    pub oms: &'a OmsCondition,
    /// The relapse date (the Condition's, or the evaluation date when it gives none).
    pub relapse_date: Date,
    /// The rituximab history, classified.
    pub history: RituximabHistory,
    /// The primary recommendation's topic.
    pub primary: Topic,
    /// Cyclophosphamide pulses for OMS dated after the relapse date: this relapse's regimen in
    /// progress (section 4, v2), oldest first.
    pub regimen_pulses: Vec<DoseEvent>,
    /// The proof that doses may be computed: `None` when a BSA- or weight-based dose is needed
    /// but its measurement is unusable (then no card shows an mg amount).
    pub dosing: Option<Dosing>,
}

impl<'a> Assessment<'a> {
    /// Reads the facts of a patient with relapsed OMS.
    pub fn new(facts: &'a Facts, oms: &'a OmsCondition, config: &'a ClinicalConfig) -> Self {
        let relapse_date = oms.relapse_date.unwrap_or(facts.today);
        let history = history::classify(
            &facts.rituximab,
            &facts.cyclophosphamide,
            relapse_date,
            config,
        );
        let regimen_pulses: Vec<DoseEvent> = history::pulses_for_oms(&facts.cyclophosphamide)
            .filter(|pulse| pulse.date > relapse_date)
            .cloned()
            .collect();
        let primary = primary_topic(&history, &regimen_pulses, config);
        let needs_bsa = primary != Topic::SpecialistReferral
            || facts
                .orders
                .iter()
                .any(|order| is_bsa_dosed(order) && order.dose.is_some());
        let needs_weight = facts.oral_steroid.is_some()
            || facts.orders.iter().any(|order| {
                order.medication == MedicationClass::Methylprednisolone && order.dose.is_some()
            });
        let dosing = Dosing::assess(&facts.body, needs_bsa, needs_weight);

        Self {
            facts,
            config,
            oms,
            relapse_date,
            history,
            primary,
            regimen_pulses,
            dosing,
        }
    }

    /// The pulses still to give: all of them, or those left of a regimen in progress.
    pub fn remaining_cycles(&self) -> u32 {
        let given = u32::try_from(self.regimen_pulses.len()).unwrap_or(u32::MAX);
        self.config.pulse_cycles.saturating_sub(given).max(1)
    }

    /// The cycle the next pulse is (1 for a new regimen).
    pub fn next_cycle(&self) -> u32 {
        u32::try_from(self.regimen_pulses.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// A BSA- or weight-based dose is needed but its measurement is unusable.
    pub fn measurements_unusable(&self) -> bool {
        self.dosing.is_none()
    }

    /// Whether the `fertility-prefer-rituximab` card fires: cyclophosphamide for OMS ordered,
    /// or the pulses card at cycle 1, for a patient who is young, of reproductive potential or
    /// has a documented fertility concern; never while pregnant (the pregnancy card speaks).
    pub fn fertility_card_fires(&self) -> bool {
        // Never for another use (oral cyclophosphamide) or another indication (section 4).
        let cyclophosphamide_in_play = self
            .orders_of(MedicationClass::Cyclophosphamide)
            .iter()
            .any(|order| self.is_regimen_order(order));
        let pulses_start = self.primary == Topic::CyclophosphamideDexamethasonePulses
            && self.regimen_pulses.is_empty();
        (cyclophosphamide_in_play || pulses_start)
            && (self.is_young()
                || self.of_reproductive_potential()
                || !self.facts.fertility_concern.is_empty())
            && !self.is_pregnant()
    }

    /// Under the configured age (50), any sex (section 4, v2).
    pub fn of_reproductive_potential(&self) -> bool {
        self.facts
            .patient
            .age
            .is_some_and(|age| age.years < self.config.reproductive_potential_max_age_years)
    }

    /// Female, or sex other or unknown (or not recorded), aged within the configured range.
    pub fn could_be_pregnant(&self) -> bool {
        let sex_allows = !matches!(self.facts.patient.sex, Some(fhir_mapping::Sex::Male));
        let age_allows = self.facts.patient.age.is_some_and(|age| {
            (self.config.could_be_pregnant_min_age_years
                ..=self.config.could_be_pregnant_max_age_years)
                .contains(&age.years)
        });
        sex_allows && age_allows
    }

    /// Adult-onset OMS: 18 or over at the OMS Condition's onset (the current age when the onset
    /// is unknown).
    pub fn adult_onset(&self) -> bool {
        let Some(age) = self.facts.patient.age else {
            return false;
        };
        // Age at onset in completed months: the age now less the whole months since the onset.
        let today = self.facts.today;
        let months_since_onset = self.oms.onset.map_or(0, |onset| {
            let months = (i64::from(today.year()) - i64::from(onset.year())) * 12
                + i64::from(today.month() as u8)
                - i64::from(onset.month() as u8);
            months - i64::from(today.day() < onset.day())
        });
        let months_now = i64::from(age.years) * 12 + i64::from(age.months);
        (months_now - months_since_onset) >= i64::from(self.config.adult_age_years) * 12
    }

    /// Whether the fertility card replaces a cyclophosphamide draft with the primary card's
    /// rituximab order (a rituximab primary, a cyclophosphamide order in play, and a dose that may
    /// be shown). The primary card then leaves the order to that card, so it is created once.
    /// Decided here, where both cards read it, so neither rule module depends on the other.
    pub fn fertility_replaces_cyclophosphamide(&self) -> bool {
        self.fertility_card_fires()
            && self.primary_is_rituximab()
            && self
                .orders_of(MedicationClass::Cyclophosphamide)
                .iter()
                .any(|order| self.is_regimen_order(order))
            && self.has_usable_bsa()
            // No card replaces an order with rituximab after a rituximab reaction.
            && self.facts.rituximab_reactions.is_empty()
    }

    /// Whether a rituximab suggestion may be pre-selected (`isRecommended`): not while a positive
    /// hepatitis B result, a rituximab reaction or allergy, a pregnancy, or a relapse recorded
    /// as provisional, differential or unconfirmed is on record.
    pub fn may_preselect_rituximab(&self) -> bool {
        !self.facts.hepatitis_b.any_positive()
            && self.facts.rituximab_reactions.is_empty()
            && !self.is_pregnant()
            // A relapse the record does not confirm is the clinician's call, not a default.
            && matches!(
                self.oms.verification,
                fhir_mapping::VerificationStatus::Confirmed
                    | fhir_mapping::VerificationStatus::NotRecorded
            )
    }

    /// Whether the record says the patient is pregnant (section 2).
    pub fn is_pregnant(&self) -> bool {
        matches!(
            self.facts.pregnancy,
            fhir_mapping::Pregnancy::Pregnant { .. }
        )
    }

    /// Whether the primary recommendation is a rituximab one (not refractory).
    pub fn primary_is_rituximab(&self) -> bool {
        matches!(
            self.primary,
            Topic::RituximabFullCourse | Topic::RituximabRedose | Topic::RituximabPartialPrior
        )
    }

    /// Whether a BSA may be used for dosing.
    pub fn has_usable_bsa(&self) -> bool {
        self.dosing
            .as_ref()
            .is_some_and(|dosing| dosing.bsa().is_some())
    }

    /// Young: under the adult age (18 by default). Unknown age is neither young nor adult.
    pub fn is_young(&self) -> bool {
        self.facts
            .patient
            .age
            .is_some_and(|age| age.years < self.config.adult_age_years)
    }

    /// Adult: the adult age (18 by default) or over.
    pub fn is_adult(&self) -> bool {
        self.facts
            .patient
            .age
            .is_some_and(|age| age.years >= self.config.adult_age_years)
    }

    /// Severe: the OMS Condition's severity is severe.
    pub fn is_severe(&self) -> bool {
        self.oms.severity == Some(Severity::Severe)
    }

    /// The orders in play of one class.
    pub fn orders_of(&self, medication: MedicationClass) -> Vec<&'a OrderInPlay> {
        self.facts
            .orders
            .iter()
            .filter(|order| order.medication == medication)
            .collect()
    }

    /// The relapse date as a card states it, saying when it is the evaluation date.
    pub fn relapse_date_text(&self) -> String {
        match self.oms.relapse_date {
            Some(date) => fhir_mapping::date_in_words(date),
            None => format!(
                "{} (no relapse date on record: the evaluation date)",
                fhir_mapping::date_in_words(self.relapse_date)
            ),
        }
    }
}

/// The primary recommendation table of section 4. A regimen in progress (OMS pulses after the
/// relapse date) is the pulses card whatever the rituximab history, or the referral when all its
/// cycles were given and the Condition is still in relapse.
pub fn primary_topic(
    history: &RituximabHistory,
    regimen_pulses: &[DoseEvent],
    config: &ClinicalConfig,
) -> Topic {
    if !regimen_pulses.is_empty() {
        let given = u32::try_from(regimen_pulses.len()).unwrap_or(u32::MAX);
        return if given >= config.pulse_cycles {
            Topic::SpecialistReferral
        } else {
            Topic::CyclophosphamideDexamethasonePulses
        };
    }
    match history {
        RituximabHistory::Naive => Topic::RituximabFullCourse,
        RituximabHistory::Partial { .. } => Topic::RituximabPartialPrior,
        RituximabHistory::AfterFullCourse(after) if after.is_highly_refractory() => {
            Topic::SpecialistReferral
        }
        RituximabHistory::AfterFullCourse(after) if after.is_refractory() => {
            Topic::CyclophosphamideDexamethasonePulses
        }
        RituximabHistory::AfterFullCourse(_) => Topic::RituximabRedose,
    }
}

/// Orders dosed by body surface area (rituximab IV, cyclophosphamide, dexamethasone).
pub fn is_bsa_dosed(order: &OrderInPlay) -> bool {
    matches!(
        order.medication,
        MedicationClass::Rituximab
            | MedicationClass::Cyclophosphamide
            | MedicationClass::Dexamethasone
    )
}

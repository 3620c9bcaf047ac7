//! The decision model's facts: plain domain types, no JSON and no fhirbolt type visible to the
//! rules: the patient, the OMS diagnosis, treatment history, measurements, results, orders.
//!
//! Invariant: every fact that can make a card fire carries the FHIR references it came from
//! (`Condition/123`), so a card can show the clinician why it fired.

use std::fmt;

use rust_decimal::Decimal;
use time::Date;

use crate::quantity::{Centimetres, Kilograms, SquareMetres};
pub use crate::request::Hook;

/// A relative FHIR reference such as `Condition/123`, used to show where a fact came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FhirRef(String);

impl FhirRef {
    /// Builds a reference from a resource type and id: `FhirRef::new("Condition", "123")`.
    pub fn new(resource_type: &str, id: &str) -> Self {
        Self(format!("{resource_type}/{id}"))
    }

    /// Wraps an already formed relative reference (`Type/id`).
    pub fn from_relative(reference: impl Into<String>) -> Self {
        Self(reference.into())
    }

    /// The reference as text, `Type/id`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The resource type part (`Condition` of `Condition/123`).
    pub fn resource_type(&self) -> &str {
        self.0.split('/').next().unwrap_or_default()
    }

    /// The id part (`123` of `Condition/123`).
    pub fn id(&self) -> &str {
        self.0.split_once('/').map(|(_, id)| id).unwrap_or_default()
    }

    /// What kind of record it is, in a clinician's words ("a medication order"): visible text
    /// names records this way, never by their FHIR id.
    pub fn kind_in_words(&self) -> &'static str {
        record_kind_in_words(self.resource_type())
    }
}

/// A resource type in a clinician's words ("an administration record").
pub fn record_kind_in_words(resource_type: &str) -> &'static str {
    match resource_type {
        "MedicationRequest" => "a medication order",
        "MedicationStatement" => "a medication statement",
        "MedicationAdministration" => "an administration record",
        "Medication" => "a medication record",
        "Observation" => "an observation",
        "Condition" => "a condition on the problem list",
        "Procedure" => "a procedure record",
        "DiagnosticReport" => "a diagnostic report",
        "AllergyIntolerance" => "an allergy record",
        "ServiceRequest" => "a service request",
        "Patient" => "the patient record",
        "Bundle" => "a bundle of records",
        _ => "a record",
    }
}

/// "A medication order" from "a medication order": the first letter in upper case.
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A date as a clinician reads it: `20 Nov 2026`.
pub fn date_in_words(date: Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_abbreviation(date.month()),
        date.year()
    )
}

/// The three-letter English month name.
pub fn month_abbreviation(month: time::Month) -> &'static str {
    use time::Month;
    match month {
        Month::January => "Jan",
        Month::February => "Feb",
        Month::March => "Mar",
        Month::April => "Apr",
        Month::May => "May",
        Month::June => "Jun",
        Month::July => "Jul",
        Month::August => "Aug",
        Month::September => "Sep",
        Month::October => "Oct",
        Month::November => "Nov",
        Month::December => "Dec",
    }
}

/// A span of days as a clinician reads it: `2-23 Mar 2026`, `30 Mar - 6 Apr 2026`,
/// `28 Dec 2025 - 4 Jan 2026`, or one date when both are the same day.
pub fn date_span_in_words(first: Date, last: Date) -> String {
    if first == last {
        date_in_words(first)
    } else if first.year() != last.year() {
        format!("{} - {}", date_in_words(first), date_in_words(last))
    } else if first.month() != last.month() {
        format!(
            "{} {} - {}",
            first.day(),
            month_abbreviation(first.month()),
            date_in_words(last)
        )
    } else {
        format!("{}-{}", first.day(), date_in_words(last))
    }
}

impl fmt::Display for FhirRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything the rules know about one request, as of the evaluation date.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The evaluation date (`now`), passed in, never read from a clock inside the rules.
    pub today: Date,
    /// Which hook fired.
    pub hook: Hook,
    /// Who the patient is, for `subject` of suggested resources and for age-based rules.
    pub patient: PatientFacts,
    /// The OMS diagnosis, if any.
    pub oms: OmsDiagnosis,
    /// Neuroblastoma state.
    pub neuroblastoma: NeuroblastomaFacts,
    /// Every rituximab dose on record (not counting the orders in play), oldest first.
    pub rituximab: DoseHistory,
    /// Every cyclophosphamide pulse on record (not counting the orders in play), oldest first.
    pub cyclophosphamide: DoseHistory,
    /// An oral steroid the patient is currently on, if any.
    pub oral_steroid: Option<CurrentSteroid>,
    /// Records documenting a fertility concern (empty when none).
    pub fertility_concern: Vec<FhirRef>,
    /// Hepatitis B screening (HBsAg and anti-HBc) within the look-back.
    pub hepatitis_b: HepatitisBScreening,
    /// Rituximab (or any anti-CD20 antibody) reactions and allergies on record, oldest first.
    pub rituximab_reactions: Vec<DrugReaction>,
    /// Whether the record says the patient is pregnant now.
    pub pregnancy: Pregnancy,
    /// An adult tumour work-up (imaging, onconeural antibodies, a malignancy Condition) dated on
    /// or after the OMS onset: the latest one.
    pub adult_tumour_workup: Option<AdultTumourWorkup>,
    /// Weight, height and body surface area.
    pub body: BodyMeasurements,
    /// The medication orders in play (selected ones on `order-select`, all on `order-sign`).
    pub orders: Vec<OrderInPlay>,
    /// Draft orders of a listed drug given for another condition (their `reasonReference` /
    /// `reasonCode` names something that is not OMS): never OMS orders, so no card can touch
    /// them; kept so that cards may mention them.
    pub orders_for_other_indications: Vec<OrderInPlay>,
    /// Problems with the data that may limit the answer.
    pub issues: Vec<DataIssue>,
}

/// Administrative sex (`Patient.gender`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// `female`
    Female,
    /// `male`
    Male,
    /// `other`
    Other,
    /// `unknown`
    Unknown,
}

/// Age at the evaluation date, from a possibly partial birth date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age {
    /// Completed years.
    pub years: u32,
    /// Completed months beyond the years (0-11).
    pub months: u32,
}

/// The patient's demographics.
#[derive(Debug, Clone)]
pub struct PatientFacts {
    /// `Patient/{id}`, from `context.patientId` (or the Patient resource).
    pub reference: FhirRef,
    /// Age at the evaluation date; `None` when no birth date is on record.
    pub age: Option<Age>,
    /// Administrative sex, when recorded.
    pub sex: Option<Sex>,
    /// `Patient.deceasedBoolean` true, or a `deceasedDateTime` at or before the evaluation date.
    pub deceased: bool,
}

/// `Condition.clinicalStatus` (code system `condition-clinical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClinicalStatus {
    /// `active`
    Active,
    /// `recurrence`
    Recurrence,
    /// `relapse`
    Relapse,
    /// `inactive`
    Inactive,
    /// `remission`
    Remission,
    /// `resolved`
    Resolved,
    /// Missing or unknown.
    Unknown,
}

/// `Condition.severity`, as coded by SNOMED CT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// 255604002
    Mild,
    /// 6736007
    Moderate,
    /// 24484000
    Severe,
}

/// How firmly the record says the patient has OMS.
#[derive(Debug, Clone)]
pub enum OmsDiagnosis {
    /// No OMS Condition on record (or only refuted / entered-in-error ones).
    None,
    /// Only ambiguous codes (G25.3, H55.89) without corroborating text: the diagnosis needs
    /// confirming before the service doses anything.
    AmbiguousOnly {
        /// The Conditions carrying the ambiguous code.
        references: Vec<FhirRef>,
    },
    /// An OMS Condition identified by a specific code or by corroborating text.
    Confirmed(OmsCondition),
}

/// The OMS Condition the rules reason about (the most relevant one when several exist).
#[derive(Debug, Clone)]
pub struct OmsCondition {
    /// Where it came from.
    pub reference: FhirRef,
    /// `clinicalStatus`.
    pub status: ClinicalStatus,
    /// `severity`, when coded.
    pub severity: Option<Severity>,
    /// The relapse date: the later of `recordedDate` and onset; `None` when neither is given
    /// (the rules then use the evaluation date).
    pub relapse_date: Option<Date>,
    /// `verificationStatus` (refuted and entered-in-error Conditions never get here).
    pub verification: VerificationStatus,
    /// The onset (`onsetDateTime` / `onsetPeriod.start`), when recorded: adult-onset OMS and the
    /// tumour work-up are judged from it.
    pub onset: Option<Date>,
}

/// `Condition.verificationStatus` of a Condition that counts (code system
/// `condition-ver-status`): the cards name a provisional or differential diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationStatus {
    /// `confirmed`.
    Confirmed,
    /// `provisional`.
    Provisional,
    /// `differential`.
    Differential,
    /// `unconfirmed`.
    Unconfirmed,
    /// Not recorded, or another code.
    NotRecorded,
}

impl OmsCondition {
    /// Relapse or recurrence: the precondition for the service to speak.
    pub fn is_relapsed(&self) -> bool {
        matches!(
            self.status,
            ClinicalStatus::Relapse | ClinicalStatus::Recurrence
        )
    }
}

/// What the record says about neuroblastoma.
#[derive(Debug, Clone, Default)]
pub struct NeuroblastomaFacts {
    /// A neuroblastoma Condition that is active, recurrent or relapsed.
    pub present: bool,
    /// The latest onset of a present neuroblastoma (`onsetDateTime` / `onsetPeriod.start`), or
    /// its `recordedDate` when no onset is given.
    pub latest_onset: Option<Date>,
    /// A resection of the present tumour: a resection Procedure (by code, or by `reasonReference`
    /// to the NB Condition) dated on or after its latest onset (or up to 30 days before its
    /// `recordedDate` when only that is given). A resection before a recurrence does not count.
    pub resected: bool,
    /// The date of the latest resection Procedure on record, whether or not it counts.
    pub resection_date: Option<Date>,
    /// Any NB Condition (any status) or a screening test (urine catecholamines, MIBG, imaging).
    pub workup_on_record: bool,
    /// The latest dated work-up (a Condition's onset or recorded date, a test's date).
    pub latest_workup: Option<Date>,
    /// The Conditions, Procedures and Observations behind these answers.
    pub references: Vec<FhirRef>,
}

/// An amount of drug given or ordered, in the unit it was recorded in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DoseAmount {
    /// Milligrams.
    Milligrams(Decimal),
    /// Milligrams per square metre of body surface area.
    MilligramsPerSquareMetre(Decimal),
    /// Milligrams per kilogram of body weight.
    MilligramsPerKilogram(Decimal),
}

/// How a dose is known (section 2): the cards say "ordered" for a dose only an order records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DoseKnownFrom {
    /// A completed MedicationAdministration.
    Given,
    /// A MedicationStatement (active, completed, or stopped after doses were taken).
    Reported,
    /// A MedicationRequest (active or completed, never a draft): an order does not prove that a
    /// dose was given.
    Ordered,
}

impl DoseKnownFrom {
    /// The word a card uses: "given", "reported", "ordered".
    pub fn word(self) -> &'static str {
        match self {
            DoseKnownFrom::Given => "given",
            DoseKnownFrom::Reported => "reported",
            DoseKnownFrom::Ordered => "ordered",
        }
    }
}

/// One dose of a drug, dated, with the record it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseEvent {
    /// The day the dose was (or is recorded as) given.
    pub date: Date,
    /// The amount, when recorded in a usable unit.
    pub amount: Option<DoseAmount>,
    /// The MedicationAdministration, MedicationStatement or MedicationRequest behind it.
    pub source: FhirRef,
    /// Given, reported or ordered.
    pub known_from: DoseKnownFrom,
    /// What the dose was for, by its record's `reasonReference` / `reasonCode`: a
    /// cyclophosphamide pulse for a neuroblastoma counts towards exposure, not the OMS regimen.
    pub indication: OrderIndication,
}

/// A record of a drug over a period that does not say how many doses it stands for (a statement
/// without `timing.repeat.count`, or stopped without a period): the number is unknown, never one
/// dose and never a full course.
#[derive(Debug, Clone, PartialEq)]
pub struct UncountedDoses {
    /// The first day of the period (or the record's date).
    pub first: Date,
    /// The last day, when the period has an end.
    pub last: Option<Date>,
    /// The amount per dose, when recorded in a usable unit.
    pub amount: Option<DoseAmount>,
    /// The record.
    pub source: FhirRef,
    /// Reported or ordered.
    pub known_from: DoseKnownFrom,
    /// What it was for.
    pub indication: OrderIndication,
}

/// A treatment recorded as stopped (a `stopped` MedicationStatement, or a MedicationAdministration
/// `stopped` / `not-done`), with its `statusReason` when given (an infusion reaction, say).
#[derive(Debug, Clone, PartialEq)]
pub struct StoppedTreatment {
    /// The day it stopped (the end of the statement's period, or the administration's date).
    pub date: Option<Date>,
    /// The `statusReason` text, when recorded.
    pub reason: Option<String>,
    /// The record.
    pub source: FhirRef,
}

/// The doses of one drug, oldest first, one event per day (same-day duplicates across sources
/// merged: an administration wins over a statement, a statement over an order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DoseHistory {
    events: Vec<DoseEvent>,
    uncounted: Vec<UncountedDoses>,
    stopped: Vec<StoppedTreatment>,
}

impl DoseHistory {
    /// Sorts the events by date and keeps one per day (given before reported before ordered,
    /// then the first source).
    pub fn new(mut events: Vec<DoseEvent>) -> Self {
        events.sort_by(|a, b| {
            a.date
                .cmp(&b.date)
                .then_with(|| a.known_from.cmp(&b.known_from))
                .then_with(|| a.source.cmp(&b.source))
        });
        events.dedup_by(|later, earlier| later.date == earlier.date);
        Self {
            events,
            uncounted: Vec::new(),
            stopped: Vec::new(),
        }
    }

    /// The same history with records of an unknown number of doses and stopped treatments.
    pub fn with_uncounted_and_stopped(
        mut self,
        mut uncounted: Vec<UncountedDoses>,
        mut stopped: Vec<StoppedTreatment>,
    ) -> Self {
        uncounted.sort_by(|a, b| a.first.cmp(&b.first).then_with(|| a.source.cmp(&b.source)));
        stopped.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.source.cmp(&b.source)));
        self.uncounted = uncounted;
        self.stopped = stopped;
        self
    }

    /// The counted doses, oldest first.
    pub fn events(&self) -> &[DoseEvent] {
        &self.events
    }

    /// Records of an unknown number of doses, oldest first.
    pub fn uncounted(&self) -> &[UncountedDoses] {
        &self.uncounted
    }

    /// Treatments recorded as stopped, oldest first.
    pub fn stopped(&self) -> &[StoppedTreatment] {
        &self.stopped
    }

    /// Whether no dose is on record (counted or not).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.uncounted.is_empty()
    }
}

/// An oral steroid the patient is on now (relapse on oral steroids).
#[derive(Debug, Clone)]
pub struct CurrentSteroid {
    /// Which one (prednisone, prednisolone or dexamethasone: `MedicationClass::is_oral_steroid`).
    pub drug: MedicationClass,
    /// The active MedicationStatement or MedicationRequest.
    pub source: FhirRef,
}

/// What a qualitative lab result says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultStatus {
    /// Positive, reactive, detected.
    Positive,
    /// Negative, non-reactive, not detected.
    Negative,
    /// Neither can be read with confidence: equivocal, weakly reactive, a value and an
    /// interpretation that disagree, or nothing readable.
    Unreadable,
}

/// A final lab Observation and what it says.
#[derive(Debug, Clone)]
pub struct LabResult {
    /// When it was taken.
    pub date: Date,
    /// What it says.
    pub status: ResultStatus,
    /// The Observation.
    pub source: FhirRef,
}

/// Hepatitis B status, per test: a positive result at any date (unless a later result of the
/// same test is negative), else the latest result within the look-back.
#[derive(Debug, Clone, Default)]
pub struct HepatitisBScreening {
    /// HBsAg.
    pub hbsag: Option<LabResult>,
    /// Anti-HBc.
    pub anti_hbc: Option<LabResult>,
}

impl ResultStatus {
    /// "positive", "negative" or "unreadable", as a card writes it.
    pub fn word(self) -> &'static str {
        match self {
            ResultStatus::Positive => "positive",
            ResultStatus::Negative => "negative",
            ResultStatus::Unreadable => "unreadable",
        }
    }
}

impl HepatitisBScreening {
    /// Each test with its name as a card writes it, in a fixed order.
    pub fn by_test(&self) -> [(&'static str, Option<&LabResult>); 2] {
        [
            ("HBsAg", self.hbsag.as_ref()),
            ("anti-HBc", self.anti_hbc.as_ref()),
        ]
    }

    /// Both tests have a result on record (whatever it says).
    pub fn is_complete(&self) -> bool {
        self.hbsag.is_some() && self.anti_hbc.is_some()
    }

    /// Either test is positive.
    pub fn any_positive(&self) -> bool {
        [&self.hbsag, &self.anti_hbc]
            .into_iter()
            .flatten()
            .any(|result| result.status == ResultStatus::Positive)
    }

    /// The positive results, each as "HBsAg positive on 14 Sep 2026".
    pub fn positives_in_words(&self) -> Vec<String> {
        self.by_test()
            .into_iter()
            .filter_map(|(test, result)| {
                let result = result.filter(|r| r.status == ResultStatus::Positive)?;
                Some(result_in_words(test, result))
            })
            .collect()
    }

    /// Whether anti-HBc is positive and HBsAg is not (possibly passive after IVIG).
    pub fn anti_hbc_only(&self) -> bool {
        let positive = |r: &Option<LabResult>| {
            r.as_ref()
                .is_some_and(|r| r.status == ResultStatus::Positive)
        };
        positive(&self.anti_hbc) && !positive(&self.hbsag)
    }
}

/// One result as a card writes it: "anti-HBc negative on 14 Sep 2026".
pub fn result_in_words(test: &str, result: &LabResult) -> String {
    format!(
        "{test} {} on {}",
        result.status.word(),
        date_in_words(result.date)
    )
}

/// A reaction to, or an allergy to, rituximab or another anti-CD20 antibody.
#[derive(Debug, Clone, PartialEq)]
pub struct DrugReaction {
    /// What the record says happened (the manifestation or the stop reason), in its own words.
    pub description: String,
    /// When, if dated.
    pub date: Option<Date>,
    /// How it is recorded.
    pub recorded_as: ReactionRecord,
    /// The AllergyIntolerance, MedicationStatement or MedicationAdministration.
    pub source: FhirRef,
}

/// Where a drug reaction is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionRecord {
    /// An AllergyIntolerance (allergy or intolerance), not refuted or entered in error.
    RituximabReaction,
    /// A rituximab statement or administration stopped for a reaction.
    StoppedForReaction,
}

/// Whether the patient is pregnant (section 2): the latest evidence within the window wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pregnancy {
    /// An active pregnancy Condition, a pregnancy-status Observation saying pregnant, or a
    /// positive hCG within its window, with no later evidence against it.
    Pregnant {
        /// The date of the evidence.
        date: Date,
        /// The evidence, in clinical words ("serum hCG 850 [IU]/L").
        evidence: String,
        /// The record.
        source: FhirRef,
    },
    /// Nothing on record says so (not the same as "not pregnant").
    NotKnown,
}

/// The latest adult tumour work-up after the OMS onset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdultTumourWorkup {
    /// Its date.
    pub date: Date,
    /// What it was, in the record's words.
    pub description: String,
    /// The Procedure, DiagnosticReport, Observation, ServiceRequest or Condition.
    pub source: FhirRef,
}

/// A body measurement with the date and the Observation it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured<Q> {
    /// The value in the model's unit.
    pub value: Q,
    /// The day it was measured.
    pub date: Date,
}

/// A dated, converted measurement and the Observation it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading<Q> {
    /// The value and date.
    pub measured: Measured<Q>,
    /// The Observation.
    pub source: FhirRef,
}

/// A body measurement together with its source reference and its fitness for dosing.
#[derive(Debug, Clone, PartialEq)]
pub enum Measurement<Q> {
    /// Nothing usable on record.
    Missing,
    /// Nothing dated on or before the evaluation date; a reading dated after it exists.
    FutureDated(FutureReading),
    /// A value fit for dosing.
    Usable {
        /// The value and date.
        measured: Measured<Q>,
        /// The Observation.
        source: FhirRef,
    },
    /// Older than the staleness limit.
    Stale {
        /// The value and date.
        measured: Measured<Q>,
        /// The Observation.
        source: FhirRef,
        /// The limit it broke, in days.
        max_age_days: u32,
    },
    /// Outside the plausibility range.
    Implausible {
        /// The value and date.
        measured: Measured<Q>,
        /// The Observation.
        source: FhirRef,
        /// The accepted range, inclusive.
        range: (Q, Q),
    },
    /// Disagrees with another reading: a weight that changed by more than the allowed share since
    /// the previous one (a pound value entered as kilograms), or two weights on the same day
    /// that differ.
    Inconsistent {
        /// The value and date.
        measured: Measured<Q>,
        /// The Observation.
        source: FhirRef,
        /// The reading it disagrees with.
        other: Reading<Q>,
        /// How.
        conflict: Conflict,
    },
}

/// A reading dated after the evaluation date.
#[derive(Debug, Clone, PartialEq)]
pub struct FutureReading {
    /// Its date.
    pub date: Date,
    /// The Observation.
    pub source: FhirRef,
}

/// How two readings disagree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Conflict {
    /// The change since the previous reading, in percent, is over the limit.
    ChangeSincePrevious {
        /// The change, in percent of the previous value, rounded to a whole number.
        percent: Decimal,
        /// The limit, in percent.
        limit_percent: u32,
    },
    /// Two readings on the same day differ by more than the limit.
    SameDay {
        /// The limit, in percent of the smaller.
        limit_percent: u32,
    },
}

impl<Q: Copy> Measurement<Q> {
    /// The value and its source, only when it is fit for dosing.
    pub fn usable(&self) -> Option<(Measured<Q>, &FhirRef)> {
        match self {
            Measurement::Usable { measured, source } => Some((*measured, source)),
            _ => None,
        }
    }
}

/// The formula used to compute body surface area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BsaFormula {
    /// sqrt(height_cm x weight_kg / 3600)
    #[default]
    Mosteller,
    /// 0.024265 x weight_kg^0.5378 x height_cm^0.3964
    Haycock,
}

/// Body surface area and how it was obtained.
#[derive(Debug, Clone, PartialEq)]
pub enum BodySurfaceArea {
    /// Computed from a usable weight and height, rounded once, to 2 decimals.
    Computed {
        /// The rounded BSA: the value doses are computed from.
        value: SquareMetres,
        /// The BSA before rounding.
        unrounded: SquareMetres,
        /// Which formula.
        formula: BsaFormula,
        /// The weight it came from.
        weight: Reading<Kilograms>,
        /// The height it came from.
        height: Reading<Centimetres>,
    },
    /// Taken from a recent, plausible BSA Observation (used only without weight and height).
    Observed {
        /// The value and date.
        measured: Measured<SquareMetres>,
        /// The Observation.
        source: FhirRef,
    },
    /// No BSA fit for dosing (the measurements say why).
    Unavailable,
}

impl BodySurfaceArea {
    /// The BSA value fit for dosing, if any.
    pub fn value(&self) -> Option<SquareMetres> {
        match self {
            BodySurfaceArea::Computed { value, .. } => Some(*value),
            BodySurfaceArea::Observed { measured, .. } => Some(measured.value),
            BodySurfaceArea::Unavailable => None,
        }
    }
}

/// Weight, height and BSA, each judged fit or unfit for dosing.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyMeasurements {
    /// The latest weight.
    pub weight: Measurement<Kilograms>,
    /// The latest height.
    pub height: Measurement<Centimetres>,
    /// The BSA for dosing.
    pub bsa: BodySurfaceArea,
}

/// The medication classes the rules recognise in orders and history: the project's one drug
/// vocabulary (value sets, facts, rules and the orders the service proposes all use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MedicationClass {
    /// Rituximab for IV use, including biosimilars.
    Rituximab,
    /// Subcutaneous rituximab with hyaluronidase: excluded from mg/m2 dosing.
    RituximabSubcutaneous,
    /// Cyclophosphamide.
    Cyclophosphamide,
    /// Dexamethasone.
    Dexamethasone,
    /// Prednisone.
    Prednisone,
    /// Prednisolone.
    Prednisolone,
    /// Methylprednisolone.
    Methylprednisolone,
    /// Intravenous immunoglobulin.
    Ivig,
    /// Corticotropin (ACTH).
    Corticotropin,
}

impl MedicationClass {
    /// A corticosteroid (for the `corticosteroid-options` card).
    pub fn is_corticosteroid(self) -> bool {
        matches!(
            self,
            Self::Dexamethasone | Self::Prednisone | Self::Prednisolone | Self::Methylprednisolone
        )
    }

    /// Any rituximab product.
    pub fn is_rituximab(self) -> bool {
        matches!(self, Self::Rituximab | Self::RituximabSubcutaneous)
    }

    /// A steroid the patient can be "on" (relapse on oral steroids): taken by mouth or with no
    /// route recorded.
    pub fn is_oral_steroid(self) -> bool {
        matches!(
            self,
            Self::Prednisone | Self::Prednisolone | Self::Dexamethasone | Self::Methylprednisolone
        )
    }

    /// The ingredient name, as cards and orders write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rituximab => "rituximab",
            Self::RituximabSubcutaneous => "rituximab and hyaluronidase (subcutaneous)",
            Self::Cyclophosphamide => "cyclophosphamide",
            Self::Dexamethasone => "dexamethasone",
            Self::Prednisone => "prednisone",
            Self::Prednisolone => "prednisolone",
            Self::Methylprednisolone => "methylprednisolone",
            Self::Ivig => "intravenous immunoglobulin",
            Self::Corticotropin => "corticotropin",
        }
    }

    /// The RxNorm ingredient code of a drug the service orders; `None` for the classes it never
    /// orders (so no order of them can be rendered).
    pub fn rxnorm(self) -> Option<&'static str> {
        match self {
            Self::Rituximab => Some("121191"),
            Self::Cyclophosphamide => Some("3002"),
            Self::Dexamethasone => Some("3264"),
            Self::Methylprednisolone => Some("6902"),
            _ => None,
        }
    }
}

/// The route of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// SNOMED 47625008.
    Intravenous,
    /// SNOMED 26643006.
    Oral,
    /// Subcutaneous.
    Subcutaneous,
    /// Anything else, by its display or code.
    Other(String),
}

/// A relevant medication order in play (a draft MedicationRequest of a recognised class).
#[derive(Debug, Clone)]
pub struct OrderInPlay {
    /// `MedicationRequest/{id}` of the draft.
    pub reference: FhirRef,
    /// What the order is for.
    pub medication: MedicationClass,
    /// The route, when coded.
    pub route: Option<Route>,
    /// The ordered dose per administration, when given in a usable unit.
    pub dose: Option<DoseAmount>,
    /// How often it is given (`timing.repeat`, or a single `timing.event`), when stated.
    pub timing: Option<OrderTiming>,
    /// What the order is for, by its `reasonReference` / `reasonCode`.
    pub indication: OrderIndication,
}

/// An order's schedule, from its `timing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTiming {
    /// Administrations per period (`timing.repeat.frequency`; 1 when absent).
    pub frequency: u32,
    /// The period in days (`period` x `periodUnit`), when stated.
    pub period_days: Option<Decimal>,
    /// The number of administrations in all (`timing.repeat.count`), when stated.
    pub count: Option<u32>,
    /// A single administration: `count` 1 or exactly one `timing.event` (a premedication, an
    /// antiemetic).
    pub single_administration: bool,
}

/// What an order is given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderIndication {
    /// OMS: its reason is the OMS Condition, an ambiguous OMS code, or an OMS symptom.
    Oms,
    /// No reason is given (read as an OMS order for a patient with relapsed OMS).
    NotStated,
    /// Another condition (a neuroblastoma, a malignancy, anything else): not an OMS order.
    OtherCondition,
}

/// Something in the data that limits the answer; shown on cards, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataIssue {
    /// What kind of problem.
    pub kind: DataIssueKind,
    /// The resource concerned, when there is one.
    pub source: Option<FhirRef>,
    /// A sentence for the clinician: what is wrong and what it means.
    pub message: String,
}

/// Categories of data problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataIssueKind {
    /// A resource could not be parsed as FHIR R4.
    UnparseableResource,
    /// A prefetch value was an OperationOutcome: the EHR hit an error.
    PrefetchError,
    /// A quantity had a missing or unknown unit.
    UnknownUnit,
    /// A measurement was missing.
    MissingMeasurement,
    /// A measurement was too old.
    StaleMeasurement,
    /// A measurement was outside the plausible range.
    ImplausibleMeasurement,
    /// A `medicationReference` could not be resolved.
    UnresolvedMedication,
    /// A date could not be read.
    UnreadableDate,
    /// Optional data could not be obtained (neither prefetch nor FHIR server).
    MissingOptionalData,
    /// A resource about another patient (or naming its patient only by an identifier) was left out.
    OtherPatient,
    /// A measurement disagrees with another one and was not used.
    InconsistentMeasurement,
    /// A measurement is dated after the evaluation date and was not used.
    FutureDated,
    /// A medication record marked active is too old to be current treatment.
    OutdatedActiveRecord,
}

impl DataIssueKind {
    /// A stable kebab-case name, for scenario files and logs.
    pub fn code(self) -> &'static str {
        match self {
            DataIssueKind::UnparseableResource => "unparseable-resource",
            DataIssueKind::PrefetchError => "prefetch-error",
            DataIssueKind::UnknownUnit => "unknown-unit",
            DataIssueKind::MissingMeasurement => "missing-measurement",
            DataIssueKind::StaleMeasurement => "stale-measurement",
            DataIssueKind::ImplausibleMeasurement => "implausible-measurement",
            DataIssueKind::UnresolvedMedication => "unresolved-medication",
            DataIssueKind::UnreadableDate => "unreadable-date",
            DataIssueKind::MissingOptionalData => "missing-optional-data",
            DataIssueKind::OtherPatient => "other-patient",
            DataIssueKind::InconsistentMeasurement => "inconsistent-measurement",
            DataIssueKind::FutureDated => "future-dated",
            DataIssueKind::OutdatedActiveRecord => "outdated-active-record",
        }
    }
}

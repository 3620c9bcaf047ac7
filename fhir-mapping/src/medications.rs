//! Medications: resolving what a medication resource is about (code, contained or referenced
//! Medication), dose histories of rituximab and cyclophosphamide, and the current oral steroid
//! (section 2).
//!
//! Invariant: an order in play (a draft) is never part of a history; only what was given, or is
//! recorded as given or active, counts.

use fhirbolt::model::r4::resources::{
    Medication, MedicationAdministration, MedicationAdministrationEffective,
    MedicationAdministrationMedication, MedicationIngredientItem, MedicationRequest,
    MedicationRequestMedication, MedicationStatement, MedicationStatementEffective,
    MedicationStatementMedication,
};
use fhirbolt::model::r4::types::{
    CodeableConcept, Dosage, DosageDoseAndRateDose, Quantity, Reference, TimingRepeat,
    TimingRepeatBounds,
};
use fhirbolt::model::r4::Resource;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use time::{Date, Duration};

use crate::codes::ValueSetName;
use crate::elements::{concept_label, day_of, decimal, reference_text, text_of, ucum_quantity};
use crate::facts::capitalised;
use crate::facts::{
    CurrentSteroid, DataIssue, DataIssueKind, DoseAmount, DoseEvent, DoseHistory, DoseKnownFrom,
    DrugReaction, FhirRef, MedicationClass, OrderIndication, ReactionRecord, Route,
    StoppedTreatment, UncountedDoses,
};
use crate::orders::indication_of;
use crate::units::dose_amount;
use crate::{currency, Context};

/// A `timing.repeat.count` above this is treated as this many doses: no real course of these
/// drugs is longer, and it bounds the work a hostile request can cause.
const MAX_DOSES_PER_RECORD: u32 = 100;

/// An ordered dose within this many days of a given or reported one is that dose (an infusion
/// moved by a day or two), not another.
const SAME_DOSE_MARGIN_DAYS: i64 = 3;

/// The default interval between repeated doses when a count has no period: once weekly, the
/// rituximab course schedule.
const DEFAULT_INTERVAL_DAYS: i64 = 7;

/// What a medication element names: a concept, a reference to resolve, or nothing.
#[derive(Debug, Clone, Copy)]
pub enum MedicationChoice<'a> {
    /// `medicationCodeableConcept`.
    Concept(&'a CodeableConcept),
    /// `medicationReference`.
    Reference(&'a Reference),
    /// Absent or malformed.
    Missing,
}

impl<'a> From<&'a MedicationRequestMedication> for MedicationChoice<'a> {
    fn from(medication: &'a MedicationRequestMedication) -> Self {
        match medication {
            MedicationRequestMedication::CodeableConcept(c) => Self::Concept(c),
            MedicationRequestMedication::Reference(r) => Self::Reference(r),
            MedicationRequestMedication::Invalid => Self::Missing,
        }
    }
}

impl<'a> From<&'a MedicationStatementMedication> for MedicationChoice<'a> {
    fn from(medication: &'a MedicationStatementMedication) -> Self {
        match medication {
            MedicationStatementMedication::CodeableConcept(c) => Self::Concept(c),
            MedicationStatementMedication::Reference(r) => Self::Reference(r),
            MedicationStatementMedication::Invalid => Self::Missing,
        }
    }
}

impl<'a> From<&'a MedicationAdministrationMedication> for MedicationChoice<'a> {
    fn from(medication: &'a MedicationAdministrationMedication) -> Self {
        match medication {
            MedicationAdministrationMedication::CodeableConcept(c) => Self::Concept(c),
            MedicationAdministrationMedication::Reference(r) => Self::Reference(r),
            MedicationAdministrationMedication::Invalid => Self::Missing,
        }
    }
}

/// The medication class of a record, resolving `medicationReference` to a contained Medication
/// (`#id`) or a Medication anywhere in the request; an unresolved reference is a data issue.
pub fn medication_class(
    context: &Context<'_>,
    owner: &FhirRef,
    contained: &[Resource],
    choice: MedicationChoice<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<MedicationClass> {
    let concept = match choice {
        MedicationChoice::Concept(concept) => concept,
        MedicationChoice::Missing => return None,
        MedicationChoice::Reference(reference) => {
            match resolve_medication(context, contained, reference) {
                Some(medication) => return class_of_medication(context, medication),
                None => {
                    issues.push(DataIssue {
                        kind: DataIssueKind::UnresolvedMedication,
                        source: Some(owner.clone()),
                        message: format!(
                            "{} names a medication that is neither in it nor in the request ({}); \
                             its drug is unknown.",
                            capitalised(owner.kind_in_words()),
                            reference
                                .display
                                .as_ref()
                                .and_then(|d| text_of!(d))
                                .unwrap_or("no name given")
                        ),
                    });
                    return None;
                }
            }
        }
    };
    context.terminology.medication_class(concept)
}

/// A Medication's class: by its code, else by its ingredients (EHRs code products with product
/// codes the value sets may not list; the ingredient is then rituximab, say). Ingredients naming
/// both rituximab and hyaluronidase make the subcutaneous product.
fn class_of_medication(context: &Context<'_>, medication: &Medication) -> Option<MedicationClass> {
    let terminology = context.terminology;
    if let Some(class) = medication
        .code
        .as_deref()
        .and_then(|code| terminology.medication_class(code))
    {
        return Some(class);
    }
    let ingredients: Vec<&CodeableConcept> = medication
        .ingredient
        .iter()
        .filter(|ingredient| ingredient.is_active.as_ref().and_then(|a| a.value) != Some(false))
        .filter_map(|ingredient| match &ingredient.item {
            MedicationIngredientItem::CodeableConcept(concept) => Some(&**concept),
            _ => None,
        })
        .collect();
    // The product's ingredients read together ("rituximab and hyaluronidase human") decide a
    // subcutaneous product by the same value set as a coded product's text.
    // Rituximab first, so "hyaluronidase human" + "rituximab" reads as the product's name does.
    let mut labels: Vec<(bool, &str)> = ingredients
        .iter()
        .filter_map(|concept| {
            let is_rituximab =
                terminology.medication_class(concept) == Some(MedicationClass::Rituximab);
            Some((!is_rituximab, concept_label(concept)?))
        })
        .collect();
    labels.sort_by_key(|(not_rituximab, _)| *not_rituximab);
    let together = labels
        .iter()
        .map(|(_, label)| *label)
        .collect::<Vec<_>>()
        .join(" and ");
    let subcutaneous = MedicationClass::RituximabSubcutaneous;
    if terminology.text_in(ValueSetName::Medication(subcutaneous), &together) {
        return Some(subcutaneous);
    }
    ingredients
        .iter()
        .find_map(|concept| terminology.medication_class(concept))
}

/// The Medication a reference names (contained or in the request); `None` when unresolved.
fn resolve_medication<'a>(
    context: &Context<'a>,
    contained: &'a [Resource],
    reference: &Reference,
) -> Option<&'a Medication> {
    let text = reference_text(reference)?;
    let medication = if let Some(local_id) = text.strip_prefix('#') {
        contained.iter().find_map(|resource| match resource {
            Resource::Medication(medication)
                if medication.id.as_ref().and_then(|id| text_of!(id)) == Some(local_id) =>
            {
                Some(medication.as_ref())
            }
            _ => None,
        })
    } else {
        match context.index.resolve(text) {
            Some((_, Resource::Medication(medication))) => Some(medication.as_ref()),
            _ => None,
        }
    }?;
    Some(medication)
}

/// The dose histories and the current oral steroid.
#[derive(Debug, Default)]
pub struct MedicationHistory {
    /// Rituximab doses (any rituximab product).
    pub rituximab: DoseHistory,
    /// Cyclophosphamide pulses.
    pub cyclophosphamide: DoseHistory,
    /// An active oral steroid, if any.
    pub oral_steroid: Option<CurrentSteroid>,
    /// Rituximab statements and administrations stopped for a reaction.
    pub rituximab_reactions: Vec<DrugReaction>,
}

/// What one record says about the doses of one drug.
#[derive(Debug, Default)]
struct RecordDoses {
    counted: Vec<DoseEvent>,
    uncounted: Option<UncountedDoses>,
}

/// The records of one drug, before they become its history.
#[derive(Debug, Default)]
struct DrugRecords {
    /// Doses given or reported.
    taken: Vec<DoseEvent>,
    /// Each order's doses, kept apart: an ordered dose counts only when no given or reported
    /// dose records it.
    ordered: Vec<Vec<DoseEvent>>,
    uncounted: Vec<UncountedDoses>,
    stopped: Vec<StoppedTreatment>,
}

impl DrugRecords {
    fn add(&mut self, doses: RecordDoses) {
        match doses.counted.first().map(|dose| dose.known_from) {
            Some(DoseKnownFrom::Ordered) => self.ordered.push(doses.counted),
            _ => self.taken.extend(doses.counted),
        }
        self.uncounted.extend(doses.uncounted);
    }

    /// The history: an ordered dose is left out when a given or reported dose lies within a few
    /// days of it (the same dose, better known); the order's other doses stay, marked ordered.
    fn into_history(self) -> DoseHistory {
        let margin = Duration::days(SAME_DOSE_MARGIN_DAYS);
        let mut events = self.taken;
        let ordered: Vec<DoseEvent> = self
            .ordered
            .into_iter()
            .flatten()
            .filter(|ordered| {
                !events
                    .iter()
                    .any(|taken| (taken.date - ordered.date).abs() <= margin)
            })
            .collect();
        events.extend(ordered);
        DoseHistory::new(events).with_uncounted_and_stopped(self.uncounted, self.stopped)
    }
}

/// Reads every MedicationAdministration, MedicationStatement and non-draft MedicationRequest.
pub fn medication_history(context: &Context<'_>, issues: &mut Vec<DataIssue>) -> MedicationHistory {
    let mut history = HistoryBuilder::default();
    for (reference, administration) in context.index.medication_administrations() {
        history.administration(context, reference, administration, issues);
    }
    for (reference, statement) in context.index.medication_statements() {
        history.statement(context, reference, statement, issues);
    }
    for (reference, request) in context.index.medication_requests() {
        if !context.index.is_draft(reference) {
            history.request(context, reference, request, issues);
        }
    }
    MedicationHistory {
        rituximab: history.rituximab.into_history(),
        cyclophosphamide: history.cyclophosphamide.into_history(),
        oral_steroid: history.oral_steroid,
        rituximab_reactions: history.rituximab_reactions,
    }
}

/// The histories as the records are read.
#[derive(Debug, Default)]
struct HistoryBuilder {
    rituximab: DrugRecords,
    cyclophosphamide: DrugRecords,
    oral_steroid: Option<CurrentSteroid>,
    rituximab_reactions: Vec<DrugReaction>,
}

impl HistoryBuilder {
    /// The records of a drug whose doses are counted (rituximab, cyclophosphamide).
    fn records_of(&mut self, class: MedicationClass) -> Option<&mut DrugRecords> {
        if class.is_rituximab() {
            Some(&mut self.rituximab)
        } else if class == MedicationClass::Cyclophosphamide {
            Some(&mut self.cyclophosphamide)
        } else {
            None
        }
    }

    /// A stopped record: kept with its reason; a rituximab record stopped for a reaction is a
    /// reaction on record.
    fn stopped(
        &mut self,
        context: &Context<'_>,
        class: MedicationClass,
        source: &FhirRef,
        date: Option<Date>,
        reason: Option<&str>,
    ) {
        if class.is_rituximab() {
            self.rituximab_reactions
                .extend(reaction_of(context, source, date, reason));
        }
        if let Some(records) = self.records_of(class) {
            records.stopped.push(StoppedTreatment {
                date,
                reason: reason.map(str::to_owned),
                source: source.clone(),
            });
        }
    }

    /// A completed administration is a dose given; a stopped one is kept as stopped.
    fn administration(
        &mut self,
        context: &Context<'_>,
        reference: &FhirRef,
        administration: &MedicationAdministration,
        issues: &mut Vec<DataIssue>,
    ) {
        let status = text_of!(administration.status);
        if !matches!(status, Some("completed" | "stopped")) {
            return;
        }
        let choice = MedicationChoice::from(&administration.medication);
        let contained = &administration.contained;
        let Some(class) = medication_class(context, reference, contained, choice, issues) else {
            return;
        };
        let date = administration_date(administration);
        if status == Some("stopped") {
            let reason = administration.status_reason.iter().find_map(concept_label);
            self.stopped(context, class, reference, date, reason);
            return;
        }
        let Some(date) = date else {
            issues.push(undated(reference));
            return;
        };
        let amount = administration
            .dosage
            .as_ref()
            .and_then(|dosage| dosage.dose.as_deref())
            .and_then(|dose| amount_of(reference, dose, issues));
        let indication = indication_of(
            context,
            &administration.reason_reference,
            &administration.reason_code,
        );
        if date > context.today {
            return;
        }
        if let Some(records) = self.records_of(class) {
            records.taken.push(DoseEvent {
                date,
                amount,
                source: reference.clone(),
                known_from: DoseKnownFrom::Given,
                indication,
            });
        }
    }

    /// An active, completed or stopped statement: the doses it reports.
    fn statement(
        &mut self,
        context: &Context<'_>,
        reference: &FhirRef,
        statement: &MedicationStatement,
        issues: &mut Vec<DataIssue>,
    ) {
        let status = text_of!(statement.status);
        if !matches!(status, Some("active" | "completed" | "stopped")) {
            return;
        }
        let stopped = status == Some("stopped");
        let choice = MedicationChoice::from(&statement.medication);
        let contained = &statement.contained;
        let Some(class) = medication_class(context, reference, contained, choice, issues) else {
            return;
        };
        let (start, end, single_instant) = match &statement.effective {
            Some(MedicationStatementEffective::DateTime(date_time)) => {
                let day = day_of(text_of!(date_time));
                (day, day, true)
            }
            Some(MedicationStatementEffective::Period(period)) => (
                day_of(period.start.as_ref().and_then(|s| text_of!(s))),
                day_of(period.end.as_ref().and_then(|s| text_of!(s))),
                false,
            ),
            _ => (None, None, false),
        };
        if stopped {
            let reason = statement.status_reason.iter().find_map(concept_label);
            self.stopped(context, class, reference, end.or(start), reason);
        }
        let dosage = statement.dosage.first();
        let schedule = Schedule {
            reference,
            start,
            end: if stopped { end } else { None },
            period_end: end,
            stopped,
            single_instant,
            known_from: DoseKnownFrom::Reported,
            indication: indication_of(context, &statement.reason_reference, &statement.reason_code),
        };
        let doses = schedule.doses(dosage, context.today, issues);
        self.add_doses(class, doses);
        if status == Some("active") && self.may_be_current_steroid(class) {
            let current =
                currency::statement_is_current(class.name(), reference, statement, context, issues);
            self.note_current_steroid(current, reference, class, dosage, context);
        }
    }

    /// An active or completed order (never a draft): its doses are "ordered".
    fn request(
        &mut self,
        context: &Context<'_>,
        reference: &FhirRef,
        request: &MedicationRequest,
        issues: &mut Vec<DataIssue>,
    ) {
        let status = text_of!(request.status);
        if !matches!(status, Some("active" | "completed")) {
            return;
        }
        let choice = MedicationChoice::from(&request.medication);
        let contained = &request.contained;
        let Some(class) = medication_class(context, reference, contained, choice, issues) else {
            return;
        };
        let dosage = request.dosage_instruction.first();
        let schedule = Schedule {
            reference,
            start: request_start(request, dosage),
            end: None,
            period_end: None,
            stopped: false,
            // An order without a count is one dose on its start day.
            single_instant: true,
            known_from: DoseKnownFrom::Ordered,
            indication: indication_of(context, &request.reason_reference, &request.reason_code),
        };
        let doses = schedule.doses(dosage, context.today, issues);
        self.add_doses(class, doses);
        if status == Some("active") && self.may_be_current_steroid(class) {
            let current =
                currency::request_is_current(class.name(), reference, request, context, issues);
            self.note_current_steroid(current, reference, class, dosage, context);
        }
    }

    /// Adds a record's doses to its drug's history (rituximab, cyclophosphamide).
    fn add_doses(&mut self, class: MedicationClass, doses: RecordDoses) {
        if let Some(records) = self.records_of(class) {
            records.add(doses);
        }
    }

    /// Whether an active record of `class` may still be the current oral steroid: none found yet.
    fn may_be_current_steroid(&self, class: MedicationClass) -> bool {
        self.oral_steroid.is_none() && class.is_oral_steroid()
    }

    /// The first current active oral-steroid record is the steroid the patient is on now.
    fn note_current_steroid(
        &mut self,
        current: bool,
        reference: &FhirRef,
        class: MedicationClass,
        dosage: Option<&Dosage>,
        context: &Context<'_>,
    ) {
        if current {
            self.oral_steroid = current_oral_steroid(reference, class, dosage, context);
        }
    }
}

/// An administration's day: `effectiveDateTime`, else the period's start.
fn administration_date(administration: &MedicationAdministration) -> Option<Date> {
    match &administration.effective {
        MedicationAdministrationEffective::DateTime(date_time) => day_of(text_of!(date_time)),
        MedicationAdministrationEffective::Period(period) => {
            day_of(period.start.as_ref().and_then(|s| text_of!(s)))
        }
        MedicationAdministrationEffective::Invalid => None,
    }
}

/// A reaction, when a stopped rituximab record's reason says it was one (the `drug_reaction`
/// value set: infusion reaction, anaphylaxis, hypersensitivity, ...).
fn reaction_of(
    context: &Context<'_>,
    reference: &FhirRef,
    date: Option<Date>,
    reason: Option<&str>,
) -> Option<DrugReaction> {
    let reason = reason?;
    context
        .terminology
        .text_in(ValueSetName::DrugReaction, reason)
        .then(|| DrugReaction {
            description: reason.to_owned(),
            date,
            recorded_as: ReactionRecord::StoppedForReaction,
            source: reference.clone(),
        })
}

/// A request's first dose day: `timing.repeat.boundsPeriod.start`, else `authoredOn`.
fn request_start(request: &MedicationRequest, dosage: Option<&Dosage>) -> Option<Date> {
    let bounds_start = dosage
        .and_then(|d| d.timing.as_deref())
        .and_then(|timing| timing.repeat.as_ref())
        .and_then(|repeat| match &repeat.bounds {
            Some(TimingRepeatBounds::Period(period)) => {
                day_of(period.start.as_ref().and_then(|s| text_of!(s)))
            }
            _ => None,
        });
    bounds_start.or_else(|| day_of(request.authored_on.as_ref().and_then(|d| text_of!(d))))
}

/// How a statement or request places its doses in time.
struct Schedule<'a> {
    reference: &'a FhirRef,
    /// The first dose day.
    start: Option<Date>,
    /// The last day doses were taken (a stopped statement's period end).
    end: Option<Date>,
    /// The end of the record's period, whatever its status (dates an uncounted record).
    period_end: Option<Date>,
    /// A stopped statement: without an end, how many doses were taken is unknown.
    stopped: bool,
    /// The record is dated by one instant (a statement's `effectiveDateTime`, an order's start):
    /// without a count it stands for one dose; a period without a count stands for an unknown
    /// number.
    single_instant: bool,
    known_from: DoseKnownFrom,
    indication: OrderIndication,
}

impl Schedule<'_> {
    /// The doses the record stands for: one per `timing.event`; else `count` N doses from the
    /// start, `period` apart (weekly by default), up to a stopped statement's end; else one dose
    /// (a record dated by one instant) or an unknown number (a period, or a stopped statement
    /// without an end). Doses after `today` have not happened and are left out.
    fn doses(
        &self,
        dosage: Option<&Dosage>,
        today: Date,
        issues: &mut Vec<DataIssue>,
    ) -> RecordDoses {
        let reference = self.reference;
        let amount = dosage_amount(reference, dosage, issues);
        let timing = dosage.and_then(|d| d.timing.as_deref());
        let event_dates: Vec<Date> = timing
            .map(|t| t.event.iter().filter_map(|e| day_of(text_of!(e))).collect())
            .unwrap_or_default();
        let repeat = timing.and_then(|t| t.repeat.as_ref());
        let count = repeat
            .and_then(|r| r.count.as_ref())
            .and_then(|c| c.value)
            .map(|count| count.clamp(1, MAX_DOSES_PER_RECORD));
        let dates = if !event_dates.is_empty() {
            event_dates
        } else {
            let Some(start) = self.start else {
                issues.push(undated(reference));
                return RecordDoses::default();
            };
            let unknown = match count {
                Some(_) => self.stopped && self.end.is_none(),
                None => self.stopped || !self.single_instant,
            };
            if unknown {
                let uncounted = UncountedDoses {
                    first: start,
                    last: self.period_end,
                    amount,
                    source: reference.clone(),
                    known_from: self.known_from,
                    indication: self.indication,
                };
                return RecordDoses {
                    counted: Vec::new(),
                    uncounted: (start <= today).then_some(uncounted),
                };
            }
            let interval = repeat
                .and_then(interval_days)
                .unwrap_or(DEFAULT_INTERVAL_DAYS);
            (0..i64::from(count.unwrap_or(1)))
                .filter_map(|k| start.checked_add(Duration::days(k * interval)))
                .filter(|date| self.end.is_none_or(|end| *date <= end))
                .collect()
        };
        let counted = dates
            .into_iter()
            .filter(|date| *date <= today)
            .map(|date| DoseEvent {
                date,
                amount,
                source: reference.clone(),
                known_from: self.known_from,
                indication: self.indication,
            })
            .collect();
        RecordDoses {
            counted,
            uncounted: None,
        }
    }
}

/// The days between repeated doses, from `period` and `periodUnit` (0 to 10 years).
fn interval_days(repeat: &TimingRepeat) -> Option<i64> {
    let days = period_in_days(repeat)?.floor().to_i64()?;
    (0..=3650).contains(&days).then_some(days)
}

/// `period` x `periodUnit` in days.
pub fn period_in_days(repeat: &TimingRepeat) -> Option<Decimal> {
    let period = decimal(repeat.period.as_ref()?)?;
    match repeat.period_unit.as_ref().and_then(|u| text_of!(u))? {
        "s" => Some(period / Decimal::from(86_400)),
        "min" => Some(period / Decimal::from(1_440)),
        "h" => Some(period / Decimal::from(24)),
        "d" => Some(period),
        "wk" => period.checked_mul(Decimal::from(7)),
        "mo" => period.checked_mul(Decimal::from(30)),
        "a" => period.checked_mul(Decimal::from(365)),
        _ => None,
    }
}

/// The dose of a dosage (its first `doseAndRate.doseQuantity`) in a usable unit.
pub fn dosage_amount(
    reference: &FhirRef,
    dosage: Option<&Dosage>,
    issues: &mut Vec<DataIssue>,
) -> Option<DoseAmount> {
    dosage
        .and_then(|d| d.dose_and_rate.first())
        .and_then(|dose_and_rate| match &dose_and_rate.dose {
            Some(DosageDoseAndRateDose::Quantity(quantity)) => {
                amount_of(reference, quantity, issues)
            }
            _ => None,
        })
}

/// A dose quantity in a usable unit; a value with an unknown or missing unit is a data issue.
pub fn amount_of(
    reference: &FhirRef,
    quantity: &Quantity,
    issues: &mut Vec<DataIssue>,
) -> Option<DoseAmount> {
    let (value, unit) = ucum_quantity(quantity);
    let value = value?;
    let amount = unit.and_then(|unit| dose_amount(value, unit));
    if amount.is_none() {
        issues.push(DataIssue {
            kind: DataIssueKind::UnknownUnit,
            source: Some(reference.clone()),
            message: format!(
                "The dose {value} on {} has {}; the amount is not used.",
                reference.kind_in_words(),
                unit.map_or_else(
                    || "no unit".to_owned(),
                    |u| format!("the unknown unit '{u}'")
                )
            ),
        });
    }
    amount
}

fn undated(reference: &FhirRef) -> DataIssue {
    DataIssue {
        kind: DataIssueKind::UnreadableDate,
        source: Some(reference.clone()),
        message: format!(
            "{} has no readable date; it is not counted as a dose.",
            capitalised(reference.kind_in_words())
        ),
    }
}

fn current_oral_steroid(
    reference: &FhirRef,
    class: MedicationClass,
    dosage: Option<&Dosage>,
    context: &Context<'_>,
) -> Option<CurrentSteroid> {
    if !class.is_oral_steroid() {
        return None;
    }
    let drug = class;
    let route = dosage
        .and_then(|d| d.route.as_deref())
        .map(|r| route_of(context, r));
    matches!(route, None | Some(Route::Oral)).then(|| CurrentSteroid {
        drug,
        source: reference.clone(),
    })
}

/// The route of a dosage, by the route value sets.
pub fn route_of(context: &Context<'_>, route: &CodeableConcept) -> Route {
    let terminology = context.terminology;
    if terminology.matches(ValueSetName::RouteIntravenous, route) {
        Route::Intravenous
    } else if terminology.matches(ValueSetName::RouteOral, route) {
        Route::Oral
    } else if terminology.matches(ValueSetName::RouteSubcutaneous, route) {
        Route::Subcutaneous
    } else {
        let code = route
            .coding
            .iter()
            .find_map(|c| c.code.as_ref().and_then(|c| text_of!(c)));
        Route::Other(
            concept_label(route)
                .or(code)
                .unwrap_or("unspecified")
                .to_owned(),
        )
    }
}

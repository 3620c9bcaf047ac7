//! Medications: resolving what a medication resource is about (code, contained or referenced
//! Medication), dose histories of rituximab and cyclophosphamide, and the current oral steroid
//! (section 2).
//!
//! Invariant: an order in play (a draft) is never part of a history; only what was given, or is
//! recorded as given or active, counts.

use fhirbolt::model::r4::resources::{
    Medication, MedicationAdministration, MedicationAdministrationEffective,
    MedicationAdministrationMedication, MedicationIngredientItem, MedicationRequest,
    MedicationRequestMedication, MedicationStatementEffective, MedicationStatementMedication,
};
use fhirbolt::model::r4::types::{
    CodeableConcept, Dosage, DosageDoseAndRateDose, Quantity, Reference, TimingRepeatBounds,
};
use fhirbolt::model::r4::Resource;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use time::{Date, Duration};

use crate::codes::ValueSetName;
use crate::elements::{concept_label, day_of, decimal, reference_text, text_of, ucum_quantity};
use crate::facts::{
    CurrentSteroid, DataIssue, DataIssueKind, DoseAmount, DoseEvent, DoseHistory, FhirRef,
    MedicationClass, Route,
};
use crate::units::dose_amount;
use crate::{currency, Context};

/// A `timing.repeat.count` above this is treated as this many doses: no real course of these
/// drugs is longer, and it bounds the work a hostile request can cause.
const MAX_DOSES_PER_RECORD: u32 = 100;

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
                            "{owner} refers to medication '{}', which is neither contained nor in the request; its drug is unknown.",
                            reference_text(reference)
                                .or(reference.display.as_ref().and_then(|d| text_of!(d)))
                                .unwrap_or("(empty reference)")
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
}

/// Reads every MedicationAdministration, MedicationStatement and non-draft MedicationRequest.
pub fn medication_history(context: &Context<'_>, issues: &mut Vec<DataIssue>) -> MedicationHistory {
    let mut rituximab = Vec::new();
    let mut cyclophosphamide = Vec::new();
    let mut oral_steroid = None;
    let mut record = |class: MedicationClass, events: Vec<DoseEvent>| {
        if class.is_rituximab() {
            rituximab.extend(events);
        } else if class == MedicationClass::Cyclophosphamide {
            cyclophosphamide.extend(events);
        }
    };

    for (reference, administration) in context.index.medication_administrations() {
        if text_of!(administration.status) != Some("completed") {
            continue;
        }
        let choice = MedicationChoice::from(&administration.medication);
        let Some(class) = medication_class(
            context,
            reference,
            &administration.contained,
            choice,
            issues,
        ) else {
            continue;
        };
        if let Some(event) = administration_event(reference, administration, issues) {
            record(
                class,
                vec![event]
                    .into_iter()
                    .filter(|e| e.date <= context.today)
                    .collect(),
            );
        }
    }

    for (reference, statement) in context.index.medication_statements() {
        let status = text_of!(statement.status);
        if !matches!(status, Some("active" | "completed")) {
            continue;
        }
        let choice = MedicationChoice::from(&statement.medication);
        let Some(class) =
            medication_class(context, reference, &statement.contained, choice, issues)
        else {
            continue;
        };
        let start = match &statement.effective {
            Some(MedicationStatementEffective::DateTime(date_time)) => day_of(text_of!(date_time)),
            Some(MedicationStatementEffective::Period(period)) => {
                day_of(period.start.as_ref().and_then(|s| text_of!(s)))
            }
            _ => None,
        };
        let dosage = statement.dosage.first();
        record(
            class,
            dosage_events(reference, start, dosage, context.today, issues),
        );
        if status == Some("active")
            && oral_steroid.is_none()
            && class.is_oral_steroid()
            && currency::statement_is_current(class.name(), reference, statement, context, issues)
        {
            oral_steroid = current_oral_steroid(reference, class, dosage, context);
        }
    }

    for (reference, request) in context.index.medication_requests() {
        let status = text_of!(request.status);
        if context.index.is_draft(reference) || !matches!(status, Some("active" | "completed")) {
            continue;
        }
        let choice = MedicationChoice::from(&request.medication);
        let Some(class) = medication_class(context, reference, &request.contained, choice, issues)
        else {
            continue;
        };
        let dosage = request.dosage_instruction.first();
        let start = request_start(request, dosage);
        record(
            class,
            dosage_events(reference, start, dosage, context.today, issues),
        );
        if status == Some("active")
            && oral_steroid.is_none()
            && class.is_oral_steroid()
            && currency::request_is_current(class.name(), reference, request, context, issues)
        {
            oral_steroid = current_oral_steroid(reference, class, dosage, context);
        }
    }

    MedicationHistory {
        rituximab: DoseHistory::new(rituximab),
        cyclophosphamide: DoseHistory::new(cyclophosphamide),
        oral_steroid,
    }
}

fn administration_event(
    reference: &FhirRef,
    administration: &MedicationAdministration,
    issues: &mut Vec<DataIssue>,
) -> Option<DoseEvent> {
    let date = match &administration.effective {
        MedicationAdministrationEffective::DateTime(date_time) => day_of(text_of!(date_time)),
        MedicationAdministrationEffective::Period(period) => {
            day_of(period.start.as_ref().and_then(|s| text_of!(s)))
        }
        MedicationAdministrationEffective::Invalid => None,
    };
    let Some(date) = date else {
        issues.push(undated(reference));
        return None;
    };
    let amount = administration
        .dosage
        .as_ref()
        .and_then(|dosage| dosage.dose.as_deref())
        .and_then(|dose| amount_of(reference, dose, issues));
    Some(DoseEvent {
        date,
        amount,
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

/// The doses a statement or request stands for: one per `timing.event`; else `count` N doses from
/// `start`, `period` apart (weekly by default); else one dose on `start`. Doses after `today`
/// have not happened and are left out.
fn dosage_events(
    reference: &FhirRef,
    start: Option<Date>,
    dosage: Option<&Dosage>,
    today: Date,
    issues: &mut Vec<DataIssue>,
) -> Vec<DoseEvent> {
    let amount = dosage
        .and_then(|d| d.dose_and_rate.first())
        .and_then(|dose_and_rate| match &dose_and_rate.dose {
            Some(DosageDoseAndRateDose::Quantity(quantity)) => {
                amount_of(reference, quantity, issues)
            }
            _ => None,
        });
    let timing = dosage.and_then(|d| d.timing.as_deref());
    let event_dates: Vec<Date> = timing
        .map(|t| t.event.iter().filter_map(|e| day_of(text_of!(e))).collect())
        .unwrap_or_default();
    let dates = if !event_dates.is_empty() {
        event_dates
    } else {
        let Some(start) = start else {
            issues.push(undated(reference));
            return Vec::new();
        };
        let repeat = timing.and_then(|t| t.repeat.as_ref());
        let count = repeat
            .and_then(|r| r.count.as_ref())
            .and_then(|c| c.value)
            .unwrap_or(1)
            .clamp(1, MAX_DOSES_PER_RECORD);
        let interval_days = repeat
            .and_then(|r| {
                let period = decimal(r.period.as_ref()?)?;
                let days = match r.period_unit.as_ref().and_then(|u| text_of!(u))? {
                    "s" => period / Decimal::from(86_400),
                    "min" => period / Decimal::from(1_440),
                    "h" => period / Decimal::from(24),
                    "d" => period,
                    "wk" => period.checked_mul(Decimal::from(7))?,
                    "mo" => period.checked_mul(Decimal::from(30))?,
                    "a" => period.checked_mul(Decimal::from(365))?,
                    _ => return None,
                };
                let days = days.floor().to_i64()?;
                (0..=3650).contains(&days).then_some(days)
            })
            .unwrap_or(DEFAULT_INTERVAL_DAYS);
        (0..i64::from(count))
            .filter_map(|k| start.checked_add(Duration::days(k * interval_days)))
            .collect()
    };
    dates
        .into_iter()
        .filter(|date| *date <= today)
        .map(|date| DoseEvent {
            date,
            amount,
            source: reference.clone(),
        })
        .collect()
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
                "The dose {value} on {reference} has {}; the amount is not used.",
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
        message: format!("{reference} has no readable date; it is not counted as a dose."),
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

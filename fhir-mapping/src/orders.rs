//! The orders in play (section 1): on `order-select` the draft orders named in
//! `context.selections`, on `order-sign` every draft order; only MedicationRequests of a
//! recognised medication class count, other request types are ignored quietly.

use fhirbolt::model::r4::resources::MedicationRequestMedication;
use fhirbolt::model::r4::types::{CodeableConcept, Reference, Timing};
use fhirbolt::model::r4::Resource;

use crate::codes::ValueSetName;
use crate::elements::{reference_text, text_of};
use crate::facts::{
    DataIssue, FhirRef, Hook, MedicationClass, OrderInPlay, OrderIndication, OrderTiming, Route,
};
use crate::medications::{
    dosage_amount, medication_class, period_in_days, route_of, MedicationChoice,
};
use crate::{Context, DraftOrders};

/// The relevant draft MedicationRequests in play, in the order the EHR sent them, and the drafts
/// themselves (for update suggestions).
pub fn orders_in_play(
    context: &Context<'_>,
    hook: Hook,
    selections: &[String],
    issues: &mut Vec<DataIssue>,
) -> (Vec<OrderInPlay>, DraftOrders) {
    let selected: Vec<FhirRef> = selections
        .iter()
        .map(|selection| FhirRef::from_relative(selection.trim()))
        .collect();
    let mut orders = Vec::new();
    let mut drafts = DraftOrders::default();
    for (reference, resource) in context.index.drafts() {
        if hook == Hook::OrderSelect && !selected.contains(reference) {
            continue;
        }
        let Resource::MedicationRequest(request) = resource else {
            continue;
        };
        let choice = MedicationChoice::from(&request.medication);
        let Some(medication) =
            medication_class(context, reference, &request.contained, choice, issues)
        else {
            continue;
        };
        let dosage = request.dosage_instruction.first();
        // Without a route element, an oral product ("Cyclophosphamide 50 MG Oral Tablet", as the
        // CDS Hooks sandbox orders it) is taken by mouth: never read as the IV regimen.
        let route = dosage
            .and_then(|d| d.route.as_deref())
            .map(|route| route_of(context, route))
            .or_else(|| oral_product(context, &request.medication).then_some(Route::Oral));
        // Subcutaneous immunoglobulin is not IV immunoglobulin: not a relevant order.
        if medication == MedicationClass::Ivig && route == Some(Route::Subcutaneous) {
            continue;
        }
        let dose = dosage_amount(reference, dosage, issues);
        orders.push(OrderInPlay {
            reference: reference.clone(),
            medication,
            route,
            dose,
            timing: dosage.and_then(|d| d.timing.as_deref()).map(order_timing),
            indication: indication_of(context, &request.reason_reference, &request.reason_code),
        });
        drafts.insert(reference.clone(), request.clone());
    }
    (orders, drafts)
}

/// Whether the order's medication concept names an oral form (the `oral_form` value set).
fn oral_product(context: &Context<'_>, medication: &MedicationRequestMedication) -> bool {
    match medication {
        MedicationRequestMedication::CodeableConcept(concept) => context
            .terminology
            .has_text(ValueSetName::OralForm, concept),
        _ => false,
    }
}

/// An order's schedule: `timing.repeat` frequency, period and count, or a single event.
fn order_timing(timing: &Timing) -> OrderTiming {
    let repeat = timing.repeat.as_ref();
    let frequency = repeat
        .and_then(|r| r.frequency.as_ref())
        .and_then(|f| f.value)
        .unwrap_or(1);
    let count = repeat.and_then(|r| r.count.as_ref()).and_then(|c| c.value);
    OrderTiming {
        frequency,
        period_days: repeat.and_then(period_in_days),
        count,
        single_administration: count == Some(1) || (repeat.is_none() && timing.event.len() == 1),
    }
}

/// What a record (an order, a statement, an administration) is given for, by its
/// `reasonReference` and `reasonCode`: OMS when a reason names the OMS Condition (or an
/// ambiguous OMS code, or an OMS symptom), another condition when every reason names something
/// else, not stated when it gives no reason that can be read.
pub fn indication_of(
    context: &Context<'_>,
    reason_references: &[Reference],
    reason_codes: &[CodeableConcept],
) -> OrderIndication {
    let terminology = context.terminology;
    let says_oms = |concept: &CodeableConcept| {
        terminology.has_code(ValueSetName::Oms, concept)
            || terminology.has_code(ValueSetName::OmsAmbiguous, concept)
            || terminology.has_affirmed_text(ValueSetName::Oms, concept)
            || terminology.has_affirmed_text(ValueSetName::OmsSymptom, concept)
    };
    let mut readings = Vec::new();
    for reason in reason_references {
        let resolved = reference_text(reason).and_then(|text| context.index.resolve(text));
        let reading = match resolved {
            Some((_, Resource::Condition(condition))) => condition.code.as_deref().map(says_oms),
            // An Observation or other resource as the reason: read its display, if any.
            _ => reason
                .display
                .as_ref()
                .and_then(|display| text_of!(display))
                .map(|display| {
                    terminology.text_in(ValueSetName::Oms, display)
                        || terminology.text_in(ValueSetName::OmsSymptom, display)
                }),
        };
        readings.extend(reading);
    }
    readings.extend(reason_codes.iter().map(says_oms));
    if readings.is_empty() {
        OrderIndication::NotStated
    } else if readings.contains(&true) {
        OrderIndication::Oms
    } else {
        OrderIndication::OtherCondition
    }
}

//! The orders in play (section 1): on `order-select` the draft orders named in
//! `context.selections`, on `order-sign` every draft order; only MedicationRequests of a
//! recognised medication class count, other request types are ignored quietly.

use fhirbolt::model::r4::types::DosageDoseAndRateDose;
use fhirbolt::model::r4::Resource;

use crate::facts::{DataIssue, FhirRef, Hook, OrderInPlay};
use crate::medications::{amount_of, medication_class, route_of, MedicationChoice};
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
        let route = dosage
            .and_then(|d| d.route.as_deref())
            .map(|route| route_of(context, route));
        let dose = dosage
            .and_then(|d| d.dose_and_rate.first())
            .and_then(|dose_and_rate| match &dose_and_rate.dose {
                Some(DosageDoseAndRateDose::Quantity(quantity)) => {
                    amount_of(reference, quantity, issues)
                }
                _ => None,
            });
        orders.push(OrderInPlay {
            reference: reference.clone(),
            medication,
            route,
            dose,
        });
        drafts.insert(reference.clone(), request.clone());
    }
    (orders, drafts)
}

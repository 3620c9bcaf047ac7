//! Proposals -> FHIR R4 resources: the only place the rules' output meets fhirbolt. Resources are
//! built as fhirbolt model structs and serialised only through `fhir_mapping::resource_to_json`.
//!
//! Invariants of every suggested resource (section 6 of the clinical rules): `status` draft,
//! `intent` order, `subject` the patient; MedicationRequests carry the RxNorm coding and a
//! `dosageInstruction` with text, route, `timing.repeat` and `doseAndRate.doseQuantity` in UCUM mg.

use fhir_mapping::FhirRef;
use fhirbolt::model::r4::resources::{
    MedicationRequest, MedicationRequestMedication, ServiceRequest,
};
use fhirbolt::model::r4::types::{
    Annotation, CodeableConcept, Coding, Decimal as FhirDecimal, Dosage, DosageDoseAndRate,
    DosageDoseAndRateDose, Markdown, Quantity, Reference, Timing, TimingRepeat,
};
use fhirbolt::model::r4::Resource;
use time::Date;

use crate::card::{Action, ActionKind, FhirResource};
use crate::proposal::{
    AdministrationRoute, MedicationDosage, MedicationOrder, PeriodUnit, ProposedAction,
    ProposedOrder, ServiceOrder,
};

/// RxNorm's code system URI.
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// SNOMED CT's code system URI.
pub const SNOMED: &str = "http://snomed.info/sct";
/// LOINC's code system URI.
pub const LOINC: &str = "http://loinc.org";
/// UCUM's code system URI.
pub const UCUM: &str = "http://unitsofmeasure.org";

/// What every rendered resource needs to know about the request.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// `Patient/{id}`, the subject.
    pub patient: &'a FhirRef,
    /// The OMS Condition, the reason for every order.
    pub reason: Option<&'a FhirRef>,
    /// The evaluation date (`authoredOn`).
    pub today: Date,
}

/// Renders one proposed action as a CDS Hooks action; `None` when fhirbolt cannot serialise the
/// resource (for example a draft that arrived without a required element), so that no invalid
/// resource is ever suggested.
pub fn render_action(action: &ProposedAction, context: &RenderContext<'_>) -> Option<Action> {
    let action = match action {
        ProposedAction::Create { description, order } => Action {
            kind: ActionKind::Create,
            description: description.clone(),
            resource: Some(to_json(render_order(order, context))?),
            resource_id: None,
        },
        ProposedAction::Update {
            description,
            draft,
            dosage,
            ..
        } => {
            let mut updated = draft.medication_request().clone();
            updated.dosage_instruction = vec![dosage_instruction(dosage)];
            Action {
                kind: ActionKind::Update,
                description: description.clone(),
                resource: Some(to_json(Resource::MedicationRequest(Box::new(updated)))?),
                resource_id: None,
            }
        }
        ProposedAction::Delete {
            description,
            target,
        } => Action {
            kind: ActionKind::Delete,
            description: description.clone(),
            resource: None,
            resource_id: Some(target.to_string()),
        },
    };
    Some(action)
}

fn render_order(order: &ProposedOrder, context: &RenderContext<'_>) -> Resource {
    match order {
        ProposedOrder::Medication(order) => {
            Resource::MedicationRequest(Box::new(medication_request(order, context)))
        }
        ProposedOrder::Service(order) => {
            Resource::ServiceRequest(Box::new(service_request(order, context)))
        }
    }
}

fn to_json(resource: Resource) -> Option<FhirResource> {
    let json = fhir_mapping::resource_to_json(resource);
    json.get("resourceType")
        .is_some()
        .then_some(FhirResource(json))
}

/// A draft MedicationRequest for a proposed order.
pub fn medication_request(
    order: &MedicationOrder,
    context: &RenderContext<'_>,
) -> MedicationRequest {
    let drug = order.drug;
    let medication = CodeableConcept {
        coding: vec![coding(RXNORM, drug.rxnorm(), drug.name())],
        text: Some(drug.name().into()),
        ..Default::default()
    };
    MedicationRequest {
        status: "draft".into(),
        intent: "order".into(),
        medication: MedicationRequestMedication::CodeableConcept(Box::new(medication)),
        subject: Box::new(reference(context.patient)),
        authored_on: Some(context.today.to_string().into()),
        reason_reference: context.reason.map(reference).into_iter().collect(),
        supporting_information: order.supporting.iter().map(reference).collect(),
        dosage_instruction: vec![dosage_instruction(&order.dosage)],
        ..Default::default()
    }
}

/// A draft ServiceRequest for a referral or test.
pub fn service_request(order: &ServiceOrder, context: &RenderContext<'_>) -> ServiceRequest {
    let code = &order.code;
    let coding = match (code.system, code.code) {
        (Some(system), Some(value)) => vec![coding(system, value, code.text)],
        _ => Vec::new(),
    };
    ServiceRequest {
        status: "draft".into(),
        intent: "order".into(),
        code: Some(Box::new(CodeableConcept {
            coding,
            text: Some(code.text.into()),
            ..Default::default()
        })),
        subject: Box::new(reference(context.patient)),
        authored_on: Some(context.today.to_string().into()),
        reason_reference: context.reason.map(reference).into_iter().collect(),
        note: vec![Annotation {
            text: Markdown::from(order.note.clone()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The `dosageInstruction` entry for a dosage.
pub fn dosage_instruction(dosage: &MedicationDosage) -> Dosage {
    let (route_code, route_display) = match dosage.route {
        AdministrationRoute::Intravenous => ("47625008", "Intravenous route"),
        AdministrationRoute::Oral => ("26643006", "Oral route"),
    };
    let schedule = dosage.schedule;
    let period_unit = match schedule.period_unit {
        PeriodUnit::Day => "d",
        PeriodUnit::Week => "wk",
    };
    let dose = Quantity {
        value: Some(FhirDecimal::from(
            dosage.dose.value().normalize().to_string(),
        )),
        unit: Some("mg".into()),
        system: Some(UCUM.into()),
        code: Some("mg".into()),
        ..Default::default()
    };
    Dosage {
        text: Some(dosage.text.clone().into()),
        timing: Some(Box::new(Timing {
            repeat: Some(TimingRepeat {
                count: Some(schedule.count.into()),
                frequency: Some(schedule.frequency.into()),
                period: Some(FhirDecimal::from(schedule.period.to_string())),
                period_unit: Some(period_unit.into()),
                ..Default::default()
            }),
            ..Default::default()
        })),
        route: Some(Box::new(CodeableConcept {
            coding: vec![coding(SNOMED, route_code, route_display)],
            text: Some(route_display.into()),
            ..Default::default()
        })),
        dose_and_rate: vec![DosageDoseAndRate {
            dose: Some(DosageDoseAndRateDose::Quantity(Box::new(dose))),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn coding(system: &str, code: &str, display: &str) -> Coding {
    Coding {
        system: Some(system.into()),
        code: Some(code.into()),
        display: Some(display.into()),
        ..Default::default()
    }
}

fn reference(target: &FhirRef) -> Reference {
    Reference {
        reference: Some(target.as_str().into()),
        ..Default::default()
    }
}

//! Proposals -> FHIR R4 resources: the rules' output leaves the decision model here, at the
//! service's edge. Resources are built as fhirbolt model structs and serialised only through
//! `parse::resource_to_json`; an update starts from the draft as the EHR sent it.
//!
//! Invariants of every suggested resource (the card contract): `status` draft, `intent` order,
//! `subject` the patient; MedicationRequests carry the RxNorm coding and a `dosageInstruction`
//! with text, route, `timing.repeat` and `doseAndRate.doseQuantity` in UCUM mg.

use crate::facts::{FhirRef, MedicationClass, OmsDiagnosis};
use crate::parse;
use crate::proposal::{
    ActionKind, AdministrationRoute, MedicationDosage, MedicationOrder, PeriodUnit, ProposedAction,
    ProposedOrder, ServiceOrder, RXNORM, SNOMED, UCUM,
};
use crate::MappedRequest;
use fhirbolt::model::r4::resources::{
    MedicationRequest, MedicationRequestMedication, ServiceRequest,
};
use fhirbolt::model::r4::types::{
    Annotation, CodeableConcept, Coding, Decimal as FhirDecimal, Dosage, DosageDoseAndRate,
    DosageDoseAndRateDose, Markdown, Quantity, Reference, Timing, TimingRepeat,
};
use fhirbolt::model::r4::Resource;

/// What every rendered resource needs to know about the request: the patient, the reason, the
/// date and the drafts in play.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// `Patient/{id}`, the subject.
    pub patient: &'a FhirRef,
    /// The OMS Condition, the reason for every order.
    pub reason: Option<&'a FhirRef>,
    /// The evaluation date (`authoredOn`).
    pub today: time::Date,
    mapped: &'a MappedRequest,
}

impl<'a> RenderContext<'a> {
    /// The context of one mapped request: its patient, its OMS Condition (when confirmed) as the
    /// reason, its evaluation date and its drafts.
    pub fn of(mapped: &'a MappedRequest) -> RenderContext<'a> {
        let facts = &mapped.facts;
        let reason = match &facts.oms {
            OmsDiagnosis::Confirmed(oms) => Some(&oms.reference),
            _ => None,
        };
        RenderContext {
            patient: &facts.patient.reference,
            reason,
            today: facts.today,
            mapped,
        }
    }
}

/// One CDS Hooks action, rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedAction {
    /// create, update or delete.
    pub kind: ActionKind,
    /// What the action does, for the clinician.
    pub description: String,
    /// The full resource for `create` and `update`, as FHIR R4 JSON.
    pub resource: Option<serde_json::Value>,
    /// `Type/id` for `delete`.
    pub resource_id: Option<String>,
}

/// Renders one proposed action; `None` when the resource cannot be rendered (an update of a draft
/// that is not in the request, or a draft fhirbolt cannot serialise), so that no invalid resource
/// is ever suggested.
pub fn render_action(
    action: &ProposedAction,
    context: &RenderContext<'_>,
) -> Option<RenderedAction> {
    let rendered = match action {
        ProposedAction::Create { description, order } => RenderedAction {
            kind: ActionKind::Create,
            description: description.clone(),
            resource: Some(to_json(render_order(order, context)?)?),
            resource_id: None,
        },
        ProposedAction::Update {
            description,
            target,
            drug,
            dosage,
        } => {
            let mut updated = context.mapped.drafts.get(target)?.clone();
            updated.dosage_instruction = vec![dosage_instruction(dosage)];
            add_ingredient_coding(&mut updated, *drug);
            RenderedAction {
                kind: ActionKind::Update,
                description: description.clone(),
                resource: Some(to_json(Resource::MedicationRequest(Box::new(updated)))?),
                resource_id: None,
            }
        }
        ProposedAction::Delete {
            description,
            target,
        } => RenderedAction {
            kind: ActionKind::Delete,
            description: description.clone(),
            resource: None,
            resource_id: Some(target.to_string()),
        },
    };
    Some(rendered)
}

/// The draft's own medication coding is kept; the RxNorm ingredient coding is added when it is
/// missing (a draft coded only with a product or local code), and the ingredient names the
/// medication when the draft gives no text, so the EHR and the clinician see which drug it is.
fn add_ingredient_coding(request: &mut MedicationRequest, drug: MedicationClass) {
    let (MedicationRequestMedication::CodeableConcept(concept), Some(code)) =
        (&mut request.medication, drug.rxnorm())
    else {
        return;
    };
    let has_ingredient = concept.coding.iter().any(|coding| {
        coding.system.as_ref().and_then(|s| s.value.as_deref()) == Some(RXNORM)
            && coding.code.as_ref().and_then(|c| c.value.as_deref()) == Some(code)
    });
    if !has_ingredient {
        concept.coding.push(coding(RXNORM, code, drug.name()));
    }
    if concept
        .text
        .as_ref()
        .and_then(|t| t.value.as_deref())
        .is_none()
    {
        concept.text = Some(drug.name().into());
    }
}

fn render_order(order: &ProposedOrder, context: &RenderContext<'_>) -> Option<Resource> {
    Some(match order {
        ProposedOrder::Medication(order) => {
            Resource::MedicationRequest(Box::new(medication_request(order, context)?))
        }
        ProposedOrder::Service(order) => {
            Resource::ServiceRequest(Box::new(service_request(order, context)))
        }
    })
}

fn to_json(resource: Resource) -> Option<serde_json::Value> {
    let json = parse::resource_to_json(resource);
    json.get("resourceType").is_some().then_some(json)
}

/// A draft MedicationRequest for a proposed order.
/// `None` for a drug the service never orders (no RxNorm ingredient code to order it by).
fn medication_request(
    order: &MedicationOrder,
    context: &RenderContext<'_>,
) -> Option<MedicationRequest> {
    let drug = order.drug;
    let medication = CodeableConcept {
        coding: vec![coding(RXNORM, drug.rxnorm()?, drug.name())],
        text: Some(drug.name().into()),
        ..Default::default()
    };
    Some(MedicationRequest {
        status: "draft".into(),
        intent: "order".into(),
        medication: MedicationRequestMedication::CodeableConcept(Box::new(medication)),
        subject: Box::new(reference(context.patient)),
        authored_on: Some(context.today.to_string().into()),
        reason_reference: context.reason.map(reference).into_iter().collect(),
        supporting_information: order.supporting.iter().map(reference).collect(),
        dosage_instruction: vec![dosage_instruction(&order.dosage)],
        ..Default::default()
    })
}

/// A draft ServiceRequest for a referral or test.
fn service_request(order: &ServiceOrder, context: &RenderContext<'_>) -> ServiceRequest {
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
fn dosage_instruction(dosage: &MedicationDosage) -> Dosage {
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

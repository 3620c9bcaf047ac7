//! What the rules propose, as plain domain values: orders to create, dosages to correct, drafts to
//! remove. The rules build them; `render` turns them into FHIR R4 resources. Nothing here names a
//! FHIR library or JSON type.

use std::fmt;

use crate::facts::{FhirRef, MedicationClass};
use crate::quantity::Milligrams;

/// RxNorm's code system URI.
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// SNOMED CT's code system URI.
pub const SNOMED: &str = "http://snomed.info/sct";
/// LOINC's code system URI.
pub const LOINC: &str = "http://loinc.org";
/// UCUM's code system URI.
pub const UCUM: &str = "http://unitsofmeasure.org";

/// What a CDS Hooks action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// `create`
    Create,
    /// `update`
    Update,
    /// `delete`
    Delete,
}

impl ActionKind {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Update => "update",
            ActionKind::Delete => "delete",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One action of a suggestion.
#[derive(Debug, Clone, PartialEq)]
pub enum ProposedAction {
    /// Create a new draft order.
    Create {
        /// What the action does.
        description: String,
        /// The order to create.
        order: ProposedOrder,
    },
    /// Replace the dosage of a draft order in play, keeping its id and everything else (the
    /// renderer takes the draft, as the EHR sent it, from the mapped request).
    Update {
        /// What the action does.
        description: String,
        /// The draft (`MedicationRequest/x`).
        target: FhirRef,
        /// The drug of the draft: its RxNorm ingredient coding is added when the draft is coded
        /// only with a product or local code.
        drug: MedicationClass,
        /// The corrected dosage.
        dosage: MedicationDosage,
    },
    /// Remove a draft order in play.
    Delete {
        /// What the action does.
        description: String,
        /// The draft (`MedicationRequest/x`).
        target: FhirRef,
    },
}

/// An order to create.
#[derive(Debug, Clone, PartialEq)]
pub enum ProposedOrder {
    /// A MedicationRequest.
    Medication(MedicationOrder),
    /// A ServiceRequest (referral or test).
    Service(ServiceOrder),
}

/// A route of administration the service orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdministrationRoute {
    /// SNOMED 47625008.
    Intravenous,
    /// SNOMED 26643006.
    Oral,
}

/// The unit of a timing period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodUnit {
    /// `d`
    Day,
    /// `wk`
    Week,
}

/// `Timing.repeat`: `frequency` administrations every `period` `period_unit`, `count` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Administrations per period.
    pub frequency: u32,
    /// The period length.
    pub period: u32,
    /// The period unit.
    pub period_unit: PeriodUnit,
    /// Total administrations.
    pub count: u32,
}

/// How much, how and when.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicationDosage {
    /// The dosage as one sentence (`dosageInstruction.text`).
    pub text: String,
    /// The route.
    pub route: AdministrationRoute,
    /// The dose per administration.
    pub dose: Milligrams,
    /// The timing.
    pub schedule: Schedule,
}

/// A MedicationRequest to create.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicationOrder {
    /// The drug (one the service orders: `MedicationClass::rxnorm` is `Some`).
    pub drug: MedicationClass,
    /// The dosage.
    pub dosage: MedicationDosage,
    /// The Observations the dose was computed from (`supportingInformation`).
    pub supporting: Vec<FhirRef>,
}

/// A coded service (test or referral).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceCode {
    /// The code system, when the code is certain.
    pub system: Option<&'static str>,
    /// The code, when certain.
    pub code: Option<&'static str>,
    /// The display and `code.text`.
    pub text: &'static str,
}

/// A ServiceRequest to create.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceOrder {
    /// What is requested.
    pub code: ServiceCode,
    /// Why, for the receiving team (`note`).
    pub note: String,
}

impl ProposedAction {
    /// create, update or delete.
    pub fn kind(&self) -> ActionKind {
        match self {
            ProposedAction::Create { .. } => ActionKind::Create,
            ProposedAction::Update { .. } => ActionKind::Update,
            ProposedAction::Delete { .. } => ActionKind::Delete,
        }
    }

    /// What the action does, for the clinician.
    pub fn description(&self) -> &str {
        match self {
            ProposedAction::Create { description, .. }
            | ProposedAction::Update { description, .. }
            | ProposedAction::Delete { description, .. } => description,
        }
    }

    /// The draft an update or delete acts on.
    pub fn target(&self) -> Option<&FhirRef> {
        match self {
            ProposedAction::Create { .. } => None,
            ProposedAction::Update { target, .. } | ProposedAction::Delete { target, .. } => {
                Some(target)
            }
        }
    }

    /// The dosage an action orders: the created MedicationRequest's or the update's.
    pub fn dosage(&self) -> Option<&MedicationDosage> {
        match self {
            ProposedAction::Create {
                order: ProposedOrder::Medication(order),
                ..
            } => Some(&order.dosage),
            ProposedAction::Update { dosage, .. } => Some(dosage),
            _ => None,
        }
    }
}

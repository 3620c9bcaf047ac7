//! What the rules propose, before it becomes FHIR: cards, suggestions and orders as plain domain
//! values. `render` is the only place these meet fhirbolt.

use fhir_mapping::{DraftOrder, FhirRef};

use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::dose::Milligrams;
use crate::markdown::Detail;

/// A card as the rules decide it; `lib::finish` adds the source label, override reasons and
/// links, and renders the suggestions.
#[derive(Debug, Clone)]
pub struct CardProposal {
    /// What the card is about.
    pub topic: Topic,
    /// Urgency.
    pub indicator: Indicator,
    /// One sentence, under 140 characters.
    pub summary: String,
    /// The detail, rendered to markdown later.
    pub detail: Detail,
    /// Suggestions (may be empty).
    pub suggestions: Vec<ProposedSuggestion>,
    /// How many suggestions the clinician may accept (used only when there are suggestions).
    pub selection_behavior: SelectionBehavior,
}

impl CardProposal {
    /// A card without suggestions.
    pub fn new(
        topic: Topic,
        indicator: Indicator,
        summary: impl Into<String>,
        detail: Detail,
    ) -> Self {
        Self {
            topic,
            indicator,
            summary: summary.into(),
            detail,
            suggestions: Vec::new(),
            selection_behavior: SelectionBehavior::Any,
        }
    }

    /// Adds a suggestion.
    pub fn suggest(mut self, suggestion: ProposedSuggestion) -> Self {
        self.suggestions.push(suggestion);
        self
    }

    /// Sets the selection behaviour.
    pub fn selection(mut self, behavior: SelectionBehavior) -> Self {
        self.selection_behavior = behavior;
        self
    }
}

/// A suggestion: actions the clinician accepts together.
#[derive(Debug, Clone)]
pub struct ProposedSuggestion {
    /// Button text.
    pub label: String,
    /// Whether the service recommends this one (at most one per card).
    pub is_recommended: bool,
    /// The actions, applied together.
    pub actions: Vec<ProposedAction>,
}

impl ProposedSuggestion {
    /// A suggestion with a label, not marked as recommended.
    pub fn new(label: impl Into<String>, actions: Vec<ProposedAction>) -> Self {
        Self {
            label: label.into(),
            is_recommended: false,
            actions,
        }
    }

    /// Marks the suggestion as the recommended one.
    pub fn recommended(mut self) -> Self {
        self.is_recommended = true;
        self
    }
}

/// One action of a suggestion.
#[derive(Debug, Clone)]
pub enum ProposedAction {
    /// Create a new draft order.
    Create {
        /// What the action does.
        description: String,
        /// The order to create.
        order: ProposedOrder,
    },
    /// Replace the dosage of a draft order in play, keeping its id and everything else.
    Update {
        /// What the action does.
        description: String,
        /// The draft (`MedicationRequest/x`), so cards can be checked against each other.
        target: FhirRef,
        /// The draft, as the EHR sent it.
        draft: DraftOrder,
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
#[derive(Debug, Clone)]
pub enum ProposedOrder {
    /// A MedicationRequest.
    Medication(MedicationOrder),
    /// A ServiceRequest (referral or test).
    Service(ServiceOrder),
}

/// A drug the service can order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drug {
    /// rituximab (RxNorm 121191)
    Rituximab,
    /// cyclophosphamide (RxNorm 3002)
    Cyclophosphamide,
    /// dexamethasone (RxNorm 3264)
    Dexamethasone,
    /// methylprednisolone (RxNorm 6902)
    Methylprednisolone,
}

impl Drug {
    /// The RxNorm ingredient code.
    pub fn rxnorm(self) -> &'static str {
        match self {
            Drug::Rituximab => "121191",
            Drug::Cyclophosphamide => "3002",
            Drug::Dexamethasone => "3264",
            Drug::Methylprednisolone => "6902",
        }
    }

    /// The ingredient name.
    pub fn name(self) -> &'static str {
        match self {
            Drug::Rituximab => "rituximab",
            Drug::Cyclophosphamide => "cyclophosphamide",
            Drug::Dexamethasone => "dexamethasone",
            Drug::Methylprednisolone => "methylprednisolone",
        }
    }
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
#[derive(Debug, Clone)]
pub struct MedicationOrder {
    /// The drug.
    pub drug: Drug,
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
#[derive(Debug, Clone)]
pub struct ServiceOrder {
    /// What is requested.
    pub code: ServiceCode,
    /// Why, for the receiving team (`note`).
    pub note: String,
}

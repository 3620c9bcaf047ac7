//! What the rules propose: cards and suggestions as plain domain values. The orders inside them
//! are `fhir_mapping::proposal` types, which `fhir-mapping` renders as FHIR at the service's edge.

pub use fhir_mapping::proposal::{
    AdministrationRoute, MedicationDosage, MedicationOrder, PeriodUnit, ProposedAction,
    ProposedOrder, Schedule, ServiceCode, ServiceOrder,
};

use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::markdown::Detail;

/// A card as the rules decide it; `lib::finish` adds the source label, override reasons and
/// links.
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

//! The service response (spec section 7), rendered from the rules' `Card`s; each card and
//! suggestion gets its uuid here, from the caller's `UuidSource`.

use cards::{Card, Coding, Link, Suggestion};
use fhir_mapping::{render_action, RenderContext, RenderedAction};
use serde::Serialize;

use crate::card_ids::UuidSource;
use crate::evaluation::Evaluation;

/// `{"cards": [...]}`; `cards` is always present, possibly empty.
#[derive(Debug, Serialize)]
pub struct CdsResponse {
    /// The cards.
    pub cards: Vec<WireCard>,
}

impl CdsResponse {
    /// Renders an evaluation's cards, giving each card and suggestion a uuid from `ids`; each
    /// card links to its rulebook page under `public_base_url` (the service's external address).
    pub fn from_evaluation(
        evaluation: &Evaluation,
        ids: &mut UuidSource,
        public_base_url: &str,
    ) -> Self {
        let context = RenderContext::of(&evaluation.mapped);
        Self {
            cards: evaluation
                .cards
                .iter()
                .map(|card| WireCard::new(card, &context, ids, public_base_url))
                .collect(),
        }
    }

    /// The uuid of each card, in order.
    pub fn card_uuids(&self) -> impl Iterator<Item = &str> {
        self.cards.iter().map(|card| card.uuid.as_str())
    }
}

/// A card on the wire.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireCard {
    uuid: String,
    summary: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
    indicator: &'static str,
    source: WireSource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<WireSuggestion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    selection_behavior: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    override_reasons: Vec<WireCoding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<WireLink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extension: Option<WireExtension>,
}

/// The card's `extension` (CDS Hooks reserves it for such use): the FHIR references of the facts
/// behind the card, for audit. Never stored in the governance database.
#[derive(Debug, Serialize)]
struct WireExtension {
    #[serde(rename = "dev.oms-cds.references")]
    references: Vec<String>,
}

/// The reverse-DNS key of the card extension that lists the references behind a card.
pub const REFERENCES_EXTENSION: &str = "dev.oms-cds.references";

#[derive(Debug, Serialize)]
struct WireSource {
    label: String,
    topic: WireCoding,
}

#[derive(Debug, Serialize)]
struct WireCoding {
    system: String,
    code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    display: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WireSuggestion {
    label: String,
    uuid: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_recommended: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<WireAction>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WireAction {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct WireLink {
    label: String,
    url: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl WireCard {
    fn new(
        card: &Card,
        context: &RenderContext<'_>,
        ids: &mut UuidSource,
        public_base_url: &str,
    ) -> Self {
        // A suggestion with an action that cannot be rendered is dropped whole: its actions
        // belong together.
        let suggestions: Vec<WireSuggestion> = card
            .suggestions
            .iter()
            .filter_map(|suggestion| WireSuggestion::new(suggestion, context, ids))
            .collect();
        let selection_behavior = card
            .selection_behavior
            .filter(|_| !suggestions.is_empty())
            .map(|b| b.code());
        Self {
            uuid: ids.next_uuid().to_string(),
            summary: card.summary.clone(),
            detail: card.detail.clone(),
            indicator: card.indicator.code(),
            source: WireSource {
                label: card.source_label.clone(),
                topic: WireCoding {
                    system: cards::TOPIC_SYSTEM.to_string(),
                    code: card.topic.code().to_string(),
                    display: card.topic.display().to_string(),
                },
            },
            suggestions,
            selection_behavior,
            override_reasons: card.override_reasons.iter().map(WireCoding::from).collect(),
            links: std::iter::once(rulebook_link(card, public_base_url))
                .chain(card.links.iter().map(WireLink::from))
                .collect(),
            extension: (!card.references.is_empty()).then(|| WireExtension {
                references: card.references.iter().map(ToString::to_string).collect(),
            }),
        }
    }
}

/// The card's rule in full, on the service's own rulebook page (`/guideline/{topic}`): what
/// fires it, what it proposes, the configured doses and limits, the evidence.
fn rulebook_link(card: &Card, public_base_url: &str) -> WireLink {
    WireLink {
        label: format!("Rulebook: {}", card.topic.display()),
        url: crate::rulebook::rulebook_url(public_base_url, card.topic),
        kind: "absolute",
    }
}

impl From<&Coding> for WireCoding {
    fn from(coding: &Coding) -> Self {
        Self {
            system: coding.system.clone(),
            code: coding.code.clone(),
            display: coding.display.clone(),
        }
    }
}

impl WireSuggestion {
    fn new(
        suggestion: &Suggestion,
        context: &RenderContext<'_>,
        ids: &mut UuidSource,
    ) -> Option<Self> {
        let actions = suggestion
            .actions
            .iter()
            .map(|action| render_action(action, context).map(WireAction::from))
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            label: suggestion.label.clone(),
            uuid: ids.next_uuid().to_string(),
            is_recommended: suggestion.is_recommended,
            actions,
        })
    }
}

impl From<RenderedAction> for WireAction {
    fn from(action: RenderedAction) -> Self {
        Self {
            kind: action.kind.code(),
            description: action.description,
            resource: action.resource,
            resource_id: action.resource_id,
        }
    }
}

impl From<&Link> for WireLink {
    fn from(link: &Link) -> Self {
        Self {
            label: link.label.clone(),
            url: link.url.clone(),
            kind: "absolute",
        }
    }
}

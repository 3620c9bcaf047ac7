//! The relapsed-OMS guideline as code: `Facts` in, CDS cards out (when the service speaks, the
//! primary recommendation and the additional cards, doses, the card contract, the evidence).
//!
//! Layout:
//! - `config`: `ClinicalConfig`, every threshold and dose parameter, validated at start-up.
//! - `history`: full course, single additional dose, refractory and highly refractory.
//! - `assessment`: the facts read through the rules' definitions; the primary topic; the
//!   `Dosing` proof that body measurements may be used; decisions two cards share.
//! - `dose`: exact BSA/weight dose arithmetic (only through `Dosing::dose`), rounding, caps, the
//!   working as text.
//! - `regimen`: the rules' regimens as dose rules and dosages.
//! - `rules`: one module per group of cards (primary, fertility, neuroblastoma, steroids,
//!   safety, monitoring); no rule module imports another's decisions except through `rules`
//!   helpers and the assessment.
//! - `evidence`: citations and their strength; `markdown`: the detail builder.
//! - `proposal`: cards and suggestions as domain values (the orders are `fhir_mapping::proposal`
//!   types, which `fhir-mapping` renders as FHIR at the service's edge).
//! - `coherence`: the cards checked against each other (no suggestion undoes another's).
//! - `rulebook`: every card's rationale as plain data (when it fires, what it proposes, the
//!   configured parameters, evidence and safety notes), for the service's `/guideline` pages.
//! - `card`: the output types (Card, Topic, Suggestion); actions are `fhir_mapping::proposal`
//!   values.
//!
//! Dependencies: `fhir-mapping`, `rust_decimal` and `time` only (no serialisation, FHIR-library
//! or identifier crate).
//!
//! Invariants: `evaluate` is pure (no IO, no clock: the date is `Facts::today`); it returns no
//! cards unless a relevant order is in play and the patient has relapsed OMS (or an ambiguous OMS
//! code, which gets exactly one `diagnosis-unconfirmed` card); when it speaks about a relapsed
//! patient it returns exactly one primary card; no card shows an mg amount without a usable
//! BSA/weight. The output is deterministic: card and suggestion uuids are given at the edge
//! (the service), not here.

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")
)]

pub mod amounts;
pub mod assessment;
pub mod card;
pub mod coherence;
pub mod config;
pub mod dose;
pub mod evidence;
#[cfg(test)]
mod fixtures;
pub mod history;
pub mod markdown;
pub mod order_use;
#[cfg(test)]
mod properties;
pub mod proposal;
pub mod regimen;
pub mod rulebook;
pub mod rules;

pub use card::*;
pub use config::{ClinicalConfig, ConfigError};

use fhir_mapping::{Facts, OmsDiagnosis};

use crate::assessment::Assessment;
use crate::markdown::Detail;
use crate::proposal::CardProposal;

/// The longest summary the CDS Hooks spec allows is 139 characters.
const MAX_SUMMARY_CHARS: usize = 139;

/// Applies the guideline to the facts; an empty list means the service stays silent.
pub fn evaluate(facts: &Facts, config: &ClinicalConfig) -> Vec<Card> {
    // No card for a patient recorded as deceased, and none without a relevant order.
    if facts.orders.is_empty() || facts.patient.deceased {
        return Vec::new();
    }
    match &facts.oms {
        OmsDiagnosis::None => Vec::new(),
        OmsDiagnosis::AmbiguousOnly { references } => {
            let card = diagnosis_unconfirmed(facts, references);
            vec![finish(card, false, config)]
        }
        OmsDiagnosis::Confirmed(oms) if oms.is_relapsed() => {
            let assessment = Assessment::new(facts, oms, config);
            // A premedication, an antiemetic or a low steroid dose alone does not make the
            // service speak (precision rule 1).
            if !facts
                .orders
                .iter()
                .any(|order| assessment.order_speaks(order))
            {
                return Vec::new();
            }
            // The primary card first: `finish` marks index 0 as the primary.
            let mut proposals = vec![rules::primary::card(&assessment)];
            rules::risks::apply(&mut proposals, &assessment);
            rules::fertility::apply(&mut proposals, &assessment);
            rules::neuroblastoma::apply(&mut proposals, &assessment);
            rules::steroids::apply(&mut proposals, &assessment);
            rules::safety::apply(&mut proposals, &assessment);
            rules::monitoring::apply(&mut proposals, &assessment);
            coherence::reconcile(&mut proposals);
            proposals
                .into_iter()
                .enumerate()
                .map(|(index, card)| finish(card, index == 0, config))
                .collect()
        }
        OmsDiagnosis::Confirmed(_) => Vec::new(),
    }
}

/// Section 1: only an ambiguous code (G25.3, H55.89) without corroborating text.
fn diagnosis_unconfirmed(facts: &Facts, references: &[fhir_mapping::FhirRef]) -> CardProposal {
    let order_refs: Vec<_> = facts
        .orders
        .iter()
        .map(|order| order.reference.clone())
        .collect();
    let detail = Detail::new(
        "The only OMS evidence on record is an ambiguous code (ICD-10 G25.3 means any myoclonus; \
         ICD-10-CM H55.89 any irregular eye movement) without text confirming opsoclonus-myoclonus \
         syndrome. Confirm the diagnosis (record OMS with a specific code, or say so in the \
         Condition text) before the service proposes any dosing.",
    )
    .because_all("Condition with an ambiguous code only", references)
    .because_all("relevant order(s) in play", &order_refs);
    CardProposal::new(
        Topic::DiagnosisUnconfirmed,
        Indicator::Info,
        "OMS diagnosis unconfirmed (ambiguous code only): confirm it before any OMS dosing",
        detail,
    )
}

/// Turns a proposal into a card: source label, override reasons on warnings, evidence links.
fn finish(proposal: CardProposal, is_primary: bool, config: &ClinicalConfig) -> Card {
    let links = proposal
        .detail
        .cited()
        .iter()
        .filter_map(|evidence| evidence.link())
        .collect();
    let suggestions: Vec<Suggestion> = proposal
        .suggestions
        .into_iter()
        .map(|suggestion| Suggestion {
            label: suggestion.label,
            is_recommended: suggestion.is_recommended,
            actions: suggestion.actions,
        })
        .collect();
    let selection_behavior = (!suggestions.is_empty()).then_some(proposal.selection_behavior);
    let override_reasons = if proposal.indicator == Indicator::Info {
        Vec::new()
    } else {
        override_reasons()
    };
    Card {
        topic: proposal.topic,
        is_primary,
        summary: clip(proposal.summary),
        detail: proposal.detail.render(),
        indicator: proposal.indicator,
        source_label: config.source_label(),
        suggestions,
        selection_behavior,
        override_reasons,
        links,
        references: proposal.detail.references().to_vec(),
    }
}

/// The reasons a clinician can give for dismissing a warning card.
pub fn override_reasons() -> Vec<Coding> {
    [
        ("not-applicable", "Not applicable to this patient"),
        ("already-addressed", "Already addressed or planned"),
        ("specialist-advice", "Following specialist advice"),
        ("patient-preference", "Patient or family preference"),
    ]
    .into_iter()
    .map(|(code, display)| Coding {
        system: OVERRIDE_REASON_SYSTEM.to_owned(),
        code: code.to_owned(),
        display: display.to_owned(),
    })
    .collect()
}

/// A safety net for the spec's limit; summaries are written to fit.
fn clip(summary: String) -> String {
    if summary.chars().count() <= MAX_SUMMARY_CHARS {
        return summary;
    }
    let mut clipped: String = summary.chars().take(MAX_SUMMARY_CHARS - 3).collect();
    clipped.push_str("...");
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{self, evaluate as run, topics};
    use fhir_mapping::{ClinicalStatus, FhirRef, Hook, MedicationClass, OmsCondition};

    #[test]
    fn no_order_in_play_means_no_cards() {
        let mut facts = fixtures::facts();
        facts.orders.clear();
        assert!(run(&facts).is_empty());
    }

    #[test]
    fn oms_in_remission_means_no_cards() {
        let mut facts = fixtures::facts();
        facts.oms = OmsDiagnosis::Confirmed(OmsCondition {
            reference: FhirRef::new("Condition", "c"),
            status: ClinicalStatus::Remission,
            severity: None,
            relapse_date: None,
            verification: fhir_mapping::VerificationStatus::Confirmed,
            onset: None,
        });
        assert!(run(&facts).is_empty());
    }

    #[test]
    fn no_oms_on_record_means_no_cards() {
        let mut facts = fixtures::facts();
        facts.oms = OmsDiagnosis::None;
        assert!(run(&facts).is_empty());
    }

    #[test]
    fn an_ambiguous_code_gives_exactly_one_info_card_without_dosing() {
        let mut facts = fixtures::facts();
        facts.oms = OmsDiagnosis::AmbiguousOnly {
            references: vec![FhirRef::new("Condition", "g253")],
        };
        let cards = run(&facts);
        assert_eq!(topics(&cards), vec![Topic::DiagnosisUnconfirmed]);
        assert_eq!(cards[0].indicator, Indicator::Info);
        assert!(cards[0]
            .references
            .contains(&fhir_mapping::FhirRef::new("Condition", "g253")));
        assert!(!cards[0].detail.contains("Condition/"));
        assert!(!fixtures::any_mg_amount(&cards));
    }

    #[test]
    fn a_relapsed_patient_gets_exactly_one_primary_card_first() {
        let cards = run(&fixtures::facts());
        assert_eq!(cards.iter().filter(|card| card.is_primary).count(), 1);
        assert!(cards[0].is_primary);
        assert_eq!(cards[0].topic, Topic::RituximabFullCourse);
    }

    #[test]
    fn every_card_meets_the_card_contract() {
        let mut facts = fixtures::facts();
        facts.hook = Hook::OrderSign;
        facts.hepatitis_b = Default::default();
        facts.neuroblastoma.workup_on_record = false;
        facts.orders.push(fixtures::order(
            "draft-2",
            MedicationClass::Cyclophosphamide,
            None,
        ));
        let config = ClinicalConfig::default();
        let cards = evaluate(&facts, &config);
        assert!(cards.len() >= 5, "{:?}", topics(&cards));
        for card in &cards {
            assert!(card.summary.chars().count() < 140, "{}", card.summary);
            assert_eq!(card.source_label, config.source_label());
            assert!(card.detail.contains("**Why this card**"), "{}", card.detail);
            if card.indicator == Indicator::Warning {
                assert!(!card.override_reasons.is_empty(), "{:?}", card.topic);
            }
            assert_eq!(
                card.suggestions.is_empty(),
                card.selection_behavior.is_none(),
                "{:?}",
                card.topic
            );
            assert!(card.suggestions.iter().filter(|s| s.is_recommended).count() <= 1);
            for link in &card.links {
                assert!(link.url.starts_with("https://doi.org/10."), "{}", link.url);
            }
            for action in card.suggestions.iter().flat_map(|s| s.actions.iter()) {
                assert!(!action.description().is_empty());
                if let Some(target) = action.target() {
                    assert!(
                        facts.orders.iter().any(|order| &order.reference == target),
                        "{target} is not a draft in play"
                    );
                }
            }
        }
    }

    #[test]
    fn a_long_summary_is_clipped_below_the_spec_limit() {
        let clipped = clip("x".repeat(200));
        assert_eq!(clipped.chars().count(), MAX_SUMMARY_CHARS);
        assert!(clipped.ends_with("..."));
    }

    #[test]
    fn the_mg_detector_tells_amounts_from_rates() {
        assert!(fixtures::mentions_mg_amount("give 230 mg IV"));
        assert!(fixtures::mentions_mg_amount("8.5 mg"));
        assert!(!fixtures::mentions_mg_amount("375 mg/m2 IV"));
        assert!(!fixtures::mentions_mg_amount("30 mg/kg/day"));
        assert!(!fixtures::mentions_mg_amount("no dose in mg is shown"));
    }
}

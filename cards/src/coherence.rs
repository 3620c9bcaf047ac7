//! The cards of one call checked against each other before they are shown: a clinician must be
//! able to accept any suggestion without it undoing or contradicting another card's.
//!
//! Each rule writes its decisions into its own cards; `coherence` only reconciles what the cards
//! do to the same draft order:
//! - A draft that one card's suggestion removes (`delete`) is not changed (`update`) by another
//!   card: that other suggestion is withdrawn, and its card says where the draft goes. The card
//!   itself stays (a dose-check on a draft the primary replaces still tells the clinician who
//!   keeps the draft that its dose is wrong), but offers no contradicting action.
//! - `dose-check` is a check, not a regimen: when another card sets the same draft's dosage (the
//!   primary's update of its regimen's order, or its choice between completing a course and one
//!   dose), the dose-check suggestion is withdrawn and the card points to that card: one action
//!   per order (precision rule 5).

use std::collections::BTreeSet;

use fhir_mapping::FhirRef;

use crate::card::Topic;
use crate::proposal::{CardProposal, MedicationDosage, ProposedAction};

/// Withdraws every suggestion that contradicts another card's suggestion on the same draft.
pub fn reconcile(proposals: &mut [CardProposal]) {
    for index in 0..proposals.len() {
        let (withdrawn, notes) = contradictions(proposals, index);
        let card = &mut proposals[index];
        let mut position = 0;
        card.suggestions.retain(|_| {
            let keep = !withdrawn.contains(&position);
            position += 1;
            keep
        });
        for note in notes {
            card.detail = std::mem::take(&mut card.detail).also(note);
        }
    }
}

/// The positions of the suggestions of card `index` that contradict another card, and one note
/// per affected draft.
fn contradictions(proposals: &[CardProposal], index: usize) -> (BTreeSet<usize>, Vec<String>) {
    let card = &proposals[index];
    let mut withdrawn = BTreeSet::new();
    let mut notes = BTreeSet::new();
    for (position, suggestion) in card.suggestions.iter().enumerate() {
        for (target, _) in updates(&suggestion.actions) {
            if let Some(remover) =
                other_cards(proposals, index).find(|other| deletes(other).contains(target))
            {
                withdrawn.insert(position);
                notes.insert(format!(
                    "A draft order is not updated here: the card \"{}\" removes it.",
                    remover.summary
                ));
                continue;
            }
            if card.topic != Topic::DoseCheck {
                continue;
            }
            if let Some(setter) = other_cards(proposals, index).find(|other| {
                other
                    .suggestions
                    .iter()
                    .flat_map(|s| updates(&s.actions))
                    // One action per order (precision rule 5): the card that proposes the
                    // regimen updates its order; dose-check points to it.
                    .any(|(other_target, _)| other_target == target)
            }) {
                withdrawn.insert(position);
                notes.insert(format!(
                    "The corrected dosage is on the card \"{}\".",
                    setter.summary
                ));
            }
        }
    }
    (withdrawn, notes.into_iter().collect())
}

fn other_cards(
    proposals: &[CardProposal],
    index: usize,
) -> impl Iterator<Item = &CardProposal> + '_ {
    proposals
        .iter()
        .enumerate()
        .filter(move |(other, _)| *other != index)
        .map(|(_, card)| card)
}

/// The drafts a card's suggestions remove.
fn deletes(card: &CardProposal) -> BTreeSet<&FhirRef> {
    card.suggestions
        .iter()
        .flat_map(|suggestion| suggestion.actions.iter())
        .filter_map(|action| match action {
            ProposedAction::Delete { target, .. } => Some(target),
            _ => None,
        })
        .collect()
}

/// The drafts a suggestion updates, with the dosage it sets.
fn updates(actions: &[ProposedAction]) -> impl Iterator<Item = (&FhirRef, &MedicationDosage)> {
    actions.iter().filter_map(|action| match action {
        ProposedAction::Update { target, dosage, .. } => Some((target, dosage)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use crate::card::{ActionKind, SelectionBehavior, Topic};
    use crate::fixtures::{self, evaluate, find, first_dose_mg};
    use fhir_mapping::{DoseAmount, MedicationClass};
    use time::macros::date;

    fn kinds(card: &crate::Card) -> Vec<ActionKind> {
        card.suggestions
            .iter()
            .flat_map(|suggestion| suggestion.actions.iter().map(|action| action.kind()))
            .collect()
    }

    #[test]
    fn a_rituximab_draft_the_pulses_card_deletes_triggers_no_dose_check() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2026 - 08 - 17), 4);
        facts.orders = vec![fixtures::order(
            "draft-1",
            MedicationClass::Rituximab,
            Some(DoseAmount::Milligrams(fixtures::dec("600"))),
        )];
        let cards = evaluate(&facts);
        let pulses = find(&cards, Topic::CyclophosphamideDexamethasonePulses).unwrap();
        assert_eq!(
            pulses.suggestions[0].actions[0]
                .target()
                .map(|target| target.as_str()),
            Some("MedicationRequest/draft-1")
        );
        // Precision rule 5: an order a suggestion deletes gets no dose-check of its own
        // (600 mg is under the 1000 mg cap, so there is nothing to report either).
        assert!(find(&cards, Topic::DoseCheck).is_none());
    }

    #[test]
    fn a_cyclophosphamide_draft_the_fertility_card_replaces_gets_only_its_cap_breach_reported() {
        let mut facts = fixtures::facts();
        facts.orders = vec![fixtures::order(
            "draft-2",
            MedicationClass::Cyclophosphamide,
            Some(DoseAmount::Milligrams(fixtures::dec("2000"))),
        )];
        let cards = evaluate(&facts);
        let fertility = find(&cards, Topic::FertilityPreferRituximab).unwrap();
        assert_eq!(kinds(fertility), vec![ActionKind::Delete]);
        let check = find(&cards, Topic::DoseCheck).unwrap();
        assert!(check.suggestions.is_empty(), "{:?}", kinds(check));
        assert!(
            check
                .detail
                .contains("above the 1200 mg per pulse (local policy) cap"),
            "{}",
            check.detail
        );
        assert!(!check.detail.contains("computed"), "{}", check.detail);
    }

    #[test]
    fn the_rituximab_course_is_created_by_the_primary_only_and_the_fertility_card_removes_the_draft(
    ) {
        let mut facts = fixtures::facts();
        facts.orders = vec![fixtures::order(
            "draft-2",
            MedicationClass::Cyclophosphamide,
            None,
        )];
        let cards = evaluate(&facts);
        let primary = find(&cards, Topic::RituximabFullCourse).unwrap();
        assert!(
            primary.summary.contains("270 mg per dose"),
            "{}",
            primary.summary
        );
        assert_eq!(first_dose_mg(primary).as_deref(), Some("270"));
        let fertility = find(&cards, Topic::FertilityPreferRituximab).unwrap();
        assert_eq!(first_dose_mg(fertility), None);
        assert_eq!(kinds(fertility), vec![ActionKind::Delete]);
        assert!(fertility.suggestions[0].is_recommended);
        // The fertility card names the primary by its visible summary and shows no working.
        assert!(
            fertility.detail.contains(&primary.summary),
            "{}",
            fertility.detail
        );
        assert!(!fertility.detail.contains("**Working**"));
    }

    #[test]
    fn after_a_partial_course_the_primary_keeps_its_options_and_the_fertility_card_only_removes() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2026 - 11 - 02), 2);
        facts.orders = vec![fixtures::order(
            "draft-2",
            MedicationClass::Cyclophosphamide,
            None,
        )];
        let cards = evaluate(&facts);
        let primary = find(&cards, Topic::RituximabPartialPrior).unwrap();
        assert!(primary.suggestions.iter().all(|s| !s.is_recommended));
        assert_eq!(
            primary.selection_behavior,
            Some(SelectionBehavior::AtMostOne)
        );
        let counts: Vec<_> = fixtures::dosages(primary)
            .iter()
            .map(|dosage| dosage.schedule.count)
            .collect();
        assert_eq!(counts, vec![2, 1]);
        let fertility = find(&cards, Topic::FertilityPreferRituximab).unwrap();
        assert_eq!(kinds(fertility), vec![ActionKind::Delete]);
    }

    #[test]
    fn dose_check_does_not_choose_between_the_primary_options_after_a_partial_course() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2026 - 11 - 02), 2);
        facts.orders = vec![fixtures::order(
            "draft-1",
            MedicationClass::Rituximab,
            Some(DoseAmount::Milligrams(fixtures::dec("500"))),
        )];
        let cards = evaluate(&facts);
        assert_eq!(
            find(&cards, Topic::RituximabPartialPrior)
                .unwrap()
                .suggestions
                .len(),
            2
        );
        let check = find(&cards, Topic::DoseCheck).unwrap();
        assert!(check.suggestions.is_empty());
        assert!(
            check
                .detail
                .contains("the primary card corrects this order"),
            "{}",
            check.detail
        );
    }

    #[test]
    fn dose_check_points_to_the_primary_that_updates_the_same_draft() {
        let mut facts = fixtures::facts();
        facts.rituximab = fixtures::weekly(date!(2025 - 01 - 06), 4);
        facts.orders = vec![fixtures::order(
            "draft-1",
            MedicationClass::Rituximab,
            Some(DoseAmount::Milligrams(fixtures::dec("500"))),
        )];
        let cards = evaluate(&facts);
        // One action per order: the primary updates its regimen's order, dose-check points to it.
        let primary = find(&cards, Topic::RituximabRedose).unwrap();
        assert_eq!(first_dose_mg(primary).as_deref(), Some("270"));
        let check = find(&cards, Topic::DoseCheck).unwrap();
        assert!(check.suggestions.is_empty(), "{:?}", kinds(check));
        assert!(
            check
                .detail
                .contains("the primary card corrects this order"),
            "{}",
            check.detail
        );
    }
}

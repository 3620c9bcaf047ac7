//! `monitoring-and-rehabilitation` (section 4, additional cards; `order-sign` only): regular
//! neurological and cognitive assessment and cognitive rehabilitation (guideline, "Monitoring and
//! follow-up" and "Common pitfalls").

use fhir_mapping::{Hook, MedicationClass};

use crate::assessment::Assessment;
use crate::card::{Indicator, SelectionBehavior, Topic};
use crate::evidence::{ROSSOR_2022, WILKEN_2008_REVIEW};
use crate::markdown::Detail;
use crate::proposal::{
    CardProposal, ProposedAction, ProposedOrder, ProposedSuggestion, ServiceCode, ServiceOrder,
};

/// The orders being signed start a treatment step: the primary's drug is among them (rituximab
/// for a rituximab card, cyclophosphamide at the first pulse of the regimen).
fn starts_a_treatment_step(assessment: &Assessment<'_>) -> bool {
    let orders = &assessment.facts.orders;
    match assessment.primary {
        Topic::RituximabFullCourse | Topic::RituximabRedose | Topic::RituximabPartialPrior => {
            orders.iter().any(|order| order.medication.is_rituximab())
        }
        Topic::CyclophosphamideDexamethasonePulses => {
            assessment.regimen_pulses.is_empty()
                && orders
                    .iter()
                    .any(|order| order.medication == MedicationClass::Cyclophosphamide)
        }
        _ => false,
    }
}

/// Adds the card when the orders being signed start a treatment step.
pub fn apply(cards: &mut Vec<CardProposal>, assessment: &Assessment<'_>) {
    if assessment.facts.hook != Hook::OrderSign || !starts_a_treatment_step(assessment) {
        return;
    }
    let detail = Detail::new("Plan follow-up alongside the treatment:")
        .also("- regular neurological assessment of opsoclonus, myoclonus and ataxia to judge the response")
        .also("- cognitive assessment: cognitive impairment can develop despite a motor response")
        .also("- cognitive rehabilitation as part of the treatment plan")
        .also(
            "Delayed treatment worsens neurological and cognitive outcomes; about 80% of children \
             with OMS keep mild to severe deficits despite treatment.",
        )
        .evidence(WILKEN_2008_REVIEW)
        .evidence(ROSSOR_2022)
        .because("orders for relapsed OMS are being signed", Some(&assessment.oms.reference));
    let assessment_order = ServiceOrder {
        code: ServiceCode {
            system: None,
            code: None,
            text: "Neuropsychological assessment",
        },
        note:
            "Relapsed opsoclonus-myoclonus syndrome: baseline cognitive assessment and planning of \
               cognitive rehabilitation."
                .to_owned(),
    };
    cards.push(
        CardProposal::new(
            Topic::MonitoringAndRehabilitation,
            Indicator::Info,
            "Plan neurological and cognitive follow-up and cognitive rehabilitation",
            detail,
        )
        .suggest(ProposedSuggestion::new(
            "Order a neuropsychological assessment",
            vec![ProposedAction::Create {
                description: "Create an order for a neuropsychological assessment".to_owned(),
                order: ProposedOrder::Service(assessment_order),
            }],
        ))
        .selection(SelectionBehavior::Any),
    );
}

#[cfg(test)]
mod tests {
    use crate::card::Topic;
    use crate::fixtures::{self, evaluate, find};
    use fhir_mapping::Hook;

    #[test]
    fn signing_orders_gets_the_monitoring_card_with_a_neuropsychology_order() {
        let mut facts = fixtures::facts();
        facts.hook = Hook::OrderSign;
        let cards = evaluate(&facts);
        let card = find(&cards, Topic::MonitoringAndRehabilitation).unwrap();
        assert_eq!(
            fixtures::services(card)[0].code.text,
            "Neuropsychological assessment"
        );
    }

    #[test]
    fn selecting_an_order_gets_no_monitoring_card() {
        assert!(find(
            &evaluate(&fixtures::facts()),
            Topic::MonitoringAndRehabilitation
        )
        .is_none());
    }
}

//! A scenario's expectations checked against the service's answer; each problem is a sentence.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::contract::shows_mg_amount;
use crate::scenario::{
    drug_of, suggested_medication_requests, timing_text, topic_of, Answer, Expectation, Proof,
};

/// Every way `answer` misses `expect` and `proves`.
pub fn check(answer: &Answer, expect: &Expectation, proves: &Proof) -> Vec<String> {
    let mut problems = Vec::new();
    let whole_answer = answer.body.to_string();
    for text in &expect.absent_everywhere {
        if whole_answer.contains(text.as_str()) {
            problems.push(format!("{text:?} appears in the answer"));
        }
    }
    let expected_status = expect.status.unwrap_or(200);
    if answer.status != expected_status {
        problems.push(format!(
            "HTTP {} instead of {expected_status}: {}",
            answer.status, answer.body
        ));
        return problems;
    }
    if expected_status != 200 {
        problems.extend(check_operation_outcome(&answer.body, expect));
        return problems;
    }
    problems.extend(check_proof(answer, proves));
    let cards: Vec<&Value> = answer.body["cards"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let topics: Vec<&str> = cards.iter().map(|card| topic_of(card)).collect();
    let card = |topic: &str| cards.iter().copied().find(|card| topic_of(card) == topic);
    if expect.no_cards && !cards.is_empty() {
        problems.push(format!("expected no cards, got {topics:?}"));
    }
    for topic in &expect.topics_present {
        if !topics.contains(&topic.as_str()) {
            problems.push(format!("missing topic {topic} (got {topics:?})"));
        }
    }
    for topic in &expect.topics_absent {
        if topics.contains(&topic.as_str()) {
            problems.push(format!("unexpected topic {topic}"));
        }
    }
    let primaries: Vec<&str> = answer
        .cards
        .iter()
        .filter(|card| card.is_primary)
        .map(|card| card.topic.code())
        .collect();
    match &expect.primary {
        Some(primary) if primaries != [primary.as_str()] => {
            problems.push(format!("expected primary {primary}, got {primaries:?}"));
        }
        None if !primaries.is_empty() => {
            problems.push(format!("expected no primary card, got {primaries:?}"));
        }
        _ => {}
    }
    for (topic, indicator) in &expect.indicators {
        match card(topic) {
            Some(found) if found["indicator"] != indicator.as_str() => problems.push(format!(
                "{topic}: indicator {} instead of {indicator}",
                found["indicator"]
            )),
            None => problems.push(format!("{topic}: card missing for the indicator check")),
            _ => {}
        }
    }
    for (topic, expected) in &expect.action_types {
        let Some(found) = card(topic) else {
            problems.push(format!("{topic}: card missing for the action check"));
            continue;
        };
        let actual: BTreeSet<&str> = actions(found)
            .filter_map(|action| action["type"].as_str())
            .collect();
        let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
        if actual != expected {
            problems.push(format!(
                "{topic}: action types {actual:?} instead of {expected:?}"
            ));
        }
    }
    for dose in &expect.doses {
        let Some(found) = card(&dose.topic) else {
            problems.push(format!("{}: card missing for the dose check", dose.topic));
            continue;
        };
        let requests = suggested_medication_requests(found);
        let Some(request) = requests.iter().find(|r| drug_of(r) == dose.drug) else {
            problems.push(format!(
                "{}: no suggested {} order (drugs: {:?})",
                dose.topic,
                dose.drug,
                requests.iter().map(|r| drug_of(r)).collect::<Vec<_>>()
            ));
            continue;
        };
        let dosage = &request["dosageInstruction"][0];
        let quantity = &dosage["doseAndRate"][0]["doseQuantity"];
        let actual = (
            quantity["value"].as_f64(),
            quantity["code"].as_str(),
            timing_text(dosage),
        );
        let wanted = (
            Some(dose.amount),
            Some(dose.unit.as_str()),
            dose.timing.clone(),
        );
        if actual != wanted {
            problems.push(format!(
                "{}: {} {:?} instead of {:?}",
                dose.topic, dose.drug, actual, wanted
            ));
        }
    }
    if expect.no_mg_amounts {
        for found in &cards {
            if shows_mg_amount(found) {
                problems.push(format!(
                    "{}: shows an mg amount although doses are withheld",
                    topic_of(found)
                ));
            }
        }
    }
    for draft in &expect.no_delete_of {
        for found in &cards {
            if actions(found)
                .any(|action| action["type"] == "delete" && action["resourceId"] == draft.as_str())
            {
                problems.push(format!("{}: offers to delete {draft}", topic_of(found)));
            }
        }
    }
    for draft in &expect.untouched {
        let id = draft.split_once('/').map_or(draft.as_str(), |(_, id)| id);
        for found in &cards {
            let touches = actions(found).any(|action| {
                (action["type"] == "delete" && action["resourceId"] == draft.as_str())
                    || (action["type"] == "update" && action["resource"]["id"] == id)
            });
            if touches {
                problems.push(format!("{}: changes {draft}", topic_of(found)));
            }
        }
    }
    for (topic, phrases) in &expect.text_contains {
        let Some(found) = card(topic) else {
            problems.push(format!("{topic}: card missing for the text check"));
            continue;
        };
        let text = format!(
            "{}\n{}",
            found["summary"].as_str().unwrap_or_default(),
            found["detail"].as_str().unwrap_or_default()
        );
        for phrase in phrases {
            if !text.contains(phrase.as_str()) {
                problems.push(format!("{topic}: {phrase:?} not in the summary or detail"));
            }
        }
    }
    problems
}

fn check_operation_outcome(body: &Value, expect: &Expectation) -> Vec<String> {
    let mut problems = Vec::new();
    if body["resourceType"] != "OperationOutcome" {
        problems.push(format!("the error body is not an OperationOutcome: {body}"));
    }
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap_or_default();
    for phrase in &expect.operation_outcome_contains {
        if !diagnostics.contains(phrase.as_str()) {
            problems.push(format!(
                "{phrase:?} not in the OperationOutcome: {diagnostics}"
            ));
        }
    }
    problems
}

fn check_proof(answer: &Answer, proves: &Proof) -> Vec<String> {
    let Some(facts) = &answer.facts else {
        return vec!["no facts to check the proof against".to_owned()];
    };
    let mut problems = Vec::new();
    let kinds: Vec<&str> = facts.issues.iter().map(|issue| issue.kind.code()).collect();
    for kind in &proves.data_issues {
        if !kinds.contains(&kind.as_str()) {
            problems.push(format!("data issue {kind} not reported (got {kinds:?})"));
        }
    }
    let text = format!("{facts:?}");
    for phrase in &proves.facts_contain {
        if !text.contains(phrase.as_str()) {
            problems.push(format!("the facts do not contain {phrase:?}"));
        }
    }
    problems
}

/// Every action of a response card.
pub fn actions(card: &Value) -> impl Iterator<Item = &Value> {
    card["suggestions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|suggestion| suggestion["actions"].as_array().into_iter().flatten())
}

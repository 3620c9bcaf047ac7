//! The governance summary: per topic, cards issued, accepted, overridden, and override reasons.

use std::collections::BTreeMap;

use anyhow::Context;

use super::{Operation, StorageError, Store};
use crate::wire::feedback::OutcomeKind;

/// Counts for one topic in a time window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicSummary {
    /// Cards issued.
    pub issued: i64,
    /// Feedback `accepted`.
    pub accepted: i64,
    /// Feedback `overridden`.
    pub overridden: i64,
    /// Override reasons picked, with counts: (system, code, display) -> count.
    pub override_reasons: BTreeMap<(String, String, String), i64>,
}

impl Store {
    /// Per-topic counts for cards issued and feedback received in `[from_ms, to_ms)`. It scans
    /// whole windows, so it runs under the longer background deadline.
    pub async fn feedback_summary(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<BTreeMap<String, TopicSummary>, StorageError> {
        self.in_background(Operation::Summary, self.summarise(from_ms, to_ms))
            .await
    }

    async fn summarise(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> anyhow::Result<BTreeMap<String, TopicSummary>> {
        let mut topics: BTreeMap<String, TopicSummary> = BTreeMap::new();
        let issued: Vec<(String, i64)> = sqlx::query_as(
            "SELECT topic, COUNT(*) FROM issued_cards \
             WHERE issued_at_ms >= $1 AND issued_at_ms < $2 GROUP BY topic",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .context("cannot count issued cards")?;
        for (topic, count) in issued {
            topics.entry(topic).or_default().issued = count;
        }
        let feedback: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT COALESCE(i.topic, 'unknown'), f.outcome, f.override_reason_system, \
             f.override_reason_code, f.override_reason_display, COUNT(*) \
             FROM feedback f LEFT JOIN issued_cards i ON i.card_uuid = f.card_uuid \
             WHERE f.received_at_ms >= $1 AND f.received_at_ms < $2 \
             GROUP BY COALESCE(i.topic, 'unknown'), f.outcome, f.override_reason_system, \
             f.override_reason_code, f.override_reason_display",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .context("cannot summarise feedback")?;
        for (topic, outcome, system, code, display, count) in feedback {
            let summary = topics.entry(topic).or_default();
            if OutcomeKind::from_code(&outcome) == Some(OutcomeKind::Accepted) {
                summary.accepted += count;
            } else {
                summary.overridden += count;
                if !code.is_empty() {
                    *summary
                        .override_reasons
                        .entry((system, code, display))
                        .or_default() += count;
                }
            }
        }
        Ok(topics)
    }
}

#[cfg(test)]
mod tests {
    use cards::{Indicator, Topic};
    use fhir_mapping::Hook;

    use crate::identifiers::{CardUuid, HookInstance, SuggestionUuid};
    use crate::storage::test_support::all_stores;
    use crate::storage::{now_ms, IssuedCard};
    use crate::wire::feedback::{Feedback, Outcome, OverrideReason};

    #[tokio::test]
    async fn the_summary_joins_feedback_to_the_topic_of_the_issued_card() {
        for store in all_stores().await {
            let start = now_ms();
            let topic = Topic::DoseCheck;
            let cards: Vec<CardUuid> = (0..3)
                .map(|_| CardUuid::parse(&uuid::Uuid::new_v4().to_string()).expect("a uuid"))
                .collect();
            let issued: Vec<IssuedCard> = cards
                .iter()
                .map(|uuid| IssuedCard {
                    card_uuid: uuid.clone(),
                    service_id: "svc".into(),
                    hook: Hook::OrderSign,
                    hook_instance: HookInstance::parse("hi").expect("a hook instance"),
                    topic,
                    indicator: Indicator::Warning,
                    issued_at_ms: start,
                })
                .collect();
            store.insert_issued_cards(&issued).await.expect("issued");
            let reason = OverrideReason {
                system: "s".into(),
                code: "clinical-judgement".into(),
                display: Some("Clinical judgement".into()),
            };
            let feedback = vec![
                Feedback {
                    card: cards[0].clone(),
                    outcome: Outcome::Accepted {
                        suggestions: vec![SuggestionUuid::parse(
                            "992fb8ed-1e35-42d4-9e78-3589b54ea8eb",
                        )
                        .expect("a uuid")],
                    },
                    outcome_timestamp: "2026-11-25T10:00:00Z".into(),
                },
                Feedback {
                    card: cards[1].clone(),
                    outcome: Outcome::Overridden {
                        reason: Some(reason.clone()),
                        has_comment: false,
                    },
                    outcome_timestamp: "2026-11-25T10:00:00Z".into(),
                },
                Feedback {
                    card: cards[2].clone(),
                    outcome: Outcome::Overridden {
                        reason: Some(reason),
                        has_comment: true,
                    },
                    outcome_timestamp: "2026-11-25T10:00:00Z".into(),
                },
            ];
            store
                .record_feedback("svc", &feedback)
                .await
                .expect("feedback");
            let summary = store
                .feedback_summary(start, now_ms() + 1)
                .await
                .expect("summary");
            let dose_check = &summary[topic.code()];
            assert!(dose_check.issued >= 3, "{:?}", store.backend());
            assert!(dose_check.accepted >= 1);
            assert!(dose_check.overridden >= 2);
            let key = (
                "s".to_string(),
                "clinical-judgement".to_string(),
                "Clinical judgement".to_string(),
            );
            assert!(dose_check.override_reasons[&key] >= 2);
        }
    }
}

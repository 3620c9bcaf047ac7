//! Feedback rows: written before the service answers 200, so acknowledged feedback is durable.

use anyhow::Context;

use super::{now_ms, Operation, StorageError, Store};
use crate::identifiers::{CardUuid, SuggestionUuid};
use crate::wire::feedback::{Feedback, Outcome, OutcomeKind};

/// A feedback row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeedback {
    /// The card's uuid.
    pub card_uuid: CardUuid,
    /// Accepted or overridden.
    pub outcome: OutcomeKind,
    /// RFC 3339 UTC.
    pub outcome_timestamp: String,
    /// Accepted suggestion uuids.
    pub accepted_suggestions: Vec<String>,
    /// The override reason code, when one was picked.
    pub override_reason_code: Option<String>,
    /// The service id the feedback is attributed to.
    pub service_id: String,
}

impl Store {
    /// Stores a feedback batch received for one service id, in one transaction; an entry
    /// already stored is left as it is.
    pub async fn record_feedback(
        &self,
        service_id: &str,
        batch: &[Feedback],
    ) -> Result<(), StorageError> {
        let attributed: Vec<(&str, &Feedback)> =
            batch.iter().map(|entry| (service_id, entry)).collect();
        self.record_attributed_feedback(&attributed).await
    }

    /// Stores a feedback batch whose entries are attributed to possibly different service ids
    /// (feedback posted to the deprecated alias goes to the id of each card's hook), in one
    /// transaction; an entry already stored is left as it is. `Ok` means committed; the whole
    /// call is bounded by the request deadline.
    pub async fn record_attributed_feedback(
        &self,
        batch: &[(&str, &Feedback)],
    ) -> Result<(), StorageError> {
        self.on_request_path(Operation::Feedback, self.insert_feedback(batch))
            .await
    }

    async fn insert_feedback(&self, batch: &[(&str, &Feedback)]) -> anyhow::Result<()> {
        let received_at = now_ms();
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot start a feedback transaction")?;
        for &(service_id, entry) in batch {
            let (suggestions, system, code, display, has_comment) = match &entry.outcome {
                Outcome::Accepted { suggestions } => (
                    suggestions
                        .iter()
                        .map(SuggestionUuid::as_str)
                        .collect::<Vec<_>>()
                        .join(" "),
                    String::new(),
                    String::new(),
                    String::new(),
                    false,
                ),
                Outcome::Overridden {
                    reason,
                    has_comment,
                } => {
                    let (system, code, display) = reason
                        .as_ref()
                        .map(|r| {
                            (
                                r.system.clone(),
                                r.code.clone(),
                                r.display.clone().unwrap_or_default(),
                            )
                        })
                        .unwrap_or_default();
                    (String::new(), system, code, display, *has_comment)
                }
            };
            sqlx::query(
                "INSERT INTO feedback (card_uuid, outcome, outcome_timestamp, service_id, \
                 accepted_suggestions, override_reason_system, override_reason_code, \
                 override_reason_display, has_comment, received_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (card_uuid, outcome, outcome_timestamp) DO NOTHING",
            )
            .bind(entry.card.as_str())
            .bind(entry.outcome.code())
            .bind(&entry.outcome_timestamp)
            .bind(service_id)
            .bind(suggestions)
            .bind(system)
            .bind(code)
            .bind(display)
            .bind(i64::from(has_comment))
            .bind(received_at)
            .execute(&mut *tx)
            .await
            .context("cannot insert feedback")?;
        }
        tx.commit().await.context("cannot commit feedback")?;
        Ok(())
    }

    /// The feedback stored for one card, oldest outcome first.
    pub async fn feedback_for_card(
        &self,
        card_uuid: &CardUuid,
    ) -> Result<Vec<StoredFeedback>, StorageError> {
        self.on_request_path(Operation::Feedback, self.select_feedback(card_uuid))
            .await
    }

    async fn select_feedback(&self, card_uuid: &CardUuid) -> anyhow::Result<Vec<StoredFeedback>> {
        let rows: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT card_uuid, outcome, outcome_timestamp, accepted_suggestions, \
             override_reason_code, service_id \
             FROM feedback WHERE card_uuid = $1 ORDER BY outcome_timestamp",
        )
        .bind(card_uuid.as_str())
        .fetch_all(&self.pool)
        .await
        .context("cannot read feedback")?;
        rows.into_iter()
            .map(
                |(card_uuid, outcome, outcome_timestamp, suggestions, reason, service_id)| {
                    Ok(StoredFeedback {
                        card_uuid: CardUuid::parse(&card_uuid)
                            .context("a stored feedback row has an unreadable card uuid")?,
                        outcome: OutcomeKind::from_code(&outcome).with_context(|| {
                            format!("a stored feedback row has the unknown outcome `{outcome}`")
                        })?,
                        outcome_timestamp,
                        accepted_suggestions: suggestions
                            .split_whitespace()
                            .map(str::to_owned)
                            .collect(),
                        override_reason_code: (!reason.is_empty()).then_some(reason),
                        service_id,
                    })
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::identifiers::{CardUuid, SuggestionUuid};
    use crate::storage::test_support::all_stores;
    use crate::wire::feedback::{Feedback, Outcome, OutcomeKind, OverrideReason};

    const S1: &str = "5d0a6b4e-3f7c-4b2a-8e1d-0c9b8a7f6e5d";
    const S2: &str = "992fb8ed-1e35-42d4-9e78-3589b54ea8eb";

    fn accepted(card: &CardUuid) -> Feedback {
        let suggestion = |text| SuggestionUuid::parse(text).expect("a uuid");
        Feedback {
            card: card.clone(),
            outcome: Outcome::Accepted {
                suggestions: vec![suggestion(S1), suggestion(S2)],
            },
            outcome_timestamp: "2026-11-25T10:00:00Z".into(),
        }
    }

    #[tokio::test]
    async fn feedback_round_trips_and_duplicates_are_stored_once() {
        for store in all_stores().await {
            let card = CardUuid::parse(&uuid::Uuid::new_v4().to_string()).expect("a uuid");
            let overridden = Feedback {
                card: card.clone(),
                outcome: Outcome::Overridden {
                    reason: Some(OverrideReason {
                        system: "s".into(),
                        code: "not-indicated".into(),
                        display: None,
                    }),
                    has_comment: false,
                },
                outcome_timestamp: "2026-11-25T11:00:00Z".into(),
            };
            store
                .record_feedback("svc", &[accepted(&card), overridden.clone()])
                .await
                .expect("insert");
            store
                .record_feedback("svc", &[accepted(&card)])
                .await
                .expect("duplicate is harmless");
            let rows = store.feedback_for_card(&card).await.expect("read");
            assert_eq!(rows.len(), 2, "{:?}", store.backend());
            assert_eq!(rows[0].card_uuid, card);
            assert_eq!(rows[0].outcome, OutcomeKind::Accepted);
            assert_eq!(rows[1].outcome, OutcomeKind::Overridden);
            assert_eq!(
                rows[0].accepted_suggestions,
                vec![S1.to_string(), S2.to_string()]
            );
            assert_eq!(
                rows[1].override_reason_code.as_deref(),
                Some("not-indicated")
            );
            assert_eq!(rows[0].service_id, "svc");
        }
    }
}

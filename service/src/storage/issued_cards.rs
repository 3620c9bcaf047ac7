//! The issued-cards log: what the service showed (topic, indicator, uuids, time), written off the
//! request path through a bounded queue so a slow database never delays a response. An entry
//! lost on the way (the queue is full, or the database refuses its batch) is counted, by reason.

use crate::metrics::IssuedCardDrops;
use anyhow::Context;
use cards::{Indicator, Topic};
use fhir_mapping::Hook;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Operation, StorageError, Store};
use crate::identifiers::{CardUuid, HookInstance};

/// One issued card.
#[derive(Debug, Clone)]
pub struct IssuedCard {
    /// The card's uuid.
    pub card_uuid: CardUuid,
    /// The service id.
    pub service_id: String,
    /// The hook.
    pub hook: Hook,
    /// The hook instance.
    pub hook_instance: HookInstance,
    /// The topic.
    pub topic: Topic,
    /// The indicator.
    pub indicator: Indicator,
    /// When it was issued (epoch ms).
    pub issued_at_ms: i64,
}

/// The sending side, cloned into request handlers.
#[derive(Debug, Clone)]
pub struct IssuedCardLog {
    sender: mpsc::Sender<IssuedCard>,
    /// Shared with the metrics registry (`oms_cds_issued_cards_log_dropped_total`).
    dropped: IssuedCardDrops,
}

/// The background writer; await `finish` at shutdown to flush what is queued.
#[derive(Debug)]
pub struct IssuedCardWriter {
    task: JoinHandle<()>,
}

const BATCH: usize = 256;

impl IssuedCardLog {
    /// Starts the writer task with a queue of `capacity` entries; lost entries are counted in
    /// `dropped` (metrics counters).
    pub fn spawn(
        store: Store,
        capacity: usize,
        dropped: IssuedCardDrops,
    ) -> (IssuedCardLog, IssuedCardWriter) {
        let (sender, receiver) = mpsc::channel(capacity);
        let task = tokio::spawn(write_batches(store, receiver, dropped.write_failed.clone()));
        let log = IssuedCardLog { sender, dropped };
        (log, IssuedCardWriter { task })
    }

    /// Queues entries without waiting; entries that do not fit are dropped and counted.
    pub fn record(&self, cards: Vec<IssuedCard>) {
        for card in cards {
            if self.sender.try_send(card).is_err() {
                let total = self.dropped.queue_full.inc() + 1;
                tracing::warn!(
                    dropped_total = total,
                    "issued-cards log queue full; entry dropped"
                );
            }
        }
    }

    /// Entries dropped since start because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.queue_full.get()
    }
}

impl IssuedCardWriter {
    /// Waits until every queued entry is written. Call after the last `IssuedCardLog` clone is
    /// dropped (the queue closes then).
    pub async fn finish(self) {
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "issued-cards writer stopped abnormally");
        }
    }
}

async fn write_batches(
    store: Store,
    mut receiver: mpsc::Receiver<IssuedCard>,
    write_failed: prometheus_client::metrics::counter::Counter,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while receiver.recv_many(&mut batch, BATCH).await > 0 {
        if let Err(e) = store.insert_issued_cards(&batch).await {
            // The batch is one transaction: none of its rows were stored.
            let lost = u64::try_from(batch.len()).unwrap_or(u64::MAX);
            let total = write_failed.inc_by(lost) + lost;
            tracing::error!(
                error = format!("{e:#}"),
                lost,
                lost_total = total,
                "cannot write the issued-cards log"
            );
        }
        batch.clear();
    }
}

impl Store {
    /// Inserts issued cards in one transaction (a card already logged is left as it is),
    /// bounded by the background deadline.
    pub async fn insert_issued_cards(&self, cards: &[IssuedCard]) -> Result<(), StorageError> {
        self.in_background(Operation::IssuedCards, self.insert_cards(cards))
            .await
    }

    async fn insert_cards(&self, cards: &[IssuedCard]) -> anyhow::Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot start an issued-cards transaction")?;
        for card in cards {
            sqlx::query(
                "INSERT INTO issued_cards (card_uuid, service_id, hook, hook_instance, topic, \
                 indicator, issued_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (card_uuid) DO NOTHING",
            )
            .bind(card.card_uuid.as_str())
            .bind(&card.service_id)
            .bind(card.hook.code())
            .bind(card.hook_instance.as_str())
            .bind(card.topic.code())
            .bind(card.indicator.code())
            .bind(card.issued_at_ms)
            .execute(&mut *tx)
            .await
            .context("cannot insert an issued card")?;
        }
        tx.commit().await.context("cannot commit issued cards")
    }

    /// The topic code of an issued card, if it was logged. Text, not a `Topic`: the log may
    /// hold topics an earlier release issued, and those are still counted under their code.
    /// Read for feedback, under the request deadline.
    pub async fn issued_card_topic(
        &self,
        card_uuid: &CardUuid,
    ) -> Result<Option<String>, StorageError> {
        self.on_request_path(Operation::Feedback, async {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT topic FROM issued_cards WHERE card_uuid = $1")
                    .bind(card_uuid.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .context("cannot read the issued-cards log")?;
            Ok(row.map(|(topic,)| topic))
        })
        .await
    }

    /// The hook an issued card was shown for, if it was logged with a hook this release knows.
    /// Read for feedback, under the request deadline.
    pub async fn issued_card_hook(
        &self,
        card_uuid: &CardUuid,
    ) -> Result<Option<Hook>, StorageError> {
        self.on_request_path(Operation::Feedback, async {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT hook FROM issued_cards WHERE card_uuid = $1")
                    .bind(card_uuid.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .context("cannot read the issued-cards log")?;
            Ok(row.and_then(|(hook,)| Hook::from_code(&hook)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::all_stores;

    fn new_card_uuid() -> CardUuid {
        CardUuid::parse(&uuid::Uuid::new_v4().to_string()).expect("a uuid")
    }

    fn card(uuid: &CardUuid) -> IssuedCard {
        IssuedCard {
            card_uuid: uuid.clone(),
            service_id: "svc".into(),
            hook: Hook::OrderSign,
            hook_instance: HookInstance::parse("hi").expect("a hook instance"),
            topic: Topic::RituximabRedose,
            indicator: Indicator::Info,
            issued_at_ms: 1,
        }
    }

    #[tokio::test]
    async fn queued_cards_are_written_by_the_time_the_writer_finishes() {
        for store in all_stores().await {
            let (log, writer) = IssuedCardLog::spawn(store.clone(), 16, IssuedCardDrops::default());
            let uuid = new_card_uuid();
            log.record(vec![card(&uuid)]);
            drop(log);
            writer.finish().await;
            assert_eq!(
                store
                    .issued_card_topic(&uuid)
                    .await
                    .expect("read")
                    .as_deref(),
                Some("rituximab-redose")
            );
            assert_eq!(
                store.issued_card_hook(&uuid).await.expect("read"),
                Some(Hook::OrderSign)
            );
            assert_eq!(
                store
                    .issued_card_hook(&new_card_uuid())
                    .await
                    .expect("read"),
                None
            );
        }
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let store = crate::storage::test_support::sqlite_store().await;
        let (sender, _receiver) = mpsc::channel(1);
        let log = IssuedCardLog {
            sender,
            dropped: IssuedCardDrops::default(),
        };
        log.record(vec![
            card(&new_card_uuid()),
            card(&new_card_uuid()),
            card(&new_card_uuid()),
        ]);
        assert_eq!(log.dropped(), 2);
        drop(store);
    }

    #[tokio::test]
    async fn rows_lost_on_a_database_error_are_counted() {
        let store = crate::storage::test_support::sqlite_store().await;
        // A closed pool refuses every call, as a database gone away does.
        store.close().await;
        let drops = IssuedCardDrops::default();
        let (log, writer) = IssuedCardLog::spawn(store, 16, drops.clone());
        log.record(vec![card(&new_card_uuid()), card(&new_card_uuid())]);
        drop(log);
        writer.finish().await;
        assert_eq!(drops.write_failed.get(), 2);
        assert_eq!(drops.queue_full.get(), 0);
    }
}

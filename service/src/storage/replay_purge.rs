//! The replay table's janitor: a background task that deletes expired JWT ids, in bounded
//! batches, at start and then every `storage.replay_purge_interval_secs`, until shutdown.
//!
//! Without it the table only forgets a `jti` when the same one comes back, so it grows with
//! every call. A failed round is logged and counted (`operation="purge"`) and tried again at
//! the next tick.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::Store;
use crate::config::StorageSettings;

/// The running purge; [`ReplayPurge::stop`] it at shutdown (dropping it stops it too).
#[derive(Debug)]
pub struct ReplayPurge {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ReplayPurge {
    /// Starts purging `store`'s expired JWT ids as `settings` say.
    pub fn spawn(store: &Store, settings: &StorageSettings) -> ReplayPurge {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(purge_until_stopped(
            store.clone(),
            settings.replay_purge_interval(),
            settings.replay_purge_batch,
            stopped,
        ));
        ReplayPurge {
            stop: Some(stop),
            task,
        }
    }

    /// Stops the task (a round in progress is abandoned: what it deleted stays deleted) and
    /// waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(error) = (&mut self.task).await {
            tracing::error!(error = %error, "the replay purge stopped abnormally");
        }
    }
}

impl Drop for ReplayPurge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn purge_until_stopped(
    store: Store,
    interval: Duration,
    batch: u32,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut ticks = tokio::time::interval(interval);
    // After a slow round, wait a whole interval again rather than catching up at once.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            _ = &mut stopped => return,
            _deleted = purge_round(&store, batch) => {}
        }
    }
}

/// Deletes every jti expired by now, one bounded batch at a time; returns how many.
async fn purge_round(store: &Store, batch: u32) -> u64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut total = 0;
    loop {
        match store.purge_expired_jtis(now, batch).await {
            Ok(deleted) => {
                total += deleted;
                if deleted < u64::from(batch) {
                    break;
                }
                // Let request-path calls have the database between two batches.
                tokio::task::yield_now().await;
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    deleted = total,
                    "cannot purge expired JWT ids; trying again at the next interval"
                );
                break;
            }
        }
    }
    if total > 0 {
        tracing::debug!(deleted = total, "purged expired JWT ids");
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifiers::Issuer;
    use crate::storage::test_support::sqlite_store;

    #[tokio::test]
    async fn a_round_deletes_every_expired_jti_in_several_batches() {
        let store = sqlite_store().await;
        let iss = Issuer::parse("iss").expect("an issuer");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for n in 0..7 {
            let jti = format!("jti-{n}");
            store
                .remember_jti(&iss, &jti, now - 5, now - 60)
                .await
                .expect("recorded");
        }
        store
            .remember_jti(&iss, "live", now + 300, now)
            .await
            .expect("recorded");
        assert_eq!(purge_round(&store, 3).await, 7);
        assert_eq!(purge_round(&store, 3).await, 0);
        assert!(
            !store
                .remember_jti(&iss, "live", now + 300, now)
                .await
                .expect("answered"),
            "an unexpired jti is kept"
        );
    }

    #[tokio::test]
    async fn the_task_purges_at_start_and_stops_when_asked() {
        let store = sqlite_store().await;
        let iss = Issuer::parse("iss").expect("an issuer");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        store
            .remember_jti(&iss, "old", now - 5, now - 60)
            .await
            .expect("recorded");
        let purge = ReplayPurge::spawn(&store, &StorageSettings::default());
        let mut left = 1;
        for _ in 0..100 {
            left = store.count_jtis().await;
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(left, 0, "the first round runs at start");
        tokio::time::timeout(Duration::from_secs(1), purge.stop())
            .await
            .expect("stops promptly");
    }

    impl Store {
        async fn count_jtis(&self) -> i64 {
            let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jwt_replay")
                .fetch_one(&self.pool)
                .await
                .expect("counted");
            count
        }
    }
}

//! Seen JWT ids (`jti`), shared by replicas through the database.

use anyhow::Context;

use super::{Operation, StorageError, Store};
use crate::identifiers::Issuer;

impl Store {
    /// Records `issuer` + `jti` until `expires_at` (epoch seconds); returns `false` when the pair
    /// was already recorded and has not expired (a replay). Bounded by the request deadline.
    pub async fn remember_jti(
        &self,
        issuer: &Issuer,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StorageError> {
        self.on_request_path(
            Operation::Replay,
            self.insert_jti(issuer, jti, expires_at, now),
        )
        .await
    }

    async fn insert_jti(
        &self,
        issuer: &Issuer,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> anyhow::Result<bool> {
        // One statement, one commit: a new jti is inserted; an expired one is taken over (its
        // token can no longer pass the `exp` check); an unexpired one is left alone, and then no
        // row is affected: a replay.
        let inserted = sqlx::query(
            "INSERT INTO jwt_replay (issuer, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE jwt_replay.expires_at < $4",
        )
        .bind(issuer.as_str())
        .bind(jti)
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("cannot record a jti")?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Deletes at most `limit` jtis that expired before `now` (epoch seconds), in one short
    /// statement; returns how many. Portable SQL: a row-value `IN` over a limited sub-select
    /// works on SQLite and PostgreSQL alike (`DELETE ... LIMIT` is neither's standard).
    pub async fn purge_expired_jtis(&self, now: i64, limit: u32) -> Result<u64, StorageError> {
        self.in_background(Operation::Purge, async {
            let result = sqlx::query(
                "DELETE FROM jwt_replay WHERE (issuer, jti) IN \
                 (SELECT issuer, jti FROM jwt_replay WHERE expires_at < $1 LIMIT $2)",
            )
            .bind(now)
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await
            .context("cannot purge expired jtis")?;
            Ok(result.rows_affected())
        })
        .await
    }
}

/// Replicas sharing PostgreSQL share the replay cache: a jti used on one is refused on all.
#[async_trait::async_trait]
impl crate::auth::ReplayCache for Store {
    async fn record(
        &self,
        issuer: &Issuer,
        jti: &str,
        keep_until: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<crate::auth::Freshness, crate::auth::ReplayCacheError> {
        let fresh = self
            .remember_jti(
                issuer,
                jti,
                keep_until.unix_timestamp(),
                now.unix_timestamp(),
            )
            .await
            .map_err(|e| crate::auth::ReplayCacheError::Store(Box::new(e)))?;
        Ok(if fresh {
            crate::auth::Freshness::Fresh
        } else {
            crate::auth::Freshness::Replayed
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::identifiers::Issuer;
    use crate::storage::test_support::all_stores;

    #[tokio::test]
    async fn a_jti_is_fresh_once_until_it_expires() {
        let iss = Issuer::parse("iss").expect("an issuer");
        let other_iss = Issuer::parse("other-iss").expect("an issuer");
        // Times in the future: a replay purge running against the same PostgreSQL (a service
        // under test) deletes what expired by the real clock, and must not touch these rows.
        let t = time::OffsetDateTime::now_utc().unix_timestamp() + 100_000;
        for store in all_stores().await {
            let jti = uuid::Uuid::new_v4().to_string();
            assert!(store
                .remember_jti(&iss, &jti, t + 1_000, t + 500)
                .await
                .expect("first"));
            assert!(!store
                .remember_jti(&iss, &jti, t + 1_000, t + 600)
                .await
                .expect("replay"));
            assert!(store
                .remember_jti(&other_iss, &jti, t + 1_000, t + 600)
                .await
                .expect("other issuer"));
            assert!(store
                .remember_jti(&iss, &jti, t + 3_000, t + 2_000)
                .await
                .expect("after expiry"));
        }
    }

    #[tokio::test]
    async fn the_purge_deletes_expired_jtis_in_bounded_batches_and_keeps_live_ones() {
        let iss = Issuer::parse(&format!("purge-{}", uuid::Uuid::new_v4())).expect("an issuer");
        // A clock far in the past: other tests' rows in a shared table are not expired by it.
        // (A purge by the real clock, from a service under test, may delete these expired rows
        // too; the assertions hold either way.)
        let now = 100;
        let live_until = time::OffsetDateTime::now_utc().unix_timestamp() + 100_000;
        for store in all_stores().await {
            for n in 0..5 {
                let jti = format!("expired-{n}");
                store
                    .remember_jti(&iss, &jti, now - 10, now - 100)
                    .await
                    .expect("recorded");
            }
            store
                .remember_jti(&iss, "live", live_until, now - 100)
                .await
                .expect("recorded");

            assert!(store.purge_expired_jtis(now, 2).await.expect("purged") <= 2);
            while store.purge_expired_jtis(now, 2).await.expect("purged") > 0 {}
            let left: Vec<(String,)> =
                sqlx::query_as("SELECT jti FROM jwt_replay WHERE issuer = $1")
                    .bind(iss.as_str())
                    .fetch_all(&store.pool)
                    .await
                    .expect("read");
            assert_eq!(left, vec![("live".to_owned(),)], "{:?}", store.backend());
            sqlx::query("DELETE FROM jwt_replay WHERE issuer = $1")
                .bind(iss.as_str())
                .execute(&store.pool)
                .await
                .expect("cleaned up");
        }
    }
}

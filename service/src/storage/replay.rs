//! Seen JWT ids (`jti`), shared by replicas through the database.

use anyhow::Context;

use super::Store;
use crate::identifiers::Issuer;

impl Store {
    /// Records `issuer` + `jti` until `expires_at` (epoch seconds); returns `false` when the pair
    /// was already recorded and has not expired (a replay).
    pub async fn remember_jti(
        &self,
        issuer: &Issuer,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> anyhow::Result<bool> {
        // Expired entries may be reused: their tokens can no longer pass the `exp` check.
        sqlx::query("DELETE FROM jwt_replay WHERE issuer = $1 AND jti = $2 AND expires_at < $3")
            .bind(issuer.as_str())
            .bind(jti)
            .bind(now)
            .execute(&self.pool)
            .await
            .context("cannot purge an expired jti")?;
        let inserted = sqlx::query(
            "INSERT INTO jwt_replay (issuer, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (issuer, jti) DO NOTHING",
        )
        .bind(issuer.as_str())
        .bind(jti)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .context("cannot record a jti")?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Deletes every expired jti; returns how many.
    pub async fn purge_expired_jtis(&self, now: i64) -> anyhow::Result<u64> {
        let result = sqlx::query("DELETE FROM jwt_replay WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .context("cannot purge expired jtis")?;
        Ok(result.rows_affected())
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
            .map_err(|e| crate::auth::ReplayCacheError::Store(e.into()))?;
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
        for store in all_stores().await {
            let jti = uuid::Uuid::new_v4().to_string();
            assert!(store
                .remember_jti(&iss, &jti, 1_000, 500)
                .await
                .expect("first"));
            assert!(!store
                .remember_jti(&iss, &jti, 1_000, 600)
                .await
                .expect("replay"));
            assert!(store
                .remember_jti(&other_iss, &jti, 1_000, 600)
                .await
                .expect("other issuer"));
            assert!(store
                .remember_jti(&iss, &jti, 3_000, 2_000)
                .await
                .expect("after expiry"));
        }
    }
}

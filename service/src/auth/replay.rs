//! Replay protection: each issuer's `jti` is accepted once while its token could still be valid.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::identifiers::Issuer;

/// Whether a `jti` was new when it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// First use: it is now recorded.
    Fresh,
    /// Seen before and still remembered: the token is a replay.
    Replayed,
}

/// Why the replay cache could not answer; the token is then not trusted (fail closed), and the
/// call is answered `503` with `Retry-After`, never `401`: the token may be good.
#[derive(Debug, thiserror::Error)]
pub enum ReplayCacheError {
    /// The in-memory cache holds its maximum of unexpired entries.
    #[error("replay cache is full ({capacity} unexpired entries)")]
    Full {
        /// The configured capacity.
        capacity: usize,
    },
    /// The backing store failed (e.g. the database is unreachable).
    #[error("replay store failed: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Remembers `(issuer, jti)` pairs until their tokens can no longer be accepted.
///
/// Implementations must make "check and record" one atomic step, so two concurrent requests with
/// the same `jti` cannot both be fresh (the database implementation relies on a unique key on
/// `jwt_replay(issuer, jti)` and an insert that does nothing on conflict).
#[async_trait::async_trait]
pub trait ReplayCache: Send + Sync + std::fmt::Debug {
    /// Records the pair until `keep_until` and says whether it was fresh; `now` lets expired
    /// entries be forgotten.
    async fn record(
        &self,
        issuer: &Issuer,
        jti: &str,
        keep_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Freshness, ReplayCacheError>;
}

/// A replay cache for a single node, bounded in size.
///
/// When it is full of unexpired entries it refuses new ones rather than forgetting old ones,
/// because forgetting would re-open a window for replays.
#[derive(Debug)]
pub struct InMemoryReplayCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    keep_until: HashMap<(Issuer, String), OffsetDateTime>,
    inserts_since_purge: usize,
}

/// Default bound: an hour of traffic at about 28 calls per second with one-hour tokens.
const DEFAULT_CAPACITY: usize = 100_000;
/// Expired entries are also purged every this many inserts, so memory follows live traffic.
const PURGE_EVERY_INSERTS: usize = 1024;

impl InMemoryReplayCache {
    /// A cache holding at most `capacity` unexpired entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// How many entries are currently held (expired ones included until the next purge).
    pub fn len(&self) -> usize {
        self.lock().keep_until.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding this lock cannot leave the map half-updated, so poison is moot.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for InMemoryReplayCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

#[async_trait::async_trait]
impl ReplayCache for InMemoryReplayCache {
    async fn record(
        &self,
        issuer: &Issuer,
        jti: &str,
        keep_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Freshness, ReplayCacheError> {
        let mut entries = self.lock();
        let key = (issuer.clone(), jti.to_owned());
        if let Some(until) = entries.keep_until.get(&key) {
            if *until > now {
                return Ok(Freshness::Replayed);
            }
        }
        if entries.keep_until.len() >= self.capacity
            || entries.inserts_since_purge >= PURGE_EVERY_INSERTS
        {
            entries.keep_until.retain(|_, until| *until > now);
            entries.inserts_since_purge = 0;
        }
        if entries.keep_until.len() >= self.capacity {
            return Err(ReplayCacheError::Full {
                capacity: self.capacity,
            });
        }
        entries.keep_until.insert(key, keep_until);
        entries.inserts_since_purge += 1;
        Ok(Freshness::Fresh)
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(seconds)
    }

    fn issuer(iss: &str) -> Issuer {
        Issuer::parse(iss).expect("an issuer")
    }

    #[tokio::test]
    async fn a_jti_is_fresh_once_then_replayed_until_it_expires() {
        let cache = InMemoryReplayCache::default();
        let ehr = issuer("https://ehr.example.org");
        let record = |now| cache.record(&ehr, "nonce-1", at(100), at(now));
        assert_eq!(record(0).await.expect("answers"), Freshness::Fresh);
        assert_eq!(record(50).await.expect("answers"), Freshness::Replayed);
        assert_eq!(record(100).await.expect("answers"), Freshness::Fresh);
    }

    #[tokio::test]
    async fn the_same_jti_from_two_issuers_is_two_entries() {
        let cache = InMemoryReplayCache::default();
        let first = cache
            .record(&issuer("https://a.example"), "nonce", at(100), at(0))
            .await;
        let second = cache
            .record(&issuer("https://b.example"), "nonce", at(100), at(0))
            .await;
        assert_eq!(first.expect("answers"), Freshness::Fresh);
        assert_eq!(second.expect("answers"), Freshness::Fresh);
    }

    #[tokio::test]
    async fn a_full_cache_purges_expired_entries_and_refuses_when_none_expired() {
        let cache = InMemoryReplayCache::new(2);
        let iss = issuer("iss");
        for jti in ["a", "b"] {
            let freshness = cache
                .record(&iss, jti, at(10), at(0))
                .await
                .expect("answers");
            assert_eq!(freshness, Freshness::Fresh);
        }
        let full = cache.record(&iss, "c", at(10), at(5)).await;
        assert!(
            matches!(full, Err(ReplayCacheError::Full { capacity: 2 })),
            "{full:?}"
        );

        let after_expiry = cache
            .record(&iss, "c", at(20), at(10))
            .await
            .expect("answers");
        assert_eq!(after_expiry, Freshness::Fresh);
        assert_eq!(cache.len(), 1);
    }
}

//! A JWK Set fetched from one configured URL and cached.
//!
//! Refresh rules, all per URL:
//! - A loaded set is trusted for `ttl`. After that it is stale: a lookup whose `kid` is in it
//!   is answered at once from it while one refresh runs in the background
//!   (stale-while-revalidate), so a refresh never delays or blocks verification.
//! - A `kid` missing from a fresh set triggers a refetch (key rotation) at most once per
//!   `unknown_kid_refetch_interval`, so random `kid`s cannot make us hammer the EHR.
//! - A failed fetch is retried no sooner than `failed_fetch_retry_interval`; meanwhile the last
//!   good set keeps being used (a slow or broken JWKS endpoint does not lock clients out), and
//!   before any set was ever loaded every lookup fails as unavailable.
//! - Fetches are bounded by `timeout` and `max_bytes`, and are single-flight: at most one fetch
//!   per URL runs at a time. A lookup that cannot be answered without one (nothing loaded yet,
//!   or an unknown `kid`) waits for the fetch under way instead of starting its own; a lookup
//!   answered from a stale set never waits.
//! - The cached state sits behind a short synchronous lock that is never held across a fetch.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::Url;
use tokio::sync::Mutex as AsyncMutex;
use tokio::time::Instant;

use super::jwk_set::{parse_jwk_set, JwkSetError, KeySet};
use super::{KeyLookupError, KeyStatus, KeyStore, VerificationKey};
use crate::auth::config::AuthConfig;

/// How a [`JwksCache`] fetches and how long it trusts what it fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksFetchPolicy {
    /// How long a fetched set is used before it is fetched again.
    pub ttl: Duration,
    /// Deadline of one fetch, from connecting to the end of the body.
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: usize,
    /// Minimum time between refetches caused by an unknown `kid`.
    pub unknown_kid_refetch_interval: Duration,
    /// Minimum time between a failed fetch and the next attempt.
    pub failed_fetch_retry_interval: Duration,
}

/// An unknown `kid` causes at most one refetch per issuer per minute.
const UNKNOWN_KID_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// A failing endpoint is retried every few seconds, not on every request.
const FAILED_FETCH_RETRY_INTERVAL: Duration = Duration::from_secs(5);

impl JwksFetchPolicy {
    /// The policy the `[auth]` section describes.
    pub fn from_config(config: &AuthConfig) -> Self {
        Self {
            ttl: Duration::from_secs(config.jwks_cache_ttl_secs),
            timeout: Duration::from_millis(config.jwks_fetch_timeout_ms),
            max_bytes: config.jwks_max_bytes,
            unknown_kid_refetch_interval: UNKNOWN_KID_REFETCH_INTERVAL,
            failed_fetch_retry_interval: FAILED_FETCH_RETRY_INTERVAL,
        }
    }
}

/// Why a JWK Set fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum JwksFetchError {
    /// The fetch did not finish within the policy's timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Connecting, sending or reading failed.
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    /// The endpoint answered with a non-success status.
    #[error("endpoint answered HTTP {0}")]
    Status(u16),
    /// The body exceeded the policy's size limit.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not a JWK Set.
    #[error(transparent)]
    NotAJwkSet(#[from] JwkSetError),
}

/// A [`KeyStore`] backed by one JWK Set URL from the configuration.
#[derive(Debug)]
pub struct JwksCache {
    fetcher: Arc<Fetcher>,
    state: Arc<Mutex<CacheState>>,
    /// Held for the duration of a fetch: the single-flight guard.
    fetching: Arc<AsyncMutex<()>>,
}

/// What fetches one URL; shared with background refreshes.
#[derive(Debug)]
struct Fetcher {
    url: Url,
    http: reqwest::Client,
    policy: JwksFetchPolicy,
}

#[derive(Debug, Default)]
struct CacheState {
    keys: Option<KeySet>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
    last_failure: Option<String>,
}

impl CacheState {
    fn is_fresh(&self, now: Instant, ttl: Duration) -> bool {
        self.fetched_at
            .is_some_and(|fetched_at| now.duration_since(fetched_at) < ttl)
    }

    /// The answer from what is cached now, fresh or stale.
    fn answer(&self, kid: &str) -> Result<Arc<VerificationKey>, KeyLookupError> {
        match &self.keys {
            Some(keys) => keys.get(kid).ok_or(KeyLookupError::UnknownKid),
            None => Err(KeyLookupError::Unavailable(
                self.last_failure
                    .clone()
                    .unwrap_or_else(|| "not fetched yet".to_owned()),
            )),
        }
    }
}

/// The cached state; a panic while it was held cannot leave it inconsistent (every update is a
/// plain assignment), so a poisoned lock is used as it is.
fn lock(state: &Mutex<CacheState>) -> MutexGuard<'_, CacheState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl JwksCache {
    /// A cache for `url` that has fetched nothing yet.
    pub fn new(url: Url, http: reqwest::Client, policy: JwksFetchPolicy) -> Self {
        Self {
            fetcher: Arc::new(Fetcher { url, http, policy }),
            state: Arc::new(Mutex::new(CacheState::default())),
            fetching: Arc::new(AsyncMutex::new(())),
        }
    }

    /// The URL this cache fetches.
    pub fn url(&self) -> &Url {
        &self.fetcher.url
    }

    fn policy(&self) -> &JwksFetchPolicy {
        &self.fetcher.policy
    }

    /// Starts one background refresh of a stale set, unless a fetch is already under way or the
    /// last attempt was too recent. Never waits.
    fn refresh_in_background(&self, now: Instant) {
        let Ok(guard) = Arc::clone(&self.fetching).try_lock_owned() else {
            return;
        };
        {
            let mut state = lock(&self.state);
            let retry = self.policy().failed_fetch_retry_interval;
            if !elapsed_at_least(state.last_attempt, now, retry) {
                return;
            }
            state.last_attempt = Some(now);
        }
        let fetcher = Arc::clone(&self.fetcher);
        let state = Arc::clone(&self.state);
        tokio::spawn(async move {
            let result = fetcher.fetch().await;
            fetcher.apply(&state, result, now);
            drop(guard);
        });
    }

    /// Waits for the fetch under way, if any, then fetches unless the wanted `kid` arrived
    /// meanwhile or the last attempt was too recent; answers from the result.
    async fn fetch_for(&self, kid: &str) -> Result<Arc<VerificationKey>, KeyLookupError> {
        let _single_flight = self.fetching.lock().await;
        let now = Instant::now();
        {
            let mut state = lock(&self.state);
            if let Ok(key) = state.answer(kid) {
                return Ok(key);
            }
            let retry_interval = if state.is_fresh(now, self.policy().ttl) {
                self.policy().unknown_kid_refetch_interval
            } else {
                self.policy().failed_fetch_retry_interval
            };
            if !elapsed_at_least(state.last_attempt, now, retry_interval) {
                return state.answer(kid);
            }
            state.last_attempt = Some(now);
        }
        let result = self.fetcher.fetch().await;
        self.fetcher.apply(&self.state, result, now);
        lock(&self.state).answer(kid)
    }
}

impl Fetcher {
    /// Records a fetch attempted at `attempted_at`: new keys replace the old, a failure keeps
    /// them.
    fn apply(
        &self,
        state: &Mutex<CacheState>,
        result: Result<KeySet, JwksFetchError>,
        attempted_at: Instant,
    ) {
        let mut state = lock(state);
        match result {
            Ok(keys) => {
                tracing::info!(jwks.url = %self.url, jwks.keys = keys.len(), "loaded JWK Set");
                state.keys = Some(keys);
                state.fetched_at = Some(attempted_at);
                state.last_failure = None;
            }
            Err(error) => {
                let fallback = if state.keys.is_some() {
                    "keeping the previous keys"
                } else {
                    "tokens from this issuer are refused until it loads"
                };
                tracing::warn!(jwks.url = %self.url, %error, "could not fetch JWK Set; {fallback}");
                state.last_failure = Some(error.to_string());
            }
        }
    }

    async fn fetch(&self) -> Result<KeySet, JwksFetchError> {
        let body = tokio::time::timeout(self.policy.timeout, self.fetch_body())
            .await
            .map_err(|_| JwksFetchError::Timeout(self.policy.timeout))??;
        Ok(parse_jwk_set(&body)?)
    }

    async fn fetch_body(&self) -> Result<Vec<u8>, JwksFetchError> {
        let limit = self.policy.max_bytes;
        let mut response = self
            .http
            .get(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(JwksFetchError::Status(response.status().as_u16()));
        }
        let declared_too_large = response
            .content_length()
            .is_some_and(|length| usize::try_from(length).map_or(true, |length| length > limit));
        if declared_too_large {
            return Err(JwksFetchError::TooLarge { limit });
        }
        // Read chunk by chunk so a lying or absent Content-Length cannot exhaust memory.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                return Err(JwksFetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn elapsed_at_least(since: Option<Instant>, now: Instant, interval: Duration) -> bool {
    since.is_none_or(|at| now.duration_since(at) >= interval)
}

#[async_trait::async_trait]
impl KeyStore for JwksCache {
    async fn key(&self, kid: &str) -> Result<Arc<VerificationKey>, KeyLookupError> {
        let now = Instant::now();
        {
            let state = lock(&self.state);
            if let Some(key) = state.keys.as_ref().and_then(|keys| keys.get(kid)) {
                if !state.is_fresh(now, self.policy().ttl) {
                    drop(state);
                    self.refresh_in_background(now);
                }
                return Ok(key);
            }
        }
        self.fetch_for(kid).await
    }

    async fn ensure_loaded(&self) -> bool {
        if lock(&self.state).keys.is_some() {
            return true;
        }
        // The kid is irrelevant: this only drives the first load (rate-limited, single-flight).
        let _ = self.fetch_for("").await;
        lock(&self.state).keys.is_some()
    }

    async fn status(&self) -> KeyStatus {
        let state = lock(&self.state);
        match (&state.keys, state.fetched_at) {
            (Some(keys), Some(fetched_at)) => KeyStatus::Cached {
                keys: keys.len(),
                stale: fetched_at.elapsed() >= self.policy().ttl,
            },
            _ => KeyStatus::Unavailable {
                reason: state
                    .last_failure
                    .clone()
                    .unwrap_or_else(|| "not fetched yet".to_owned()),
            },
        }
    }
}

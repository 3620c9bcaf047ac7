//! [`Authenticator::verify`]: every check on a bearer token, in order.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::Validation;
use reqwest::Url;
use time::OffsetDateTime;
use tracing::field;

use super::claims::{self, ClaimRules};
use super::config::{parse_key_set_url, AuthConfig, IssuerConfig, SigningAlgorithm};
use super::error::{AuthError, AuthSetupError};
use super::keys::{
    JwksCache, JwksFetchPolicy, KeyLookupError, KeyStatus, KeyStore, StaticKeyStore,
};
use super::replay::{Freshness, ReplayCache};
use super::token::{self, TokenClaims, UnverifiedToken};
use crate::identifiers::Issuer;

/// What a trusted token says about its caller, available to handlers after [`super::require`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    /// The issuer (`iss`), one of the configured ones.
    pub issuer: Issuer,
    /// The token's nonce (`jti`), now recorded against replay.
    pub jti: String,
    /// The healthcare organisation (`tenant`), if the EHR sent one.
    pub tenant: Option<String>,
    /// The `sub` claim, which CDS Hooks does not define but some EHRs send.
    pub subject: Option<String>,
    /// When the token expires (`exp`).
    pub expires_at: OffsetDateTime,
    /// When the token was issued (`iat`).
    pub issued_at: OffsetDateTime,
}

/// Decides whether to trust the bearer token of a call.
#[derive(Debug)]
pub struct Authenticator {
    config: AuthConfig,
    public_base_url: String,
    issuers: HashMap<Issuer, TrustedIssuer>,
    replay: Arc<dyn ReplayCache>,
}

/// An issuer with its key stores built: the configured source, plus one per allowed `jku` (the
/// pinned store itself when the `jku` is pinned, so verifying it needs no network).
#[derive(Debug)]
struct TrustedIssuer {
    algorithms: Vec<SigningAlgorithm>,
    tenants: Vec<String>,
    keys: Arc<dyn KeyStore>,
    keys_by_jku: HashMap<String, Arc<dyn KeyStore>>,
}

/// An issuer trusted in code rather than configuration: the demo's local issuer.
#[derive(Debug, Clone)]
pub struct ExtraIssuer {
    /// The `iss` value.
    pub iss: String,
    /// Algorithms accepted from it.
    pub algorithms: Vec<SigningAlgorithm>,
    /// Where its keys are.
    pub keys: Arc<dyn KeyStore>,
}

impl Authenticator {
    /// Builds an authenticator for the configured issuers.
    ///
    /// `public_base_url` is the service's externally visible base URL (`https://cds.example.org`
    /// or with a path prefix); the expected `aud` is it plus the request path. `http` is used only
    /// for the configured `jwks_url` and `allowed_jku` URLs.
    pub fn new(
        config: AuthConfig,
        public_base_url: &str,
        http: reqwest::Client,
        replay: Arc<dyn ReplayCache>,
    ) -> Result<Self, AuthSetupError> {
        Self::with_extra_issuers(config, public_base_url, http, replay, Vec::new())
    }

    /// Builds an authenticator that also trusts `extra` issuers (the demo's run-time key), which
    /// count towards the "at least one issuer" rule.
    pub fn with_extra_issuers(
        config: AuthConfig,
        public_base_url: &str,
        http: reqwest::Client,
        replay: Arc<dyn ReplayCache>,
        extra: Vec<ExtraIssuer>,
    ) -> Result<Self, AuthSetupError> {
        if extra.is_empty() {
            config.validate()?;
        } else {
            config.validate_ignoring_issuer_count()?;
        }
        Self::build(config, public_base_url, http, replay, extra)
    }

    fn build(
        config: AuthConfig,
        public_base_url: &str,
        http: reqwest::Client,
        replay: Arc<dyn ReplayCache>,
        extra: Vec<ExtraIssuer>,
    ) -> Result<Self, AuthSetupError> {
        if !config.required {
            tracing::warn!(
                "AUTHENTICATION IS DISABLED (auth.required = false): every caller is trusted; \
                 use this only for local development"
            );
        }
        if let Some(why) = config.sandbox_trust() {
            tracing::warn!(
                "THIS SERVICE TRUSTS THE PUBLIC CDS HOOKS SANDBOX ({why}): its private key is \
                 published, so anyone can sign tokens it accepts; for trying the sandbox with \
                 synthetic data only (refused when OMS_CDS_ENVIRONMENT=production)"
            );
        }
        let public_base_url = normalised_base_url(public_base_url)?;
        let policy = JwksFetchPolicy::from_config(&config);
        let mut issuers = HashMap::new();
        for (index, issuer) in config.issuers.iter().enumerate() {
            let trusted = TrustedIssuer::from_config(index, issuer, &http, &policy)?;
            issuers.insert(
                trusted_issuer_id(&issuer.iss, format!("auth.issuers[{index}].iss"))?,
                trusted,
            );
        }
        for extra_issuer in extra {
            let trusted = TrustedIssuer {
                algorithms: extra_issuer.algorithms,
                tenants: Vec::new(),
                keys: extra_issuer.keys,
                keys_by_jku: HashMap::new(),
            };
            let iss = trusted_issuer_id(&extra_issuer.iss, "the in-process issuer".to_owned())?;
            issuers.insert(iss, trusted);
        }
        Ok(Self {
            config,
            public_base_url,
            issuers,
            replay,
        })
    }

    /// The `[auth]` configuration in force.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The FHIR servers a configured issuer's calls may name (its `fhir_servers`); empty for an
    /// unknown or in-code issuer.
    pub fn fhir_servers_of(&self, issuer: &Issuer) -> &[String] {
        self.config
            .issuers
            .iter()
            .find(|configured| configured.iss == issuer.as_str())
            .map_or(&[], |configured| configured.fhir_servers.as_slice())
    }

    /// Verifies the request headers of a call to `path`: exactly one `Authorization` header,
    /// then [`Authenticator::verify`] on it. Several are refused (and logged like any failure).
    pub async fn verify_headers(
        &self,
        headers: &HeaderMap,
        path: &str,
    ) -> Result<VerifiedClaims, AuthError> {
        match token::single_authorization(headers) {
            Ok(authorization) => self.verify(authorization, path).await,
            Err(error) => {
                tracing::warn!(path, reason = error.reason(), %error, "refused bearer token");
                Err(error)
            }
        }
    }

    /// Verifies the `Authorization` header of a call to `path` (e.g. `/cds-services/x`).
    ///
    /// A failure is logged here, once, at warn level with its reason, `iss`, `kid` and `jti`
    /// when known; the token itself is never logged.
    #[tracing::instrument(
        name = "authenticate",
        skip_all,
        fields(path = %path, iss = field::Empty, kid = field::Empty, jti = field::Empty)
    )]
    pub async fn verify(
        &self,
        authorization: Option<&HeaderValue>,
        path: &str,
    ) -> Result<VerifiedClaims, AuthError> {
        let result = self
            .verify_at(authorization, path, OffsetDateTime::now_utc())
            .await;
        match &result {
            Err(error) if error.is_refusal() => {
                tracing::warn!(reason = error.reason(), %error, "refused bearer token");
            }
            Err(error) => {
                tracing::error!(
                    reason = error.reason(),
                    %error,
                    "cannot check the bearer token's jti; answering 503"
                );
            }
            Ok(_) => {}
        }
        result
    }

    async fn verify_at(
        &self,
        authorization: Option<&HeaderValue>,
        path: &str,
        now: OffsetDateTime,
    ) -> Result<VerifiedClaims, AuthError> {
        let token = token::parse(token::bearer_token(authorization)?)?;
        let span = tracing::Span::current();
        span.record("iss", field::debug(loggable(&token.unverified_issuer)));
        span.record("kid", field::debug(loggable(&token.key_id)));

        let unknown_issuer = || AuthError::UnknownIssuer {
            iss: loggable(&token.unverified_issuer).to_owned(),
        };
        // A blank or over-long `iss` cannot name a configured issuer: it is just not one of them.
        let iss = Issuer::parse(&token.unverified_issuer).map_err(|_| unknown_issuer())?;
        let issuer = self.issuers.get(&iss).ok_or_else(unknown_issuer)?;
        if !issuer.algorithms.contains(&token.algorithm) {
            return Err(AuthError::DisallowedAlgorithm {
                alg: token.algorithm.to_string(),
            });
        }
        let claims = verify_signature(&token, issuer).await?;
        if let Some(jti) = &claims.jti {
            span.record("jti", field::debug(loggable(jti)));
        }

        let accepted_audiences = claims::accepted_audiences(&self.public_base_url, path);
        let rules = ClaimRules {
            accepted_audiences: &accepted_audiences,
            clock_skew_secs: i64::try_from(self.config.clock_skew_secs).unwrap_or(i64::MAX),
            max_lifetime_secs: self.config.max_token_lifetime_secs,
            allowed_tenants: &issuer.tenants,
        };
        let checked = claims::check(claims, &rules, now.unix_timestamp())?;

        let expires_at = unix_time(checked.expires_at)?;
        // Remember the jti for as long as the same token could still pass the `exp` check.
        let keep_until = expires_at + self.config.clock_skew();
        let freshness = self
            .replay
            .record(&iss, &checked.jti, keep_until, now)
            .await
            .map_err(|error| AuthError::ReplayCacheUnavailable(error.to_string()))?;
        if freshness == Freshness::Replayed {
            return Err(AuthError::Replay);
        }

        Ok(VerifiedClaims {
            issuer: iss,
            jti: checked.jti,
            tenant: checked.tenant,
            subject: checked.subject,
            expires_at,
            issued_at: unix_time(checked.issued_at)?,
        })
    }

    /// Whether every issuer's key set has loaded at least once (readiness).
    ///
    /// Shorthand for [`Authenticator::key_status`] being usable for every issuer.
    pub async fn keys_loaded(&self) -> bool {
        self.key_status().await.iter().all(|issuer| issuer.ready)
    }

    /// Each issuer's key status, for readiness, in `iss` order.
    ///
    /// An issuer is ready when it has usable keys, pinned or cached, from its configured source
    /// or an allowed `jku`. A configured `jwks_url` never loaded is fetched now (rate-limited),
    /// so a readiness probe drives the first load; an allowed `jku` is only reported, never
    /// fetched here, so an unreachable `jku` host can neither slow the probe nor take a replica
    /// whose keys are pinned out of rotation.
    pub async fn key_status(&self) -> Vec<IssuerKeyStatus> {
        let mut statuses = Vec::with_capacity(self.issuers.len());
        for (iss, issuer) in &self.issuers {
            issuer.keys.ensure_loaded().await;
            let keys = issuer.keys.status().await;
            let mut jku = Vec::with_capacity(issuer.keys_by_jku.len());
            for (url, store) in &issuer.keys_by_jku {
                jku.push(JkuKeyStatus {
                    url: url.clone(),
                    keys: store.status().await,
                });
            }
            jku.sort_by(|a, b| a.url.cmp(&b.url));
            let ready = keys.is_usable() || jku.iter().any(|entry| entry.keys.is_usable());
            statuses.push(IssuerKeyStatus {
                iss: iss.as_str().to_owned(),
                ready,
                keys,
                jku,
            });
        }
        statuses.sort_by(|a, b| a.iss.cmp(&b.iss));
        statuses
    }
}

/// One issuer's key status (readiness): public information only, no key material.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssuerKeyStatus {
    /// The issuer's `iss`.
    pub iss: String,
    /// Whether it has usable keys (pinned or cached) from any source.
    pub ready: bool,
    /// Its configured source (`jwks_file`, `jwks_url` or in-process keys).
    pub keys: KeyStatus,
    /// Its allowed `jku`s, in URL order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jku: Vec<JkuKeyStatus>,
}

/// The key status behind one allowed `jku`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JkuKeyStatus {
    /// The allowed `jku` URL.
    pub url: String,
    /// Pinned (never fetched), cached, or unavailable.
    pub keys: KeyStatus,
}

impl TrustedIssuer {
    fn from_config(
        index: usize,
        issuer: &IssuerConfig,
        http: &reqwest::Client,
        policy: &JwksFetchPolicy,
    ) -> Result<Self, AuthSetupError> {
        let cache_for = |url: Url| -> Arc<dyn KeyStore> {
            Arc::new(JwksCache::new(url, http.clone(), policy.clone()))
        };
        let keys: Arc<dyn KeyStore> = match (&issuer.jwks_url, &issuer.jwks_file) {
            (Some(url), _) => cache_for(parse_url(url, format!("auth.issuers[{index}].jwks_url"))?),
            (None, Some(path)) => Arc::new(StaticKeyStore::from_file(path).map_err(|problem| {
                AuthSetupError::JwksFile {
                    key: format!("auth.issuers[{index}].jwks_file"),
                    path: path.display().to_string(),
                    problem,
                }
            })?),
            (None, None) => {
                return Err(AuthSetupError::Config(super::AuthConfigError::new(
                    format!("auth.issuers[{index}]"),
                    "one of jwks_url or jwks_file is required",
                )))
            }
        };
        let mut keys_by_jku = HashMap::new();
        for (jku_index, jku) in issuer.allowed_jku.iter().enumerate() {
            let store = if let Some(path) = issuer.jku_files.get(jku) {
                // Pinned for this jku: verified against the file, the URL is never fetched.
                Arc::new(StaticKeyStore::from_file(path).map_err(|problem| {
                    AuthSetupError::JwksFile {
                        key: format!("auth.issuers[{index}].jku_files"),
                        path: path.display().to_string(),
                        problem,
                    }
                })?)
            } else if issuer.jwks_url.as_deref() == Some(jku.as_str()) || issuer.pins_jku(jku) {
                // The jku is the configured jwks_url (one cache, fetched once), or the issuer's
                // pinned jwks_file stands for it (no network call).
                Arc::clone(&keys)
            } else {
                cache_for(parse_url(
                    jku,
                    format!("auth.issuers[{index}].allowed_jku[{jku_index}]"),
                )?)
            };
            keys_by_jku.insert(jku.clone(), store);
        }
        Ok(Self {
            algorithms: issuer.algorithms.clone(),
            tenants: issuer.tenants.clone(),
            keys,
            keys_by_jku,
        })
    }

    /// The key store for a token's `jku` header: the configured source when absent, the
    /// allow-listed cache when listed, and nothing (no fetch) otherwise.
    fn key_store_for(&self, jku: Option<&str>) -> Result<&Arc<dyn KeyStore>, AuthError> {
        match jku {
            None => Ok(&self.keys),
            Some(jku) => self
                .keys_by_jku
                .get(jku)
                .ok_or_else(|| AuthError::UntrustedJku {
                    jku: loggable(jku).to_owned(),
                }),
        }
    }
}

async fn verify_signature(
    token: &UnverifiedToken<'_>,
    issuer: &TrustedIssuer,
) -> Result<TokenClaims, AuthError> {
    let store = issuer.key_store_for(token.key_set_url.as_deref())?;
    let key = store
        .key(&token.key_id)
        .await
        .map_err(|error| match error {
            KeyLookupError::UnknownKid => AuthError::UnknownKey {
                kid: loggable(&token.key_id).to_owned(),
            },
            KeyLookupError::Unavailable(_) => AuthError::KeysUnavailable,
        })?;
    if !key.can_verify(token.algorithm) {
        return Err(AuthError::KeyAlgorithmMismatch {
            kid: key.kid().to_owned(),
            alg: token.algorithm,
        });
    }
    let decoded = jsonwebtoken::decode::<TokenClaims>(
        token.compact,
        key.decoding_key(),
        &signature_only_validation(token.algorithm),
    )
    .map_err(|error| match error.kind() {
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            AuthError::Malformed("claims do not have the expected types")
        }
        _ => AuthError::BadSignature,
    })?;
    Ok(decoded.claims)
}

/// Signature verification with exactly one algorithm, and no claim checks: those are done by
/// `claims::check`, with our clock and our error reasons.
fn signature_only_validation(algorithm: SigningAlgorithm) -> Validation {
    let mut validation = Validation::new(algorithm.to_jsonwebtoken());
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation
}

/// The map key of a trusted issuer; configuration validation already refused an invalid `iss`.
fn trusted_issuer_id(iss: &str, key: String) -> Result<Issuer, AuthSetupError> {
    Issuer::parse(iss).map_err(|problem| {
        AuthSetupError::Config(super::AuthConfigError::new(key, problem.to_string()))
    })
}

fn parse_url(raw: &str, key: String) -> Result<Url, AuthSetupError> {
    parse_key_set_url(raw)
        .map_err(|problem| AuthSetupError::Config(super::AuthConfigError::new(key, problem)))
}

fn normalised_base_url(raw: &str) -> Result<String, AuthSetupError> {
    let invalid = || AuthSetupError::PublicBaseUrl(raw.to_owned());
    let url = Url::parse(raw).map_err(|_| invalid())?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.query().is_none()
        && url.fragment().is_none();
    if !usable {
        return Err(invalid());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn unix_time(seconds: i64) -> Result<OffsetDateTime, AuthError> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|_| AuthError::Malformed("timestamp out of range"))
}

/// Attacker-chosen strings are cut short before they reach logs or error values.
fn loggable(value: &str) -> &str {
    const MAX_CHARS: usize = 128;
    match value.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => &value[..end],
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_base_url_loses_its_trailing_slash() {
        assert_eq!(
            normalised_base_url("https://cds.example.org/").expect("valid"),
            "https://cds.example.org"
        );
        assert_eq!(
            normalised_base_url("https://cds.example.org/oms/").expect("valid"),
            "https://cds.example.org/oms"
        );
    }

    #[test]
    fn a_relative_or_query_carrying_base_url_is_refused() {
        assert!(normalised_base_url("/cds-services").is_err());
        assert!(normalised_base_url("https://cds.example.org/?a=b").is_err());
        assert!(normalised_base_url("ftp://cds.example.org").is_err());
    }

    #[test]
    fn long_attacker_strings_are_cut_for_logs() {
        let long = "é".repeat(300);
        assert_eq!(loggable(&long).chars().count(), 128);
        assert_eq!(loggable("short"), "short");
    }
}

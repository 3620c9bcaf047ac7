//! Why a token was refused, and why the authenticator could not be built.

use axum::response::{IntoResponse, Response};

use super::config::{AuthConfigError, SigningAlgorithm};
use crate::error::ApiError;

/// Why a request's bearer token was not trusted.
///
/// Every refusal becomes the same bare `401` with `WWW-Authenticate: Bearer`: the caller learns
/// nothing about which check failed. The one variant that is not a refusal,
/// [`AuthError::ReplayCacheUnavailable`], becomes a `503` with `Retry-After` (see
/// [`AuthError::is_refusal`]). [`AuthError::reason`] names the category for logs and metrics.
/// No variant carries the token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("no Authorization header")]
    MissingToken,
    /// More than one `Authorization` header: which one counts is ambiguous, so none does.
    #[error("several Authorization headers")]
    SeveralAuthorizationHeaders,
    /// An `Authorization` header that is not `Bearer <token>`.
    #[error("Authorization header is not a Bearer token")]
    NotBearer,
    /// A token longer than the limit, refused before parsing.
    #[error("token is {length} bytes, more than the {limit} allowed")]
    TokenTooLarge {
        /// Length of the token in bytes.
        length: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A token that is not a compact JWS with a JSON header and claims.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// A header naming `crit` (RFC 7515): this service understands no JWS extension.
    #[error("header names critical extensions (crit)")]
    CriticalHeader,
    /// A header whose `typ` is not `JWT`.
    #[error("header typ is not JWT")]
    WrongType,
    /// A header without `kid`.
    #[error("header has no kid")]
    MissingKeyId,
    /// `none`, a symmetric algorithm, or one the issuer is not trusted to use.
    #[error("algorithm {alg:?} is not accepted")]
    DisallowedAlgorithm {
        /// The header's `alg` value.
        alg: String,
    },
    /// An `iss` that is not a configured issuer.
    #[error("issuer {iss:?} is not configured")]
    UnknownIssuer {
        /// The unverified `iss` claim.
        iss: String,
    },
    /// A `jku` header outside the issuer's `allowed_jku`; it was not fetched.
    #[error("jku {jku:?} is not in the issuer's allowed_jku")]
    UntrustedJku {
        /// The header's `jku` value.
        jku: String,
    },
    /// No key with the header's `kid` in the issuer's JWK Set.
    #[error("no key with kid {kid:?}")]
    UnknownKey {
        /// The header's `kid` value.
        kid: String,
    },
    /// The issuer's JWK Set has never been loaded (endpoint down, slow or serving garbage).
    #[error("the issuer's keys are unavailable")]
    KeysUnavailable,
    /// A key used with an algorithm of another family or curve, or one its JWK `alg` excludes.
    #[error("key {kid:?} cannot verify {alg}")]
    KeyAlgorithmMismatch {
        /// The key's `kid`.
        kid: String,
        /// The header's algorithm.
        alg: SigningAlgorithm,
    },
    /// The signature does not verify with the issuer's key.
    #[error("signature does not verify")]
    BadSignature,
    /// A required claim is absent or has the wrong type.
    #[error("claim {0} is missing or invalid")]
    MissingClaim(&'static str),
    /// `aud` is not the URL that was called.
    #[error("audience does not name this endpoint")]
    WrongAudience,
    /// `exp` has passed (beyond the allowed skew).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the allowed skew).
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    /// `iat` is in the future (beyond the allowed skew).
    #[error("token was issued in the future (iat)")]
    IssuedInFuture,
    /// `exp - iat` exceeds the configured maximum, or `exp` is not after `iat`.
    #[error("token lifetime of {lifetime_secs} s is outside 1..={max_secs} s")]
    LifetimeOutOfRange {
        /// `exp - iat` in seconds.
        lifetime_secs: i64,
        /// The configured maximum in seconds.
        max_secs: u64,
    },
    /// A `tenant` claim absent or not in the issuer's `tenants`.
    #[error("tenant is not allowed")]
    TenantNotAllowed,
    /// This issuer's `jti` was seen before.
    #[error("jti was already used")]
    Replay,
    /// The replay cache could not answer (its database is down or slow, or it is full), so
    /// whether the token was replayed is unknown: it is not trusted, and not refused either.
    #[error("replay cache unavailable: {0}")]
    ReplayCacheUnavailable(String),
}

impl AuthError {
    /// Every category `reason` returns, so the metrics can show each at 0 before it happens.
    /// Keep in step with `reason` (a test checks the variants it can build without a payload).
    pub const REASONS: [&'static str; 24] = [
        "missing_token",
        "several_authorization_headers",
        "not_bearer",
        "token_too_large",
        "malformed_token",
        "critical_header",
        "wrong_type",
        "missing_kid",
        "disallowed_algorithm",
        "unknown_issuer",
        "untrusted_jku",
        "unknown_kid",
        "keys_unavailable",
        "key_algorithm_mismatch",
        "bad_signature",
        "missing_claim",
        "wrong_audience",
        "expired",
        "not_yet_valid",
        "issued_in_future",
        "lifetime_out_of_range",
        "tenant_not_allowed",
        "replay",
        "replay_cache_unavailable",
    ];

    /// A short, stable category for logs and metrics (`expired`, `bad_signature`, ...).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::SeveralAuthorizationHeaders => "several_authorization_headers",
            Self::NotBearer => "not_bearer",
            Self::TokenTooLarge { .. } => "token_too_large",
            Self::Malformed(_) => "malformed_token",
            Self::CriticalHeader => "critical_header",
            Self::WrongType => "wrong_type",
            Self::MissingKeyId => "missing_kid",
            Self::DisallowedAlgorithm { .. } => "disallowed_algorithm",
            Self::UnknownIssuer { .. } => "unknown_issuer",
            Self::UntrustedJku { .. } => "untrusted_jku",
            Self::UnknownKey { .. } => "unknown_kid",
            Self::KeysUnavailable => "keys_unavailable",
            Self::KeyAlgorithmMismatch { .. } => "key_algorithm_mismatch",
            Self::BadSignature => "bad_signature",
            Self::MissingClaim(_) => "missing_claim",
            Self::WrongAudience => "wrong_audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::LifetimeOutOfRange { .. } => "lifetime_out_of_range",
            Self::TenantNotAllowed => "tenant_not_allowed",
            Self::Replay => "replay",
            Self::ReplayCacheUnavailable(_) => "replay_cache_unavailable",
        }
    }
}

impl AuthError {
    /// Whether the token was refused (`401`). `false` only when the replay check could not
    /// answer: the service failed, not the token, and the caller should retry rather than
    /// conclude its credentials are bad.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::ReplayCacheUnavailable(_))
    }
}

/// Renders the bare `401`, or the `503` of an unanswered replay check; the failure was logged
/// by [`super::Authenticator::verify`].
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        if let Self::ReplayCacheUnavailable(cause) = self {
            return ApiError::ReplayCheckUnavailable(cause).into_response();
        }
        let mut response = super::unauthorized();
        // Not in the body (a 401 says nothing), but the metrics count failures by reason.
        response
            .extensions_mut()
            .insert(AuthFailureReason(self.reason()));
        response
    }
}

/// The reason category of a refused token, attached to the bare `401` for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFailureReason(pub &'static str);

/// Why an [`super::Authenticator`] could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// The `[auth]` section is invalid.
    #[error(transparent)]
    Config(#[from] AuthConfigError),
    /// `public_base_url` is not an absolute http(s) URL.
    #[error("public_base_url {0:?} is not an absolute http(s) URL")]
    PublicBaseUrl(String),
    /// A `jwks_file` could not be read or is not a JWK Set.
    #[error("{key}: cannot load JWK Set from {path}: {problem}")]
    JwksFile {
        /// The configuration key, e.g. `auth.issuers[0].jwks_file`.
        key: String,
        /// The file path.
        path: String,
        /// What went wrong.
        problem: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_of_a_plain_variant_is_listed() {
        let plain = [
            AuthError::MissingToken,
            AuthError::SeveralAuthorizationHeaders,
            AuthError::NotBearer,
            AuthError::CriticalHeader,
            AuthError::WrongType,
            AuthError::MissingKeyId,
            AuthError::KeysUnavailable,
            AuthError::BadSignature,
            AuthError::WrongAudience,
            AuthError::Expired,
            AuthError::NotYetValid,
            AuthError::IssuedInFuture,
            AuthError::TenantNotAllowed,
            AuthError::Replay,
            AuthError::ReplayCacheUnavailable(String::new()),
        ];
        for error in plain {
            assert!(
                AuthError::REASONS.contains(&error.reason()),
                "{}",
                error.reason()
            );
        }
    }
}

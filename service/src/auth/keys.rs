//! Where verification keys come from: the [`KeyStore`] trait and its implementations.
//!
//! - `jwk_set`: parsing a JWK Set into verification keys, skipping keys we must not use.
//! - `static_set`: [`StaticKeyStore`], a JWK Set fixed at start (a file, or in memory).
//! - `jwks_cache`: [`JwksCache`], a JWK Set fetched from one configured URL and cached.

mod jwk_set;
mod jwks_cache;
mod static_set;

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::DecodingKey;

use super::config::SigningAlgorithm;

pub use jwk_set::{parse_jwk_set, JwkSetError, KeySet};
pub use jwks_cache::{JwksCache, JwksFetchError, JwksFetchPolicy};
pub use static_set::StaticKeyStore;

/// A source of an issuer's public keys, looked up by `kid`.
#[async_trait::async_trait]
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// The key with this `kid`; a store that can refresh may do so (rate-limited) when it is
    /// unknown.
    async fn key(&self, kid: &str) -> Result<Arc<VerificationKey>, KeyLookupError>;

    /// Whether the store holds a key set, trying once to load it if it never has.
    async fn ensure_loaded(&self) -> bool;

    /// What the store can verify with right now, without loading anything (readiness).
    async fn status(&self) -> KeyStatus;
}

/// What a key store can verify with right now: counts and freshness, never key material.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeyStatus {
    /// Keys fixed at start (a file, or in memory): usable with no network.
    Pinned {
        /// Usable keys in the set.
        keys: usize,
    },
    /// Keys fetched from a URL and cached.
    Cached {
        /// Usable keys in the set.
        keys: usize,
        /// Older than the cache TTL: still used while a refresh is attempted.
        stale: bool,
    },
    /// Never loaded (or not yet fetched): tokens needing these keys are refused.
    Unavailable {
        /// Why, e.g. the last fetch error.
        reason: String,
    },
}

impl KeyStatus {
    /// Whether at least one key can verify a token now.
    pub fn is_usable(&self) -> bool {
        match self {
            KeyStatus::Pinned { keys } | KeyStatus::Cached { keys, .. } => *keys > 0,
            KeyStatus::Unavailable { .. } => false,
        }
    }
}

/// Why a key could not be returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyLookupError {
    /// The key set is loaded but has no usable key with this `kid`.
    #[error("no usable key with this kid")]
    UnknownKid,
    /// The key set has never been loaded.
    #[error("key set unavailable: {0}")]
    Unavailable(String),
}

/// A public key from a JWK Set, ready to verify signatures of one family.
#[derive(Clone)]
pub struct VerificationKey {
    kid: String,
    kind: KeyKind,
    declared_algorithm: Option<SigningAlgorithm>,
    decoding_key: DecodingKey,
}

/// The family and, for elliptic curves, the curve of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// An RSA key (RS* and PS* algorithms).
    Rsa,
    /// An EC key on P-256 (ES256).
    EcP256,
    /// An EC key on P-384 (ES384).
    EcP384,
}

impl VerificationKey {
    /// A key of `kind`, restricted to `declared_algorithm` when the JWK names one.
    pub fn new(
        kid: impl Into<String>,
        kind: KeyKind,
        declared_algorithm: Option<SigningAlgorithm>,
        decoding_key: DecodingKey,
    ) -> Self {
        Self {
            kid: kid.into(),
            kind,
            declared_algorithm,
            decoding_key,
        }
    }

    /// The key's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key's family and curve.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Whether this key may verify a signature made with `algorithm`.
    ///
    /// This is what prevents algorithm confusion: an RSA key never meets an EC algorithm, a P-256
    /// key never meets ES384, and a JWK's own `alg` is honoured.
    pub fn can_verify(&self, algorithm: SigningAlgorithm) -> bool {
        use SigningAlgorithm::*;
        let family_matches = match self.kind {
            KeyKind::Rsa => matches!(algorithm, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyKind::EcP256 => algorithm == ES256,
            KeyKind::EcP384 => algorithm == ES384,
        };
        let declared_matches = self
            .declared_algorithm
            .is_none_or(|declared| declared == algorithm);
        family_matches && declared_matches
    }

    /// The key in the signature library's form.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding_key
    }
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("kind", &self.kind)
            .field("declared_algorithm", &self.declared_algorithm)
            .finish_non_exhaustive()
    }
}

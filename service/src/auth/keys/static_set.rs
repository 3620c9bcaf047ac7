//! A JWK Set fixed at start: read from `jwks_file`, or built in memory (local issuer, tests).

use std::path::Path;
use std::sync::Arc;

use super::jwk_set::{parse_jwk_set, KeySet};
use super::{KeyLookupError, KeyStatus, KeyStore, VerificationKey};

/// Keys that never change while the service runs.
#[derive(Debug, Clone)]
pub struct StaticKeyStore {
    keys: KeySet,
}

impl StaticKeyStore {
    /// A store holding `keys`.
    pub fn new(keys: KeySet) -> Self {
        Self { keys }
    }

    /// Parses a JWK Set held in memory.
    pub fn from_jwk_set_json(json: &[u8]) -> Result<Self, super::JwkSetError> {
        parse_jwk_set(json).map(Self::new)
    }

    /// Reads and parses a JWK Set file; done once, at start.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|error| error.to_string())?;
        Self::from_jwk_set_json(&bytes).map_err(|error| error.to_string())
    }
}

#[async_trait::async_trait]
impl KeyStore for StaticKeyStore {
    async fn key(&self, kid: &str) -> Result<Arc<VerificationKey>, KeyLookupError> {
        self.keys.get(kid).ok_or(KeyLookupError::UnknownKid)
    }

    async fn ensure_loaded(&self) -> bool {
        true
    }

    async fn status(&self) -> KeyStatus {
        KeyStatus::Pinned {
            keys: self.keys.len(),
        }
    }
}

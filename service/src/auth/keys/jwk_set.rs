//! Parsing a JWK Set (RFC 7517) into verification keys.
//!
//! Lenient per key, strict per set: a body that is not a JWK Set is an error, but a key we cannot
//! or must not use (symmetric, encryption-only, unknown curve, no `kid`) is skipped with a log
//! line, so one odd key in an EHR's set does not lock every client out.

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use super::{KeyKind, VerificationKey};
use crate::auth::config::SigningAlgorithm;

/// The usable signature keys of one JWK Set, by `kid`.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, Arc<VerificationKey>>,
}

impl KeySet {
    /// A set of `keys`; a repeated `kid` keeps the first key.
    pub fn from_keys(keys: impl IntoIterator<Item = VerificationKey>) -> Self {
        let mut set = Self::default();
        for key in keys {
            set.keys
                .entry(key.kid().to_owned())
                .or_insert_with(|| Arc::new(key));
        }
        set
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<Arc<VerificationKey>> {
        self.keys.get(kid).cloned()
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A body that is not a JWK Set.
#[derive(Debug, thiserror::Error)]
#[error("not a JWK Set: {0}")]
pub struct JwkSetError(#[from] serde_json::Error);

/// Parses a JWK Set, keeping the keys that can verify an accepted algorithm.
pub fn parse_jwk_set(bytes: &[u8]) -> Result<KeySet, JwkSetError> {
    let raw: RawJwkSet = serde_json::from_slice(bytes)?;
    let mut keys = HashMap::new();
    for value in raw.keys {
        let kid = value
            .get("kid")
            .and_then(|kid| kid.as_str())
            .unwrap_or_default()
            .to_owned();
        match usable_key(value) {
            Ok(key) => {
                if keys.contains_key(key.kid()) {
                    // kids MUST be unique within a set (CDS Hooks); keep the first, predictably.
                    tracing::warn!(kid = %key.kid(), "JWK Set repeats a kid; keeping the first key");
                    continue;
                }
                keys.insert(key.kid().to_owned(), Arc::new(key));
            }
            Err(reason) => tracing::debug!(%kid, reason, "skipping JWK"),
        }
    }
    Ok(KeySet { keys })
}

#[derive(Debug, Deserialize)]
struct RawJwkSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, rename = "use")]
    public_key_use: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

fn usable_key(value: serde_json::Value) -> Result<VerificationKey, &'static str> {
    let jwk: RawJwk = serde_json::from_value(value).map_err(|_| "not a JWK")?;
    let kid = jwk.kid.filter(|kid| !kid.is_empty()).ok_or("no kid")?;
    if jwk
        .public_key_use
        .as_deref()
        .is_some_and(|key_use| key_use != "sig")
    {
        return Err("not a signature key");
    }
    let declared_algorithm = match jwk.alg.as_deref() {
        None => None,
        Some(alg) => Some(
            alg.parse::<SigningAlgorithm>()
                .map_err(|_| "alg not accepted")?,
        ),
    };
    let (kind, decoding_key) = match jwk.kty.as_str() {
        "RSA" => {
            let (Some(n), Some(e)) = (jwk.n.as_deref(), jwk.e.as_deref()) else {
                return Err("RSA key without n and e");
            };
            let key = DecodingKey::from_rsa_components(n, e).map_err(|_| "bad RSA parameters")?;
            (KeyKind::Rsa, key)
        }
        "EC" => {
            let (kind, coordinate_bytes) = match jwk.crv.as_deref() {
                Some("P-256") => (KeyKind::EcP256, 32),
                Some("P-384") => (KeyKind::EcP384, 48),
                _ => return Err("unsupported curve"),
            };
            let (Some(x), Some(y)) = (jwk.x.as_deref(), jwk.y.as_deref()) else {
                return Err("EC key without x and y");
            };
            let coordinate_fits = |c: &str| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .is_ok_and(|b| b.len() == coordinate_bytes)
            };
            if !coordinate_fits(x) || !coordinate_fits(y) {
                return Err("EC coordinates do not fit the curve");
            }
            let key = DecodingKey::from_ec_components(x, y).map_err(|_| "bad EC parameters")?;
            (kind, key)
        }
        // Symmetric ("oct") keys are never used: they would allow HMAC forgeries.
        _ => return Err("unsupported key type"),
    };
    let key = VerificationKey::new(kid, kind, declared_algorithm, decoding_key);
    if declared_algorithm.is_some_and(|alg| !key.can_verify(alg)) {
        return Err("alg does not match the key type");
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P384_X: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn symmetric_encryption_and_kidless_keys_are_skipped() {
        let set = serde_json::json!({ "keys": [
            { "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" },
            { "kty": "EC", "kid": "enc", "use": "enc", "crv": "P-384", "x": P384_X, "y": P384_X },
            { "kty": "EC", "crv": "P-384", "x": P384_X, "y": P384_X },
            { "kty": "EC", "kid": "p521", "crv": "P-521", "x": "AA", "y": "AA" },
            { "kty": "EC", "kid": "hs", "alg": "HS256", "crv": "P-384", "x": P384_X, "y": P384_X },
            { "kty": "EC", "kid": "good", "use": "sig", "alg": "ES384", "crv": "P-384", "x": P384_X, "y": P384_X }
        ]});
        let keys = parse_jwk_set(set.to_string().as_bytes()).expect("a JWK Set");
        assert_eq!(keys.len(), 1);
        let good = keys.get("good").expect("the signature key is kept");
        assert_eq!(good.kind(), KeyKind::EcP384);
        assert!(good.can_verify(SigningAlgorithm::ES384));
        assert!(!good.can_verify(SigningAlgorithm::RS384));
    }

    #[test]
    fn a_key_whose_alg_contradicts_its_type_is_skipped() {
        let set = serde_json::json!({ "keys": [
            { "kty": "EC", "kid": "k", "alg": "RS384", "crv": "P-384", "x": P384_X, "y": P384_X }
        ]});
        let keys = parse_jwk_set(set.to_string().as_bytes()).expect("a JWK Set");
        assert!(keys.is_empty());
    }

    #[test]
    fn a_body_that_is_not_a_jwk_set_is_an_error() {
        assert!(parse_jwk_set(b"<html>gateway timeout</html>").is_err());
        assert!(parse_jwk_set(br#"{"keys": "none"}"#).is_err());
    }
}

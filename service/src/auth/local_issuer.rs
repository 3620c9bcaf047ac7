//! A token issuer living inside the process, for `oms-cds demo` and `oms-cds token`.
//!
//! Its ES384 key pair is generated at run time and never written anywhere: the private half
//! lives only in this value, the public half is offered as a JWK Set for a static key store.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::authenticator::ExtraIssuer;
use super::config::SigningAlgorithm;
use super::keys::{KeyKind, KeySet, StaticKeyStore, VerificationKey};

/// The `iss` of tokens minted by a [`LocalIssuer`].
pub const LOCAL_ISSUER: &str = "urn:oms-cds:demo";

/// How long a minted token is valid.
const TOKEN_LIFETIME: Duration = Duration::minutes(5);

/// Bytes of one P-384 coordinate.
const P384_COORDINATE_BYTES: usize = 48;

/// An ES384 issuer whose key exists only in this process.
pub struct LocalIssuer {
    kid: String,
    encoding_key: EncodingKey,
    public_jwk: serde_json::Value,
    key_store: StaticKeyStore,
}

/// Why a local issuer could not be created or could not sign.
#[derive(Debug, thiserror::Error)]
pub enum LocalIssuerError {
    /// The system random generator or the key generation failed.
    #[error("cannot generate an ES384 key pair")]
    KeyGeneration,
    /// Signing a token failed.
    #[error("cannot sign a token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
}

impl LocalIssuer {
    /// Generates a fresh P-384 key pair.
    pub fn generate() -> Result<Self, LocalIssuerError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .map_err(|_| LocalIssuerError::KeyGeneration)?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| LocalIssuerError::KeyGeneration)?;
        // ring gives the uncompressed point: 0x04, then x, then y.
        let point = pair.public_key().as_ref();
        let (x, y) = point
            .get(1..)
            .filter(|coordinates| coordinates.len() == 2 * P384_COORDINATE_BYTES)
            .map(|coordinates| coordinates.split_at(P384_COORDINATE_BYTES))
            .ok_or(LocalIssuerError::KeyGeneration)?;
        let x = URL_SAFE_NO_PAD.encode(x);
        let y = URL_SAFE_NO_PAD.encode(y);
        let kid = thumbprint(&x, &y);
        let public_jwk = serde_json::json!({
            "kty": "EC", "crv": "P-384", "x": x, "y": y,
            "kid": kid, "use": "sig", "alg": "ES384",
        });
        let verification_key = VerificationKey::new(
            kid.clone(),
            KeyKind::EcP384,
            Some(SigningAlgorithm::ES384),
            DecodingKey::from_ec_der(point),
        );
        Ok(Self {
            kid,
            encoding_key: EncodingKey::from_ec_der(pkcs8.as_ref()),
            public_jwk,
            key_store: StaticKeyStore::new(KeySet::from_keys([verification_key])),
        })
    }

    /// The `iss` of minted tokens.
    pub fn issuer(&self) -> &str {
        LOCAL_ISSUER
    }

    /// The `kid` of the key: its RFC 7638 thumbprint.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK Set (`{"keys": [..]}`), e.g. to publish or print.
    pub fn jwk_set(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.public_jwk.clone()] })
    }

    /// A key store holding the public key.
    pub fn key_store(&self) -> StaticKeyStore {
        self.key_store.clone()
    }

    /// This issuer as the [`super::Authenticator`] trusts it (ES384 only).
    pub fn trusted_issuer(&self) -> ExtraIssuer {
        ExtraIssuer {
            iss: LOCAL_ISSUER.to_owned(),
            algorithms: vec![SigningAlgorithm::ES384],
            keys: Arc::new(self.key_store()),
        }
    }

    /// A token for the endpoint `aud` (its full URL), valid for five minutes from now.
    pub fn mint(&self, aud: &str) -> Result<String, LocalIssuerError> {
        self.mint_at(aud, OffsetDateTime::now_utc())
    }

    /// A token for `aud` issued at `now`, valid for five minutes, with a fresh `jti`.
    pub fn mint_at(&self, aud: &str, now: OffsetDateTime) -> Result<String, LocalIssuerError> {
        let mut header = Header::new(Algorithm::ES384);
        header.kid = Some(self.kid.clone());
        let claims = MintedClaims {
            iss: LOCAL_ISSUER,
            aud,
            iat: now.unix_timestamp(),
            exp: (now + TOKEN_LIFETIME).unix_timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding_key)?)
    }
}

impl std::fmt::Debug for LocalIssuer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key is deliberately absent.
        formatter
            .debug_struct("LocalIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct MintedClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
}

/// RFC 7638 JWK thumbprint of an EC key: SHA-256 over the required members in lexical order.
fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-384","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwk_set_holds_one_es384_signature_key_named_by_its_thumbprint() {
        let issuer = LocalIssuer::generate().expect("a key pair");
        let set = issuer.jwk_set();
        let key = &set["keys"][0];
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-384");
        assert_eq!(key["alg"], "ES384");
        assert_eq!(key["kid"], issuer.kid());
        let x = key["x"].as_str().expect("x");
        let y = key["y"].as_str().expect("y");
        assert_eq!(issuer.kid(), thumbprint(x, y));
        assert_eq!(URL_SAFE_NO_PAD.decode(x).expect("base64url").len(), 48);
        assert!(
            key.get("d").is_none(),
            "the private key never leaves the process"
        );
    }

    #[test]
    fn two_issuers_have_different_keys() {
        let first = LocalIssuer::generate().expect("a key pair");
        let second = LocalIssuer::generate().expect("a key pair");
        assert_ne!(first.kid(), second.kid());
    }
}

//! ES384 tokens signed with a key generated at test time, with any header: what real EHRs send
//! (`kid` and `jku`, as the CDS Hooks sandbox does) and what they must not (`crit`). Nothing here
//! is committed key material.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use serde_json::{json, Value};

/// A P-384 key pair made when the test runs.
pub struct TestSigner {
    /// The `kid` of the key.
    pub kid: String,
    pair: EcdsaKeyPair,
    public_jwk: Value,
}

impl TestSigner {
    /// A fresh key named `kid`.
    pub fn generate(kid: &str) -> TestSigner {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        // The uncompressed point: 0x04, then 48 bytes of x and 48 of y.
        let point = pair.public_key().as_ref();
        let public_jwk = json!({
            "kty": "EC", "crv": "P-384", "kid": kid, "use": "sig", "alg": "ES384",
            "x": URL_SAFE_NO_PAD.encode(&point[1..49]),
            "y": URL_SAFE_NO_PAD.encode(&point[49..97]),
        });
        TestSigner {
            kid: kid.to_owned(),
            pair,
            public_jwk,
        }
    }

    /// The public key as a JWK Set.
    pub fn jwk_set(&self) -> Value {
        json!({ "keys": [self.public_jwk.clone()] })
    }

    /// Writes the public JWK Set to a fresh file (a pinned `jwks_file`) and returns its path.
    pub fn write_jwk_set(&self) -> std::path::PathBuf {
        let path = crate::helpers::temp_dir().join("pinned-jwks.json");
        std::fs::write(&path, self.jwk_set().to_string()).unwrap();
        path
    }

    /// Signs `claims` under `header` (taken as given: `alg`, `typ` and `kid` included).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .unwrap();
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }

    /// The header the CDS Hooks sandbox sends: ES384, `typ`, this key's `kid` and a `jku`.
    pub fn sandbox_header(&self, jku: &str) -> Value {
        json!({"alg": "ES384", "typ": "JWT", "kid": self.kid, "jku": jku})
    }

    /// Claims as the sandbox sends them: `iss`, `aud` = the endpoint URL, five minutes, a `jti`.
    pub fn claims(iss: &str, aud: &str) -> Value {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        json!({"iss": iss, "aud": aud, "iat": now, "exp": now + 300,
               "jti": uuid::Uuid::new_v4().to_string()})
    }
}

//! Keys generated at test time, token building, a wiremock JWKS endpoint and an authenticator
//! wired to it. Nothing here is committed key material: every key is made when the tests run.

use std::sync::{Arc, OnceLock};

use axum::http::HeaderValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oms_cds::auth::{
    AuthConfig, AuthError, Authenticator, InMemoryReplayCache, IssuerConfig, VerifiedClaims,
};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Map, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The service's public base URL in every test.
pub const BASE_URL: &str = "https://cds.example.org";
/// The path of the service call.
pub const SERVICE_PATH: &str = "/cds-services/oms-relapse";
/// The configured EHR issuer.
pub const EHR_ISSUER: &str = "https://ehr.example.org";
/// The path the mock JWKS endpoint serves.
pub const JWKS_PATH: &str = "/jwks.json";

/// The `aud` a service call must carry.
pub fn service_url() -> String {
    format!("{BASE_URL}{SERVICE_PATH}")
}

/// A signing key made at test time, with its public JWK.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub algorithm: Algorithm,
    encoding_key: EncodingKey,
    public_jwk: Value,
    /// The public key as a PEM document, for the HS256-with-public-key attack.
    pub public_pem: Option<String>,
}

impl TestKey {
    /// A fresh P-384 key for ES384.
    pub fn es384(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .expect("ring generates a P-384 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("ring reads its own PKCS#8");
        // An uncompressed point: 0x04, then 48 bytes of x and 48 of y.
        let point = pair.public_key().as_ref();
        let public_jwk = json!({
            "kty": "EC", "crv": "P-384", "kid": kid, "use": "sig", "alg": "ES384",
            "x": URL_SAFE_NO_PAD.encode(&point[1..49]),
            "y": URL_SAFE_NO_PAD.encode(&point[49..97]),
        });
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::ES384,
            encoding_key: EncodingKey::from_ec_der(pkcs8.as_ref()),
            public_jwk,
            public_pem: None,
        }
    }

    /// A 2048-bit RSA key for RS384, generated once per test run (RSA generation is slow).
    pub fn rs384(kid: &str) -> Self {
        static RSA_KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
        let private = RSA_KEY.get_or_init(|| {
            rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key generation")
        });
        let der = private.to_pkcs1_der().expect("PKCS#1 encoding");
        let public_pem = private
            .to_public_key()
            .to_pkcs1_pem(LineEnding::LF)
            .expect("PEM encoding");
        let public_jwk = json!({
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS384",
            "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        });
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::RS384,
            encoding_key: EncodingKey::from_rsa_der(der.as_bytes()),
            public_jwk,
            public_pem: Some(public_pem),
        }
    }

    /// The public JWK.
    pub fn public_jwk(&self) -> Value {
        self.public_jwk.clone()
    }
}

/// A JWK Set holding the public halves of `keys`.
pub fn jwk_set(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.public_jwk()).collect::<Vec<_>>() })
}

/// Seconds since the epoch now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A token under construction: CDS Hooks-shaped claims for the service call by default.
pub struct Token {
    header: Header,
    claims: Map<String, Value>,
}

impl Token {
    /// `iss` = `issuer`, `aud` = the service URL, `iat` now, `exp` in five minutes, a random `jti`.
    pub fn from(issuer: &str) -> Self {
        let now = now();
        let claims = json!({
            "iss": issuer,
            "aud": service_url(),
            "iat": now,
            "exp": now + 300,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let Value::Object(claims) = claims else {
            unreachable!("a JSON object literal")
        };
        Self {
            header: Header::default(),
            claims,
        }
    }

    /// Sets (or replaces) a claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets the `jku` header.
    pub fn jku(mut self, url: &str) -> Self {
        self.header.jku = Some(url.to_owned());
        self
    }

    /// Sets the `kid` header instead of the signing key's own.
    pub fn kid(mut self, kid: &str) -> Self {
        self.header.kid = Some(kid.to_owned());
        self
    }

    /// Signs with `key`, its algorithm and (unless overridden) its `kid`.
    pub fn signed_by(self, key: &TestKey) -> String {
        let mut header = self.header;
        header.alg = key.algorithm;
        header.typ = Some("JWT".to_owned());
        header.kid = header.kid.or_else(|| Some(key.kid.clone()));
        jsonwebtoken::encode(&header, &Value::Object(self.claims), &key.encoding_key)
            .expect("signing a test token")
    }

    /// HS256 with `secret`: what an attacker holding only a public key can produce.
    pub fn signed_with_hmac(self, kid: &str, secret: &[u8]) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(
            &header,
            &Value::Object(self.claims),
            &EncodingKey::from_secret(secret),
        )
        .expect("signing a test token")
    }

    /// An unsigned token with `alg` none.
    pub fn unsigned(self, kid: &str) -> String {
        let header = json!({ "alg": "none", "typ": "JWT", "kid": kid });
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(self.claims).to_string())
        )
    }
}

/// A JWKS endpoint serving `keys` at [`JWKS_PATH`], expecting `expected_fetches` requests.
pub async fn jwks_server(
    keys: &[&TestKey],
    expected_fetches: impl Into<wiremock::Times>,
) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwk_set(keys)))
        .expect(expected_fetches)
        .mount(&server)
        .await;
    server
}

/// The JWK Set URL of a mock server.
pub fn jwks_url(server: &MockServer) -> String {
    format!("{}{JWKS_PATH}", server.uri())
}

/// The EHR issuer, with keys at `jwks_url` and ES384 + RS384 accepted.
pub fn ehr_issuer(jwks_url: &str) -> IssuerConfig {
    IssuerConfig::with_jwks_url(EHR_ISSUER, jwks_url)
}

/// Secure defaults with `issuers`.
pub fn config_with(issuers: Vec<IssuerConfig>) -> AuthConfig {
    AuthConfig {
        issuers,
        ..AuthConfig::default()
    }
}

/// An authenticator for `config` with a fresh in-memory replay cache.
pub fn authenticator(config: AuthConfig) -> Authenticator {
    Authenticator::new(
        config,
        BASE_URL,
        reqwest::Client::new(),
        Arc::new(InMemoryReplayCache::default()),
    )
    .expect("a valid test configuration")
}

/// The EHR issuer's authenticator, its keys served by `server`.
pub fn ehr_authenticator(server: &MockServer) -> Authenticator {
    authenticator(config_with(vec![ehr_issuer(&jwks_url(server))]))
}

/// Verifies `token` as the bearer token of a call to `path`.
pub async fn verify(
    auth: &Authenticator,
    token: &str,
    path: &str,
) -> Result<VerifiedClaims, AuthError> {
    let header = HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value");
    auth.verify(Some(&header), path).await
}

/// The reason a call to the service with `token` is refused (panics if it is accepted).
pub async fn refusal(auth: &Authenticator, token: &str) -> &'static str {
    match verify(auth, token, SERVICE_PATH).await {
        Ok(claims) => panic!("token was accepted: {claims:?}"),
        Err(error) => error.reason(),
    }
}

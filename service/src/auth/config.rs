//! The `[auth]` section of the service configuration, with secure defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize, Serializer};

use crate::identifiers::Issuer;

/// How the service authenticates CDS clients (the `[auth]` TOML section).
///
/// `Default` is the secure configuration: authentication required, discovery open (the spec
/// leaves it optional), one-hour maximum token lifetime and one minute of clock skew. It lists no
/// issuer, so [`AuthConfig::validate`] fails until at least one is configured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Whether calls must carry a valid token; `false` only for local development.
    pub required: bool,
    /// Whether `GET /cds-services` needs a token too.
    pub discovery_requires_auth: bool,
    /// Tokens whose `exp - iat` exceeds this are rejected.
    pub max_token_lifetime_secs: u64,
    /// Tolerance applied to `exp`, `iat` and `nbf`.
    pub clock_skew_secs: u64,
    /// How long a JWK Set fetched from a URL is trusted before it is fetched again.
    pub jwks_cache_ttl_secs: u64,
    /// Deadline of one JWK Set fetch, body included.
    pub jwks_fetch_timeout_ms: u64,
    /// Largest JWK Set body accepted.
    pub jwks_max_bytes: usize,
    /// The trusted token issuers (the EHRs).
    pub issuers: Vec<IssuerConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            required: true,
            discovery_requires_auth: false,
            max_token_lifetime_secs: 3600,
            clock_skew_secs: 60,
            jwks_cache_ttl_secs: 300,
            jwks_fetch_timeout_ms: 2000,
            jwks_max_bytes: 64 * 1024,
            issuers: Vec::new(),
        }
    }
}

/// Longest clock skew accepted: more would quietly stretch every token's lifetime.
const MAX_CLOCK_SKEW_SECS: u64 = 300;

impl AuthConfig {
    /// Checks what serde cannot: issuer key sources, URL schemes, non-empty lists and limits.
    ///
    /// The error names the offending key (`auth.issuers[0].jwks_url`).
    pub fn validate(&self) -> Result<(), AuthConfigError> {
        if self.required && self.issuers.is_empty() {
            return Err(AuthConfigError::new(
                "auth.issuers",
                "at least one issuer is required when auth.required = true",
            ));
        }
        self.validate_ignoring_issuer_count()
    }

    /// Every check of [`AuthConfig::validate`] except "at least one issuer", for an
    /// authenticator that also trusts an issuer built in code (the demo's local issuer).
    pub(crate) fn validate_ignoring_issuer_count(&self) -> Result<(), AuthConfigError> {
        if self.max_token_lifetime_secs == 0 {
            return Err(AuthConfigError::new(
                "auth.max_token_lifetime_secs",
                "must be positive",
            ));
        }
        if self.clock_skew_secs > MAX_CLOCK_SKEW_SECS {
            return Err(AuthConfigError::new(
                "auth.clock_skew_secs",
                format!("must be at most {MAX_CLOCK_SKEW_SECS}"),
            ));
        }
        if self.jwks_cache_ttl_secs == 0 {
            return Err(AuthConfigError::new(
                "auth.jwks_cache_ttl_secs",
                "must be positive",
            ));
        }
        if self.jwks_fetch_timeout_ms == 0 {
            return Err(AuthConfigError::new(
                "auth.jwks_fetch_timeout_ms",
                "must be positive",
            ));
        }
        if self.jwks_max_bytes == 0 {
            return Err(AuthConfigError::new(
                "auth.jwks_max_bytes",
                "must be positive",
            ));
        }
        for (index, issuer) in self.issuers.iter().enumerate() {
            issuer.validate(&format!("auth.issuers[{index}]"))?;
            let first_with_same_iss = self
                .issuers
                .iter()
                .position(|other| other.iss == issuer.iss);
            if first_with_same_iss != Some(index) {
                return Err(AuthConfigError::new(
                    format!("auth.issuers[{index}].iss"),
                    format!("issuer {:?} is configured twice", issuer.iss),
                ));
            }
        }
        Ok(())
    }

    /// The configured clock skew.
    pub fn clock_skew(&self) -> Duration {
        Duration::from_secs(self.clock_skew_secs)
    }
}

/// One trusted issuer: its `iss` value, where its keys are and what it may sign with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The exact `iss` claim value.
    pub iss: String,
    /// URL of the issuer's JWK Set, fetched and cached (exclusive with `jwks_file`).
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Path of a static JWK Set on disk, read at start (exclusive with `jwks_url`).
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Signature algorithms accepted from this issuer.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<SigningAlgorithm>,
    /// `jku` header values honoured; a token with any other `jku` is rejected unfetched.
    ///
    /// When the issuer has pinned keys (`jwks_file`, or an entry in `jku_files`), a token with an
    /// allowed `jku` is verified by `kid` against those keys and nothing is fetched, unless
    /// `fetch_allowed_jku` says otherwise.
    #[serde(default)]
    pub allowed_jku: Vec<String>,
    /// Pinned key sets per `jku`: an allowed `jku` URL -> a JWK Set file read at start. A token
    /// naming that `jku` is verified against the file, never by fetching the URL.
    #[serde(default)]
    pub jku_files: BTreeMap<String, PathBuf>,
    /// Fetch an allowed `jku` that has no `jku_files` entry even though the issuer has a pinned
    /// `jwks_file` (off by default: pinned keys need no network, so an unreachable `jku` host
    /// cannot lock clients out).
    #[serde(default)]
    pub fetch_allowed_jku: bool,
    /// If non-empty, the `tenant` claim must be present and one of these.
    #[serde(default)]
    pub tenants: Vec<String>,
    /// FHIR base URL prefixes this issuer's calls may name as `fhirServer`, in addition to
    /// `[fhir] allowed_servers` (an EHR's own FHIR endpoints travel with its trust entry).
    #[serde(default)]
    pub fhir_servers: Vec<String>,
}

impl IssuerConfig {
    /// An issuer whose keys are fetched from `jwks_url`, with the default algorithms.
    pub fn with_jwks_url(iss: impl Into<String>, jwks_url: impl Into<String>) -> Self {
        Self {
            iss: iss.into(),
            jwks_url: Some(jwks_url.into()),
            jwks_file: None,
            algorithms: default_algorithms(),
            allowed_jku: Vec::new(),
            jku_files: BTreeMap::new(),
            fetch_allowed_jku: false,
            tenants: Vec::new(),
            fhir_servers: Vec::new(),
        }
    }

    /// An issuer whose keys are pinned in the JWK Set file `jwks_file`, with the default
    /// algorithms.
    pub fn with_jwks_file(iss: impl Into<String>, jwks_file: impl Into<PathBuf>) -> Self {
        Self {
            jwks_url: None,
            jwks_file: Some(jwks_file.into()),
            ..Self::with_jwks_url(iss, String::new())
        }
    }

    /// Whether a token naming an allowed `jku` is checked against pinned keys (no fetch): the
    /// `jku` has its own pinned file, or the issuer's `jwks_file` stands for every allowed `jku`.
    pub fn pins_jku(&self, jku: &str) -> bool {
        self.jku_files.contains_key(jku) || (self.jwks_file.is_some() && !self.fetch_allowed_jku)
    }

    fn validate(&self, key: &str) -> Result<(), AuthConfigError> {
        if self.iss.trim().is_empty() {
            return Err(AuthConfigError::new(
                format!("{key}.iss"),
                "must not be empty",
            ));
        }
        Issuer::parse(&self.iss)
            .map_err(|problem| AuthConfigError::new(format!("{key}.iss"), problem.to_string()))?;
        match (&self.jwks_url, &self.jwks_file) {
            (None, None) => {
                return Err(AuthConfigError::new(
                    key,
                    "one of jwks_url or jwks_file is required",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(AuthConfigError::new(
                    key,
                    "jwks_url and jwks_file are exclusive; set only one",
                ))
            }
            (Some(url), None) => parse_key_set_url(url)
                .map(drop)
                .map_err(|problem| AuthConfigError::new(format!("{key}.jwks_url"), problem))?,
            (None, Some(_)) => {}
        }
        if self.algorithms.is_empty() {
            return Err(AuthConfigError::new(
                format!("{key}.algorithms"),
                "must list at least one algorithm",
            ));
        }
        for (index, jku) in self.allowed_jku.iter().enumerate() {
            parse_key_set_url(jku).map_err(|problem| {
                AuthConfigError::new(format!("{key}.allowed_jku[{index}]"), problem)
            })?;
        }
        for jku in self.jku_files.keys() {
            if !self.allowed_jku.contains(jku) {
                return Err(AuthConfigError::new(
                    format!("{key}.jku_files"),
                    format!("{jku:?} is pinned but not listed in allowed_jku"),
                ));
            }
        }
        for (index, server) in self.fhir_servers.iter().enumerate() {
            parse_key_set_url(server).map_err(|problem| {
                AuthConfigError::new(format!("{key}.fhir_servers[{index}]"), problem)
            })?;
        }
        if self.tenants.iter().any(|tenant| tenant.trim().is_empty()) {
            return Err(AuthConfigError::new(
                format!("{key}.tenants"),
                "must not contain empty values",
            ));
        }
        Ok(())
    }
}

fn default_algorithms() -> Vec<SigningAlgorithm> {
    vec![SigningAlgorithm::ES384, SigningAlgorithm::RS384]
}

/// Parses a JWK Set URL: `https`, or `http` only to a loopback host (tests, local demo).
pub(crate) fn parse_key_set_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|error| format!("{raw:?} is not a URL: {error}"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "{raw:?} must use https (http only for loopback hosts)"
        )),
        other => Err(format!("{raw:?} has unsupported scheme {other:?}")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// An asymmetric JWS algorithm the service can verify.
///
/// `none` and the symmetric `HS*` algorithms have no variant, so they can never be configured;
/// `ES512` has none either because the signature library (jsonwebtoken 10) cannot verify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum SigningAlgorithm {
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384 (recommended by CDS Hooks).
    ES384,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (recommended by CDS Hooks).
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
}

/// Written as its `alg` name, as it is read.
impl Serialize for SigningAlgorithm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl SigningAlgorithm {
    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
        }
    }

    /// The same algorithm as the signature library names it.
    pub fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm;
        match self {
            Self::ES256 => Algorithm::ES256,
            Self::ES384 => Algorithm::ES384,
            Self::RS256 => Algorithm::RS256,
            Self::RS384 => Algorithm::RS384,
            Self::RS512 => Algorithm::RS512,
            Self::PS256 => Algorithm::PS256,
            Self::PS384 => Algorithm::PS384,
            Self::PS512 => Algorithm::PS512,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "ES256" => Ok(Self::ES256),
            "ES384" => Ok(Self::ES384),
            "RS256" => Ok(Self::RS256),
            "RS384" => Ok(Self::RS384),
            "RS512" => Ok(Self::RS512),
            "PS256" => Ok(Self::PS256),
            "PS384" => Ok(Self::PS384),
            "PS512" => Ok(Self::PS512),
            "none" => Err("alg \"none\" is never accepted".to_owned()),
            symmetric if symmetric.starts_with("HS") => Err(format!(
                "{symmetric} is symmetric and never accepted (CDS Hooks requires asymmetric keys)"
            )),
            "ES512" => Err("ES512 is not supported by the signature library".to_owned()),
            other => Err(format!("unknown signature algorithm {other:?}")),
        }
    }
}

impl TryFrom<String> for SigningAlgorithm {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

/// A configuration value that is not acceptable, with the key that holds it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct AuthConfigError {
    key: String,
    problem: String,
}

impl AuthConfigError {
    pub(crate) fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// The dotted key of the offending value, e.g. `auth.issuers[0].jwks_url`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<AuthConfig, toml::de::Error> {
        #[derive(Deserialize)]
        struct Root {
            auth: AuthConfig,
        }
        toml::from_str::<Root>(toml_text).map(|root| root.auth)
    }

    fn issuer_section(extra: &str) -> String {
        format!("[auth]\n[[auth.issuers]]\niss = \"https://ehr.example.org\"\n{extra}\n")
    }

    #[test]
    fn the_documented_example_parses_and_validates() {
        let config = parse(
            r#"
            [auth]
            required = true
            discovery_requires_auth = false
            max_token_lifetime_secs = 3600
            clock_skew_secs = 60
            jwks_cache_ttl_secs = 300
            jwks_fetch_timeout_ms = 2000
            jwks_max_bytes = 65536
            [[auth.issuers]]
            iss = "https://ehr.example.org"
            jwks_url = "https://ehr.example.org/.well-known/jwks.json"
            algorithms = ["ES384", "RS384"]
            allowed_jku = ["https://ehr.example.org/.well-known/jwks.json"]
            tenants = []
            "#,
        )
        .expect("example parses");
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(
            config.issuers[0].algorithms,
            vec![SigningAlgorithm::ES384, SigningAlgorithm::RS384]
        );
    }

    #[test]
    fn defaults_are_secure_and_need_an_issuer() {
        let config = AuthConfig::default();
        assert!(config.required);
        assert!(!config.discovery_requires_auth);
        assert_eq!(config.max_token_lifetime_secs, 3600);
        assert_eq!(
            config.validate().map_err(|error| error.key().to_owned()),
            Err("auth.issuers".to_owned())
        );
    }

    #[test]
    fn an_issuer_defaults_to_es384_and_rs384() {
        let config = parse(&issuer_section(
            "jwks_url = \"https://ehr.example.org/jwks\"",
        ))
        .expect("parses");
        assert_eq!(
            config.issuers[0].algorithms,
            vec![SigningAlgorithm::ES384, SigningAlgorithm::RS384]
        );
    }

    #[test]
    fn an_issuer_without_a_key_source_is_rejected_naming_it() {
        let config = parse(&issuer_section("")).expect("parses");
        let error = config.validate().expect_err("no key source");
        assert_eq!(error.key(), "auth.issuers[0]");
    }

    #[test]
    fn an_issuer_with_both_key_sources_is_rejected() {
        let config = parse(&issuer_section(
            "jwks_url = \"https://ehr.example.org/jwks\"\njwks_file = \"/etc/jwks.json\"",
        ))
        .expect("parses");
        let error = config.validate().expect_err("two key sources");
        assert!(error.to_string().contains("exclusive"), "{error}");
    }

    #[test]
    fn symmetric_and_none_algorithms_cannot_be_configured() {
        for alg in ["HS256", "HS384", "HS512", "none"] {
            let section = issuer_section(&format!(
                "jwks_url = \"https://ehr.example.org/jwks\"\nalgorithms = [\"{alg}\"]"
            ));
            let error = parse(&section).expect_err("symmetric algorithm rejected");
            assert!(
                error.to_string().contains("never accepted"),
                "{alg}: {error}"
            );
        }
    }

    #[test]
    fn an_empty_algorithm_list_is_rejected() {
        let config = parse(&issuer_section(
            "jwks_url = \"https://ehr.example.org/jwks\"\nalgorithms = []",
        ))
        .expect("parses");
        assert_eq!(
            config.validate().map_err(|error| error.key().to_owned()),
            Err("auth.issuers[0].algorithms".to_owned())
        );
    }

    #[test]
    fn plain_http_key_set_urls_are_rejected_unless_loopback() {
        let remote = parse(&issuer_section(
            "jwks_url = \"http://ehr.example.org/jwks\"",
        ))
        .expect("parses");
        let error = remote.validate().expect_err("plain http");
        assert_eq!(error.key(), "auth.issuers[0].jwks_url");

        for loopback in [
            "http://127.0.0.1:9999/jwks",
            "http://localhost/jwks",
            "http://[::1]:80/jwks",
        ] {
            let local =
                parse(&issuer_section(&format!("jwks_url = \"{loopback}\""))).expect("parses");
            assert_eq!(local.validate(), Ok(()), "{loopback}");
        }
    }

    #[test]
    fn an_allowed_jku_must_be_https_too() {
        let config = parse(&issuer_section(
            "jwks_url = \"https://ehr.example.org/jwks\"\nallowed_jku = [\"http://evil.example/jwks\"]",
        ))
        .expect("parses");
        let error = config.validate().expect_err("plain http jku");
        assert_eq!(error.key(), "auth.issuers[0].allowed_jku[0]");
    }

    #[test]
    fn a_pinned_jku_must_be_allowed_and_pins_only_what_it_names() {
        let config = parse(&issuer_section(
            "jwks_url = \"https://ehr.example.org/jwks\"\n\
             allowed_jku = [\"https://ehr.example.org/a\"]\n\
             jku_files = { \"https://ehr.example.org/b\" = \"/etc/b.json\" }",
        ))
        .expect("parses");
        let error = config.validate().expect_err("pinned but not allowed");
        assert_eq!(error.key(), "auth.issuers[0].jku_files");

        let config = parse(&issuer_section(
            "jwks_url = \"https://ehr.example.org/jwks\"\n\
             allowed_jku = [\"https://ehr.example.org/a\", \"https://ehr.example.org/b\"]\n\
             jku_files = { \"https://ehr.example.org/b\" = \"/etc/b.json\" }",
        ))
        .expect("parses");
        assert_eq!(config.validate(), Ok(()));
        let issuer = &config.issuers[0];
        assert!(issuer.pins_jku("https://ehr.example.org/b"));
        assert!(!issuer.pins_jku("https://ehr.example.org/a"), "fetched");
    }

    #[test]
    fn a_jwks_file_pins_every_allowed_jku_unless_fetching_is_asked_for() {
        let mut issuer = IssuerConfig::with_jwks_file("https://ehr.example.org", "/etc/k.json");
        issuer.allowed_jku = vec!["https://ehr.example.org/jwks".into()];
        assert!(issuer.pins_jku("https://ehr.example.org/jwks"));
        issuer.fetch_allowed_jku = true;
        assert!(!issuer.pins_jku("https://ehr.example.org/jwks"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let error = parse("[auth]\nrequire = false\n").expect_err("typo rejected");
        assert!(error.to_string().contains("require"), "{error}");
    }

    #[test]
    fn the_same_issuer_twice_is_rejected() {
        let one = "[[auth.issuers]]\niss = \"https://ehr.example.org\"\njwks_url = \"https://ehr.example.org/jwks\"\n";
        let config = parse(&format!("[auth]\n{one}{one}")).expect("parses");
        assert_eq!(
            config.validate().map_err(|error| error.key().to_owned()),
            Err("auth.issuers[1].iss".to_owned())
        );
    }

    #[test]
    fn an_over_long_issuer_is_rejected_naming_it() {
        let long = format!(
            "https://ehr.example.org/{}",
            "a".repeat(crate::identifiers::MAX_ISSUER_CHARS)
        );
        let section = format!(
            "[auth]\n[[auth.issuers]]\niss = \"{long}\"\njwks_url = \"https://ehr.example.org/jwks\"\n"
        );
        let error = parse(&section)
            .expect("parses")
            .validate()
            .expect_err("too long");
        assert_eq!(error.key(), "auth.issuers[0].iss");
        assert!(
            error.to_string().contains("at most 512 characters"),
            "{error}"
        );
    }
}

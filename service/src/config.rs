//! Configuration: a TOML file plus environment overrides, validated at start-up. The only module
//! that reads configuration files and the environment.
//!
//! Precedence: embedded defaults < the TOML file (`--config` or `OMS_CDS_CONFIG`) < environment.
//! Environment overrides: the short names of `ENV_ALIASES` (`OMS_CDS_LISTEN`, ...) and, for any
//! key, `OMS_CDS__SECTION__KEY` (double underscores separate the path: `OMS_CDS__AUTH__REQUIRED`).
//! Values are read as TOML when they parse (`true`, `5`, `["a"]`) and as strings otherwise.
//!
//! `clinical`: the `[clinical]` section's shape (the rules crate has no serde).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize, Serializer};

use crate::auth::AuthConfig;

pub mod clinical;
#[cfg(test)]
mod example_file;
pub mod location;
pub mod log_level;
mod placeholders;
pub mod redact;
pub mod server;
pub mod sources;

pub use server::ServerSettings;
pub use sources::{SourceError, ENV_ALIASES};

/// All settings of the service.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The deployment's environment name (`OMS_CDS_ENVIRONMENT`). `production` refuses
    /// configurations only fit for trying the service, such as trusting the public CDS Hooks
    /// sandbox key.
    pub environment: String,
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free port).
    pub listen: SocketAddr,
    /// The externally visible base URL, without a trailing slash; JWT `aud` checks use it.
    pub public_base_url: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How long a shutdown waits for in-flight requests.
    pub shutdown_grace_secs: u64,
    /// Connection timeouts, the connection cap and the evaluation pool.
    pub server: ServerSettings,
    /// Cross-origin settings for browser-based EHRs.
    pub cors: CorsSettings,
    /// Database.
    pub storage: StorageSettings,
    /// Logging.
    pub log: LogSettings,
    /// Trust in CDS clients (JWT).
    pub auth: AuthConfig,
    /// The governance endpoints (`/admin/...`).
    pub admin: AdminSettings,
    /// Fetching missing prefetch from the EHR's FHIR server.
    pub fhir: crate::fhir_client::FhirSettings,
    /// How FHIR becomes facts (measurement staleness, plausibility, BSA formula, value sets).
    pub mapping: fhir_mapping::MappingConfig,
    /// The guideline's thresholds and dose parameters, read through [`clinical::ClinicalSection`].
    #[serde(
        deserialize_with = "clinical::deserialize",
        serialize_with = "clinical::serialize"
    )]
    pub clinical: cards::ClinicalConfig,
    /// Keys the configuration still uses but that have changed meaning: logged as warnings at
    /// start-up (never read from the file).
    #[serde(skip)]
    pub deprecations: Vec<String>,
    /// Environment variables that look like a misspelt short setting name, each with the name
    /// it is probably meant to be: ignored, and logged as warnings at start-up.
    #[serde(skip)]
    pub misspelt_variables: Vec<(String, &'static str)>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            environment: "development".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: "http://127.0.0.1:8080".into(),
            max_body_bytes: 5 * 1024 * 1024,
            shutdown_grace_secs: 10,
            server: ServerSettings::default(),
            cors: CorsSettings::default(),
            storage: StorageSettings::default(),
            log: LogSettings::default(),
            auth: AuthConfig::default(),
            fhir: crate::fhir_client::FhirSettings::default(),
            admin: AdminSettings::default(),
            mapping: fhir_mapping::MappingConfig::default(),
            clinical: cards::ClinicalConfig::default(),
            deprecations: Vec::new(),
            misspelt_variables: Vec::new(),
        }
    }
}

/// CORS settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsSettings {
    /// Allowed origins; `["*"]` (the default) allows any origin, without credentials.
    pub allowed_origins: Vec<String>,
}

impl Default for CorsSettings {
    fn default() -> Self {
        Self {
            allowed_origins: vec!["*".into()],
        }
    }
}

/// Governance endpoints: disabled unless a token is configured.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// Bearer token for `GET /admin/feedback/summary` (at least 32 characters). Set it from a
    /// secret store through `OMS_CDS__ADMIN__TOKEN`, never in a committed file.
    pub token: Option<Secret>,
}

/// A secret string: kept out of `Debug` output and logs.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one comparison that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Printed configurations (`config check --print`) never carry the secret.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(redact::REDACTED)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Storage settings.
///
/// The timeouts make a database fault an answer rather than a wait: a request that needs the
/// database (the replay check, feedback, readiness) gets its 503 within `query_timeout_ms`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// `sqlite://PATH` (created on first run) or `postgres://...`.
    pub database_url: String,
    /// Connection pool size.
    pub max_connections: u32,
    /// Capacity of the queue that writes the issued-cards log off the request path.
    pub issued_cards_queue: usize,
    /// How long start-up waits for the database (connection attempts are retried), and how long
    /// the migrations may take, in seconds. A database starting alongside the service is waited
    /// for; one that never comes makes start-up fail with the last error.
    pub startup_timeout_secs: u64,
    /// Longest wait for a pooled connection (opening one included), in milliseconds.
    pub acquire_timeout_ms: u64,
    /// Longest a storage call on the request path may take, waiting for a connection and every
    /// statement included, in milliseconds; past it the call is answered 503 with Retry-After.
    pub query_timeout_ms: u64,
    /// Longest a background storage call may take (an issued-cards batch, a purge batch, the
    /// governance summary), in milliseconds: no EHR waits for these, but a stalled connection
    /// must not stop them for good.
    pub background_timeout_ms: u64,
    /// How often expired JWT ids are deleted from the replay table, in seconds.
    pub replay_purge_interval_secs: u64,
    /// Most expired JWT ids deleted by one statement, so a purge never holds locks for long.
    pub replay_purge_batch: u32,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://oms-cds.db".into(),
            max_connections: 8,
            issued_cards_queue: 4096,
            startup_timeout_secs: 10,
            acquire_timeout_ms: 500,
            query_timeout_ms: 800,
            background_timeout_ms: 10_000,
            replay_purge_interval_secs: 60,
            replay_purge_batch: 1000,
        }
    }
}

impl StorageSettings {
    /// Checks the rules serde cannot express; each message names the key.
    pub fn validate(&self) -> anyhow::Result<()> {
        let url = &self.database_url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            bail!("storage.database_url must start with sqlite:, postgres:// or postgresql://");
        }
        let zero = [
            ("max_connections", self.max_connections == 0),
            ("issued_cards_queue", self.issued_cards_queue == 0),
            ("startup_timeout_secs", self.startup_timeout_secs == 0),
            ("acquire_timeout_ms", self.acquire_timeout_ms == 0),
            ("query_timeout_ms", self.query_timeout_ms == 0),
            ("background_timeout_ms", self.background_timeout_ms == 0),
            (
                "replay_purge_interval_secs",
                self.replay_purge_interval_secs == 0,
            ),
            ("replay_purge_batch", self.replay_purge_batch == 0),
        ];
        if let Some((key, _)) = zero.iter().find(|(_, is_zero)| *is_zero) {
            bail!("storage.{key} must be at least 1");
        }
        // The connection wait is part of a request's storage call: a longer one would never fire.
        if self.acquire_timeout_ms > self.query_timeout_ms {
            bail!(
                "storage.acquire_timeout_ms ({}) must not exceed storage.query_timeout_ms ({})",
                self.acquire_timeout_ms,
                self.query_timeout_ms
            );
        }
        Ok(())
    }

    /// `startup_timeout_secs` as a duration.
    pub fn startup_timeout(&self) -> Duration {
        Duration::from_secs(self.startup_timeout_secs)
    }

    /// `acquire_timeout_ms` as a duration.
    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.acquire_timeout_ms)
    }

    /// `query_timeout_ms` as a duration.
    pub fn query_timeout(&self) -> Duration {
        Duration::from_millis(self.query_timeout_ms)
    }

    /// `background_timeout_ms` as a duration.
    pub fn background_timeout(&self) -> Duration {
        Duration::from_millis(self.background_timeout_ms)
    }

    /// `replay_purge_interval_secs` as a duration.
    pub fn replay_purge_interval(&self) -> Duration {
        Duration::from_secs(self.replay_purge_interval_secs)
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A `tracing` filter directive such as `info` or `oms_cds=debug,info`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

impl Settings {
    /// Loads settings from an optional TOML file and the process environment, then validates them.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        Self::load_from(file, std::env::vars())
    }

    /// Loads settings for offline evaluation (`oms-cds evaluate`): no HTTP is served, so the
    /// `[auth]` section need not name an issuer.
    pub fn load_for_evaluation(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut env: Vec<(String, String)> = std::env::vars().collect();
        env.push(("OMS_CDS__AUTH__REQUIRED".into(), "false".into()));
        Self::load_from(file, env)
    }

    /// Like `load`, with the environment given explicitly (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Settings> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        // `RUST_LOG` wins over `log.level` (see `telemetry`), so it is held to the same rules.
        let rust_log = env.iter().find(|(name, _)| name == "RUST_LOG");
        if let Some((_, rust_log)) = rust_log.filter(|(_, value)| !value.trim().is_empty()) {
            log_level::check(rust_log).map_err(|error| {
                anyhow::anyhow!("environment variable RUST_LOG, which overrides {error}")
            })?;
        }
        let misspelt = sources::misspelt_variables(&env);
        let sources::Read {
            mut settings,
            table,
            variables,
        } = sources::read(file, env)?;
        settings
            .validate()
            .with_context(|| describe_sources(file, &variables))?;
        settings.deprecations = deprecations(&table);
        settings.misspelt_variables = misspelt;
        Ok(settings)
    }

    /// Whether this is a production deployment (`environment = "production"`, any case).
    pub fn is_production(&self) -> bool {
        self.environment.trim().eq_ignore_ascii_case("production")
    }

    /// Checks every rule serde cannot express; each error names the key.
    pub fn validate(&self) -> anyhow::Result<()> {
        let base = &self.public_base_url;
        if !(base.starts_with("https://") || base.starts_with("http://")) || base.ends_with('/') {
            bail!("public_base_url must be an absolute http(s) URL without a trailing slash, not `{base}`");
        }
        if self.max_body_bytes < 1024 {
            bail!("max_body_bytes must be at least 1024");
        }
        self.server
            .validate()
            .map_err(|e| anyhow::anyhow!("server.{e}"))?;
        self.storage.validate()?;
        if self.cors.allowed_origins.is_empty() {
            bail!("cors.allowed_origins must list at least one origin (or \"*\")");
        }
        for origin in &self.cors.allowed_origins {
            if origin != "*" && origin.parse::<axum::http::HeaderValue>().is_err() {
                bail!("cors.allowed_origins: `{origin}` is not a valid origin");
            }
        }
        log_level::check(&self.log.level)?;
        self.auth
            .validate()
            .map_err(|e| anyhow::anyhow!("auth: {e}"))?;
        if self.is_production() {
            let placeholders = placeholders::placeholder_urls(self);
            if !placeholders.is_empty() {
                bail!(
                    "environment = production (OMS_CDS_ENVIRONMENT) refuses template values: {} \
                     (hosts under `.invalid` are the shipped placeholders; set this site's URLs)",
                    placeholders.join(", ")
                );
            }
            if let Some(why) = self.auth.sandbox_trust() {
                bail!(
                    "environment = production (OMS_CDS_ENVIRONMENT) refuses the CDS Hooks sandbox \
                     profile: {why}. Its private key is published, so anyone could sign tokens \
                     this service would trust; configure your EHR's keys instead"
                );
            }
        }
        if self
            .admin
            .token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 32)
        {
            bail!("admin.token must be at least 32 characters");
        }
        self.fhir
            .validate()
            .map_err(|e| anyhow::anyhow!("fhir.{e}"))?;
        self.mapping
            .validate()
            .map_err(|e| anyhow::anyhow!("mapping: {e}"))?;
        if self.fhir.max_resources > self.mapping.max_resources {
            bail!(
                "fhir.max_resources ({}) must not exceed mapping.max_resources ({}): a key fetched \
                 in full would make every call that needs it too large to read",
                self.fhir.max_resources,
                self.mapping.max_resources
            );
        }
        self.clinical
            .validate()
            .map_err(|e| anyhow::anyhow!("clinical: {e}"))?;
        Ok(())
    }
}

/// Where the settings came from, for an error that only names a key.
fn describe_sources(file: Option<&Path>, variables: &[String]) -> String {
    let file = file.map_or_else(
        || "no configuration file".to_owned(),
        |path| path.display().to_string(),
    );
    if variables.is_empty() {
        format!("invalid configuration ({file}, no OMS_CDS_* environment variable)")
    } else {
        format!(
            "invalid configuration ({file}, then environment variables {})",
            variables.join(", ")
        )
    }
}

/// Keys accepted for compatibility whose meaning changed, with what to do about them.
fn deprecations(table: &toml::Table) -> Vec<String> {
    let clinical = table.get("clinical").and_then(toml::Value::as_table);
    let mut found = Vec::new();
    if clinical.is_some_and(|section| section.contains_key("cyclophosphamide_cap_mg_per_m2")) {
        found.push(
            "clinical.cyclophosphamide_cap_mg_per_m2 is no longer a cap: it is the highest \
             cyclophosphamide_mg_per_m2 the configuration may set (a range check). The pulse cap is \
             clinical.cyclophosphamide_cap_mg (1200 mg by default)."
                .to_owned(),
        );
    }
    found
}

/// The configuration file named by `OMS_CDS_CONFIG`, when set.
pub fn config_file_from_env() -> Option<PathBuf> {
    std::env::var_os("OMS_CDS_CONFIG").map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_require_auth_so_serving_without_an_issuer_fails_with_a_hint() {
        let err = Settings::load_from(None, env(&[])).expect_err("no issuer configured");
        assert!(format!("{err:#}").contains("auth.issuers"), "{err:#}");
        let settings = Settings::default();
        assert!(settings.auth.required, "auth must be required by default");
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.max_body_bytes, 5 * 1024 * 1024);
    }

    #[test]
    fn a_rust_log_that_would_log_nothing_is_refused_by_name_and_misspelt_names_are_kept() {
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect()
        };
        let error = Settings::load_from(None, env(&[("RUST_LOG", "warning")]))
            .expect_err("a RUST_LOG of `warning` would log nothing")
            .to_string();
        assert!(
            error.contains("RUST_LOG") && error.contains("warning"),
            "{error}"
        );
        let settings = Settings::load_from(
            None,
            env(&[
                ("RUST_LOG", "oms_cds=debug,info"),
                ("OMS_CDS_LOG_LEVL", "debug"),
                ("OMS_CDS__AUTH__REQUIRED", "false"),
            ]),
        )
        .expect("valid: the misspelt name is only a warning");
        assert_eq!(
            settings.misspelt_variables,
            [("OMS_CDS_LOG_LEVL".to_owned(), "OMS_CDS_LOG_LEVEL")]
        );
        assert_eq!(settings.log.level, Settings::default().log.level);
    }

    #[test]
    fn the_former_cyclophosphamide_per_m2_cap_key_is_accepted_with_a_deprecation() {
        let quiet =
            Settings::load_from(None, env(&[("OMS_CDS__AUTH__REQUIRED", "false")])).expect("valid");
        assert!(quiet.deprecations.is_empty());
        let settings = Settings::load_from(
            None,
            env(&[
                ("OMS_CDS__AUTH__REQUIRED", "false"),
                ("OMS_CDS__CLINICAL__CYCLOPHOSPHAMIDE_CAP_MG_PER_M2", "900"),
            ]),
        )
        .expect("still valid");
        assert_eq!(settings.deprecations.len(), 1);
        assert!(settings.deprecations[0].contains("clinical.cyclophosphamide_cap_mg"));
        // As a range check it refuses a configured dose above it.
        let refused = Settings::load_from(
            None,
            env(&[
                ("OMS_CDS__AUTH__REQUIRED", "false"),
                ("OMS_CDS__CLINICAL__CYCLOPHOSPHAMIDE_CAP_MG_PER_M2", "700"),
            ]),
        );
        assert!(refused.is_err());
    }

    #[test]
    fn development_settings_without_auth_are_valid() {
        let settings = Settings::load_from(None, env(&[("OMS_CDS__AUTH__REQUIRED", "false")]))
            .expect("valid without auth");
        assert!(!settings.auth.required);
    }

    #[test]
    fn environment_aliases_and_generic_keys_override_the_file() {
        let dir = std::env::temp_dir().join(format!("oms-cds-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("oms-cds.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nmax_body_bytes = 2048\n",
        )
        .expect("write");
        let settings = Settings::load_from(
            Some(&file),
            env(&[
                ("OMS_CDS_LISTEN", "0.0.0.0:7000"),
                ("OMS_CDS__STORAGE__MAX_CONNECTIONS", "3"),
                (
                    "OMS_CDS__CORS__ALLOWED_ORIGINS",
                    "[\"https://ehr.example.org\"]",
                ),
                ("UNRELATED", "x"),
                ("OMS_CDS__AUTH__REQUIRED", "false"),
            ]),
        )
        .expect("valid");
        assert_eq!(settings.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(settings.max_body_bytes, 2048);
        assert_eq!(settings.storage.max_connections, 3);
        assert_eq!(
            settings.cors.allowed_origins,
            vec!["https://ehr.example.org".to_string()]
        );
    }

    #[test]
    fn clinical_keys_come_from_the_file_and_the_environment() {
        let dir = std::env::temp_dir().join(format!("oms-cds-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("oms-cds.toml");
        std::fs::write(
            &file,
            "[clinical]\npulse_cycles = 4\nrituximab_mg_per_m2 = 300\n",
        )
        .expect("write");
        let settings = Settings::load_from(
            Some(&file),
            env(&[
                ("OMS_CDS__AUTH__REQUIRED", "false"),
                ("OMS_CDS__CLINICAL__RITUXIMAB_MG_PER_M2", "250"),
                ("OMS_CDS__CLINICAL__DEXAMETHASONE_ROUNDING_MG", "0.25"),
                ("OMS_CDS__CLINICAL__GUIDELINE_VERSION", "2027.1-local"),
            ]),
        )
        .expect("valid");
        let defaults = cards::ClinicalConfig::default();
        assert_eq!(
            settings.clinical,
            cards::ClinicalConfig {
                pulse_cycles: 4,
                rituximab_mg_per_m2: 250.into(),
                dexamethasone_rounding_mg: rust_decimal::Decimal::new(25, 2),
                guideline_version: "2027.1-local".into(),
                ..defaults
            },
            "the environment wins over the file, and other keys keep their defaults"
        );
    }

    #[test]
    fn an_unknown_or_invalid_clinical_key_fails_naming_the_key() {
        let err = Settings::load_from(
            None,
            env(&[
                ("OMS_CDS__AUTH__REQUIRED", "false"),
                ("OMS_CDS__CLINICAL__RITUXIMAB_DOSE", "375"),
            ]),
        )
        .expect_err("unknown key");
        assert!(format!("{err:#}").contains("rituximab_dose"), "{err:#}");
        let err = Settings::load_from(
            None,
            env(&[
                ("OMS_CDS__AUTH__REQUIRED", "false"),
                ("OMS_CDS__CLINICAL__RITUXIMAB_ROUNDING_MG", "0"),
            ]),
        )
        .expect_err("invalid value");
        assert!(
            format!("{err:#}").contains("clinical.rituximab_rounding_mg"),
            "{err:#}"
        );
    }

    #[test]
    fn an_unknown_key_fails_naming_the_key() {
        let err = Settings::load_from(None, env(&[("OMS_CDS__STORAGE__DATABSE_URL", "x")]))
            .expect_err("typo must fail");
        assert!(format!("{err:#}").contains("databse_url"), "{err:#}");
    }

    #[test]
    fn an_invalid_value_fails_naming_the_key() {
        let err = Settings::load_from(
            None,
            env(&[
                ("OMS_CDS_DATABASE_URL", "mysql://x"),
                ("OMS_CDS__AUTH__REQUIRED", "false"),
            ]),
        )
        .expect_err("must fail");
        assert!(
            format!("{err:#}").contains("storage.database_url"),
            "{err:#}"
        );
        let err = Settings::load_from(None, env(&[("OMS_CDS_LISTEN", "not-an-address")]))
            .expect_err("must fail");
        assert!(format!("{err:#}").contains("listen"), "{err:#}");
    }

    #[test]
    fn storage_defaults_answer_a_fault_within_a_second_and_are_valid() {
        let storage = StorageSettings::default();
        assert_eq!(storage.validate().map_err(|e| e.to_string()), Ok(()));
        assert!(storage.acquire_timeout() <= storage.query_timeout());
        assert!(storage.query_timeout() < Duration::from_secs(1));
    }

    #[test]
    fn a_zero_storage_timeout_or_a_wait_longer_than_the_call_fails_naming_the_key() {
        let err = Settings::load_from(
            None,
            env(&[
                ("OMS_CDS__AUTH__REQUIRED", "false"),
                ("OMS_CDS__STORAGE__QUERY_TIMEOUT_MS", "0"),
            ]),
        )
        .expect_err("zero timeout");
        assert!(
            format!("{err:#}").contains("storage.query_timeout_ms"),
            "{err:#}"
        );
        let err = Settings::load_from(
            None,
            env(&[
                ("OMS_CDS__AUTH__REQUIRED", "false"),
                ("OMS_CDS__STORAGE__ACQUIRE_TIMEOUT_MS", "2000"),
            ]),
        )
        .expect_err("acquire longer than the call");
        assert!(
            format!("{err:#}").contains("storage.acquire_timeout_ms"),
            "{err:#}"
        );
        let settings = Settings::load_from(
            None,
            env(&[
                ("OMS_CDS__AUTH__REQUIRED", "false"),
                ("OMS_CDS__STORAGE__REPLAY_PURGE_INTERVAL_SECS", "5"),
            ]),
        )
        .expect("valid");
        assert_eq!(
            settings.storage.replay_purge_interval(),
            Duration::from_secs(5)
        );
    }

    fn config_file(text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("oms-cds-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("oms-cds.toml");
        std::fs::write(&file, text).expect("write");
        file
    }

    #[test]
    fn a_wrongly_typed_value_in_the_file_is_reported_at_its_own_line_and_key() {
        let file = config_file(
            "# comments and other keys before it\n\nlisten = \"127.0.0.1:8080\"\n\n[auth]\n\
             required = false\n\n[cors]\nallowed_origins = [\"*\"]\n\n[storage]\n\
             max_connections = \"eight\"\n",
        );
        let message = format!(
            "{:#}",
            Settings::load_from(Some(&file), env(&[])).expect_err("a string")
        );
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(message.contains("line 12, column 19"), "{message}");
        assert!(
            message.contains("key `storage.max_connections`"),
            "{message}"
        );
    }

    #[test]
    fn a_misspelt_key_in_the_file_is_reported_at_its_own_line_and_key() {
        let file = config_file("listen = \"127.0.0.1:8080\"\n\n[auth]\nrequird = false\n");
        let message = format!(
            "{:#}",
            Settings::load_from(Some(&file), env(&[])).expect_err("typo")
        );
        assert!(message.contains("line 4, column 1"), "{message}");
        assert!(message.contains("key `auth.requird`"), "{message}");
        assert!(message.contains("unknown field `requird`"), "{message}");
    }

    #[test]
    fn a_misspelt_or_wrongly_typed_environment_variable_is_named_not_a_toml_section() {
        let file = config_file("[auth]\nrequired = false\n");
        let message = format!(
            "{:#}",
            Settings::load_from(Some(&file), env(&[("OMS_CDS__AUTH__REQUIRD", "false")]))
                .expect_err("typo")
        );
        assert!(
            message.contains("environment variable OMS_CDS__AUTH__REQUIRD"),
            "{message}"
        );
        assert!(message.contains("unknown field `requird`"), "{message}");
        assert!(
            !message.contains("line"),
            "no file position for a variable: {message}"
        );
        let message = format!(
            "{:#}",
            Settings::load_from(
                Some(&file),
                env(&[("OMS_CDS__STORAGE__MAX_CONNECTIONS", "eight")])
            )
            .expect_err("not a number")
        );
        assert!(
            message.contains("environment variable OMS_CDS__STORAGE__MAX_CONNECTIONS (key `storage.max_connections`)"),
            "{message}"
        );
    }

    #[test]
    fn a_log_level_that_would_log_nothing_is_refused_listing_the_levels() {
        for (variable, level) in [
            ("OMS_CDS_LOG_LEVEL", "warning"),
            ("OMS_CDS__LOG__LEVEL", "verbose"),
        ] {
            let message = format!(
                "{:#}",
                Settings::load_from(
                    None,
                    env(&[("OMS_CDS__AUTH__REQUIRED", "false"), (variable, level)])
                )
                .expect_err(level)
            );
            assert!(
                message.contains(&format!("`{level}` is not a level")),
                "{message}"
            );
            assert!(
                message.contains("off, error, warn, info, debug, trace"),
                "{message}"
            );
            assert!(
                message.contains(variable),
                "the variable that set it: {message}"
            );
        }
    }
}

//! The `[fhir]` configuration section: which servers may be called, and the time and size
//! limits of fetching.

use serde::{Deserialize, Serialize};

/// `[fhir]` settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FhirSettings {
    /// FHIR base URL prefixes the service may call (e.g. `https://ehr.example.org/fhir`). A
    /// `fhirServer` is allowed when it equals a prefix or continues it with a path segment.
    pub allowed_servers: Vec<String>,
    /// Allow `http://` servers (development only).
    pub allow_http: bool,
    /// One deadline for all fetches of one request, in milliseconds.
    pub deadline_ms: u64,
    /// Timeout of one HTTP call (connect, headers and body), in milliseconds.
    pub call_timeout_ms: u64,
    /// Most pages read per search (the first page included).
    pub max_pages: usize,
    /// Most resources kept per search.
    pub max_resources: usize,
    /// Most body bytes read per prefetch key, all pages together.
    pub max_response_bytes: usize,
    /// Most calls in flight at once to one FHIR host (all requests of this process together).
    pub max_concurrency_per_host: usize,
}

impl Default for FhirSettings {
    fn default() -> Self {
        Self {
            allowed_servers: Vec::new(),
            allow_http: false,
            deadline_ms: 2000,
            call_timeout_ms: 1500,
            max_pages: 10,
            max_resources: 2000,
            max_response_bytes: 5 * 1024 * 1024,
            max_concurrency_per_host: 8,
        }
    }
}

/// A `[fhir]` setting that cannot work; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFhirSettings {
    /// An allow-list entry that is not an https URL (or http without `allow_http`).
    #[error("allowed_servers: `{0}` must be an https URL (http only with allow_http = true)")]
    InsecureServer(String),
    /// An allow-list entry without a host.
    #[error("allowed_servers: `{0}` has no host")]
    NoHost(String),
    /// A limit that is zero.
    #[error("{0} must be positive")]
    ZeroLimit(&'static str),
}

impl FhirSettings {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), InvalidFhirSettings> {
        for server in &self.allowed_servers {
            let secure = server.starts_with("https://")
                || (self.allow_http && server.starts_with("http://"));
            if !secure {
                return Err(InvalidFhirSettings::InsecureServer(server.clone()));
            }
            if super::url::origin_of(server).is_none() {
                return Err(InvalidFhirSettings::NoHost(server.clone()));
            }
        }
        let limits = [
            ("deadline_ms", self.deadline_ms == 0),
            ("call_timeout_ms", self.call_timeout_ms == 0),
            ("max_pages", self.max_pages == 0),
            ("max_resources", self.max_resources == 0),
            ("max_response_bytes", self.max_response_bytes == 0),
            (
                "max_concurrency_per_host",
                self.max_concurrency_per_host == 0,
            ),
        ];
        match limits.into_iter().find(|(_, zero)| *zero) {
            Some((name, _)) => Err(InvalidFhirSettings::ZeroLimit(name)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_refuse_http() {
        assert_eq!(FhirSettings::default().validate(), Ok(()));
        let settings = FhirSettings {
            allowed_servers: vec!["http://ehr.local/fhir".into()],
            ..FhirSettings::default()
        };
        assert_eq!(
            settings.validate(),
            Err(InvalidFhirSettings::InsecureServer(
                "http://ehr.local/fhir".into()
            ))
        );
    }

    #[test]
    fn http_servers_are_accepted_only_with_allow_http() {
        let settings = FhirSettings {
            allowed_servers: vec!["http://127.0.0.1:8080/fhir".into()],
            allow_http: true,
            ..FhirSettings::default()
        };
        assert_eq!(settings.validate(), Ok(()));
    }

    #[test]
    fn a_zero_limit_is_named() {
        let settings = FhirSettings {
            max_pages: 0,
            ..FhirSettings::default()
        };
        assert_eq!(
            settings.validate().map_err(|e| e.to_string()),
            Err("max_pages must be positive".to_string())
        );
    }
}

//! Completing the prefetch from the EHR's FHIR server (CDS Hooks 2.0 section 4): keys that are
//! absent or hold an OperationOutcome are fetched, and searchset Bundles with `link[next]` are
//! paged through, within one per-request deadline.
//!
//! Security couplings: only servers on the configured allow-list are called (https unless
//! `allow_http`); `link[next]` is followed only on the same origin; redirects are never followed;
//! the access token goes in one header of these calls and nowhere else (not logged, not stored).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fhir_mapping::PrefetchValue;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::catalogue::PREFETCH_TEMPLATES;
use crate::wire::request::{FhirAuthorization, HookCall};

/// `[fhir]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FhirSettings {
    /// FHIR base URL prefixes the service may call (e.g. `https://ehr.example.org/fhir`).
    pub allowed_servers: Vec<String>,
    /// Allow `http://` servers (development only).
    pub allow_http: bool,
    /// Deadline for all fetches of one request.
    pub deadline_ms: u64,
    /// Timeout of one HTTP call.
    pub call_timeout_ms: u64,
    /// Most pages followed per search.
    pub max_pages: usize,
    /// Most resources kept per search.
    pub max_resources: usize,
    /// Largest response body accepted per call.
    pub max_response_bytes: usize,
    /// Most concurrent calls to one FHIR host.
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
            max_concurrency_per_host: 4,
        }
    }
}

impl FhirSettings {
    /// Checks the settings; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        for server in &self.allowed_servers {
            let ok = server.starts_with("https://")
                || (self.allow_http && server.starts_with("http://"));
            if !ok {
                return Err(format!(
                    "allowed_servers: `{server}` must be an https URL (http only with allow_http = true)"
                ));
            }
        }
        if self.deadline_ms == 0 || self.call_timeout_ms == 0 {
            return Err("deadline_ms and call_timeout_ms must be positive".into());
        }
        if self.max_pages == 0 || self.max_resources == 0 || self.max_response_bytes == 0 {
            return Err("max_pages, max_resources and max_response_bytes must be positive".into());
        }
        if self.max_concurrency_per_host == 0 {
            return Err("max_concurrency_per_host must be at least 1".into());
        }
        Ok(())
    }
}

/// How one prefetch key ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// The EHR sent it complete.
    Satisfied,
    /// Fetched (or completed by paging) from the FHIR server.
    Fetched,
    /// Needed but not obtained; the reason is safe to show (no token, no patient id).
    Failed(String),
}

/// What happened to each prefetch key.
#[derive(Debug, Clone, Default)]
pub struct PrefetchReport {
    /// Outcome per key, for keys that were looked at.
    pub outcomes: Vec<(&'static str, KeyOutcome)>,
}

impl PrefetchReport {
    /// The failure reason for `key`, if it failed.
    pub fn failure(&self, key: &str) -> Option<&str> {
        self.outcomes.iter().find_map(|(k, outcome)| match outcome {
            KeyOutcome::Failed(reason) if *k == key => Some(reason.as_str()),
            _ => None,
        })
    }
}

/// Fetches missing prefetch from EHR FHIR servers.
#[derive(Debug)]
pub struct FhirFetcher {
    http: reqwest::Client,
    settings: FhirSettings,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

enum Need {
    Fetch(String),
    Complete(Value),
}

impl FhirFetcher {
    /// A fetcher with its own connection pool (no redirects, per-call timeout).
    pub fn new(settings: FhirSettings) -> anyhow::Result<FhirFetcher> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(settings.call_timeout_ms))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(FhirFetcher {
            http,
            settings,
            per_host: Mutex::new(HashMap::new()),
        })
    }

    /// Completes `call.prefetch` in place: fetches absent and OperationOutcome keys and pages
    /// through Bundles with `link[next]`, all within the deadline.
    pub async fn complete(&self, call: &mut HookCall) -> PrefetchReport {
        let mut report = PrefetchReport::default();
        let mut needs: Vec<(&'static str, Need)> = Vec::new();
        for (key, template) in PREFETCH_TEMPLATES {
            match call.prefetch.get(key) {
                None => needs.push((
                    key,
                    Need::Fetch(
                        template.replace("{{context.patientId}}", &encode(&call.patient_id)),
                    ),
                )),
                Some(PrefetchValue::Null) => report.outcomes.push((key, KeyOutcome::Satisfied)),
                Some(PrefetchValue::Resource(raw)) => {
                    match serde_json::from_str::<Value>(raw.get()) {
                        Ok(value) if value["resourceType"] == "OperationOutcome" => needs.push((
                            key,
                            Need::Fetch(
                                template
                                    .replace("{{context.patientId}}", &encode(&call.patient_id)),
                            ),
                        )),
                        Ok(value) if next_link(&value).is_some() => {
                            needs.push((key, Need::Complete(value)))
                        }
                        _ => report.outcomes.push((key, KeyOutcome::Satisfied)),
                    }
                }
            }
        }
        if needs.is_empty() {
            return report;
        }
        let access = match self.access(
            call.fhir_server.as_deref(),
            call.fhir_authorization.as_ref(),
        ) {
            Ok(access) => access,
            Err(reason) => {
                report.outcomes.extend(
                    needs
                        .into_iter()
                        .map(|(key, _)| (key, KeyOutcome::Failed(reason.clone()))),
                );
                return report;
            }
        };
        let deadline = Duration::from_millis(self.settings.deadline_ms);
        let fetches = needs.into_iter().map(|(key, need)| {
            let access = &access;
            async move {
                let result = match need {
                    Need::Fetch(path) => {
                        self.fetch_all(access, key, &format!("{}/{path}", access.base))
                            .await
                    }
                    Need::Complete(first) => self.follow_pages(access, key, first).await,
                };
                (key, result)
            }
        });
        let all = futures::future::join_all(fetches);
        let results = match tokio::time::timeout(deadline, all).await {
            Ok(results) => results,
            Err(_) => {
                let reason = format!(
                    "the FHIR server did not answer within the {} ms deadline",
                    self.settings.deadline_ms
                );
                for (key, _) in PREFETCH_TEMPLATES {
                    if !report.outcomes.iter().any(|(k, _)| *k == key) {
                        report
                            .outcomes
                            .push((key, KeyOutcome::Failed(reason.clone())));
                    }
                }
                return report;
            }
        };
        for (key, result) in results {
            match result {
                Ok(resource) => {
                    if let Ok(raw) = RawValue::from_string(resource.to_string()) {
                        call.prefetch
                            .insert(key.to_owned(), PrefetchValue::Resource(raw));
                    }
                    report.outcomes.push((key, KeyOutcome::Fetched));
                }
                Err(reason) => report.outcomes.push((key, KeyOutcome::Failed(reason))),
            }
        }
        report
    }

    fn access(
        &self,
        server: Option<&str>,
        authorization: Option<&FhirAuthorization>,
    ) -> Result<Access, String> {
        let server = server.ok_or("no fhirServer was given to fetch it from")?;
        let base = server.trim_end_matches('/').to_owned();
        if base.starts_with("http://") && !self.settings.allow_http {
            return Err("fhirServer uses http, which this service refuses (https only)".into());
        }
        let allowed = self.settings.allowed_servers.iter().any(|prefix| {
            let prefix = prefix.trim_end_matches('/');
            base == prefix || base.starts_with(&format!("{prefix}/"))
        });
        if !allowed {
            return Err(
                "fhirServer is not on this service's allow-list ([fhir] allowed_servers)".into(),
            );
        }
        let authorization = authorization.ok_or("no fhirAuthorization was given to fetch it")?;
        if authorization.expires_in == 0 {
            return Err("fhirAuthorization has expired (expires_in = 0)".into());
        }
        let origin = origin_of(&base).ok_or("fhirServer is not an absolute URL")?;
        Ok(Access {
            base,
            origin,
            token: authorization.access_token.clone(),
            scope: authorization.scope.clone(),
        })
    }

    async fn fetch_all(&self, access: &Access, key: &str, url: &str) -> Result<Value, String> {
        let resource_type = url[access.base.len() + 1..]
            .split(['/', '?'])
            .next()
            .unwrap_or_default()
            .to_owned();
        if !scope_allows_read(&access.scope, &resource_type) {
            return Err(format!(
                "fhirAuthorization.scope does not allow reading {resource_type}"
            ));
        }
        let first = self
            .get(access, url)
            .await
            .map_err(|e| format!("{key}: {e}"))?;
        if first["resourceType"] == "OperationOutcome" {
            return Err(format!(
                "{key}: the FHIR server answered with an OperationOutcome"
            ));
        }
        self.follow_pages(access, key, first).await
    }

    async fn follow_pages(
        &self,
        access: &Access,
        key: &str,
        mut bundle: Value,
    ) -> Result<Value, String> {
        let mut pages = 1;
        while let Some(next) = next_link(&bundle) {
            if pages >= self.settings.max_pages
                || entry_count(&bundle) >= self.settings.max_resources
            {
                tracing::warn!(key, pages, "stopped paging at the configured limit");
                break;
            }
            if origin_of(&next).as_deref() != Some(access.origin.as_str()) {
                return Err(format!(
                    "{key}: link[next] points to another server; not followed"
                ));
            }
            let page = self
                .get(access, &next)
                .await
                .map_err(|e| format!("{key}: {e}"))?;
            let entries = page["entry"].as_array().cloned().unwrap_or_default();
            if let Some(all) = bundle["entry"].as_array_mut() {
                all.extend(entries);
            } else {
                bundle["entry"] = Value::Array(entries);
            }
            bundle["link"] = page["link"].clone();
            pages += 1;
        }
        if let Some(entries) = bundle["entry"].as_array_mut() {
            entries.truncate(self.settings.max_resources);
        }
        if let Some(object) = bundle.as_object_mut() {
            // The pages are merged: the result no longer has a next page.
            object.remove("link");
        }
        Ok(bundle)
    }

    async fn get(&self, access: &Access, url: &str) -> Result<Value, String> {
        let semaphore = self.semaphore_for(&access.origin);
        let _permit = semaphore
            .acquire()
            .await
            .map_err(|_| "connection limiter closed".to_string())?;
        let mut response = self
            .http
            .get(url)
            .bearer_auth(&access.token)
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "the FHIR server timed out".to_string()
                } else {
                    "the FHIR server is unreachable".to_string()
                }
            })?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(format!(
                "the FHIR server refused the access token ({status})"
            ));
        }
        if !status.is_success() {
            return Err(format!("the FHIR server answered {status}"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| "the FHIR server's answer broke off".to_string())?
        {
            if body.len() + chunk.len() > self.settings.max_response_bytes {
                return Err(format!(
                    "the FHIR server's answer is over {} bytes",
                    self.settings.max_response_bytes
                ));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body)
            .map_err(|_| "the FHIR server's answer is not JSON".to_string())
    }

    fn semaphore_for(&self, origin: &str) -> Arc<Semaphore> {
        let mut map = self
            .per_host
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(
            map.entry(origin.to_owned()).or_insert_with(|| {
                Arc::new(Semaphore::new(self.settings.max_concurrency_per_host))
            }),
        )
    }
}

struct Access {
    base: String,
    origin: String,
    token: String,
    scope: String,
}

fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == "next")?["url"]
        .as_str()
        .map(str::to_owned)
}

fn entry_count(bundle: &Value) -> usize {
    bundle["entry"].as_array().map_or(0, Vec::len)
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// Whether SMART scopes (v1 `.read`/`.*`, v2 `.r`/`.rs`) allow reading a resource type.
fn scope_allows_read(scope: &str, resource_type: &str) -> bool {
    scope.split_whitespace().any(|s| {
        let Some((context, rest)) = s.split_once('/') else {
            return false;
        };
        if !matches!(context, "user" | "patient" | "system") {
            return false;
        }
        let Some((target, access)) = rest.split_once('.') else {
            return false;
        };
        let type_ok = target == "*" || target == resource_type;
        let access_ok = access == "read"
            || access == "*"
            || (access.contains('r') && access.chars().all(|c| "cruds".contains(c)));
        type_ok && access_ok
    })
}

/// Percent-encodes a path/query component (patient ids are FHIR ids, but never trust input).
fn encode(component: &str) -> String {
    component
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_scopes_v1_and_v2_are_understood() {
        assert!(scope_allows_read(
            "user/Patient.read user/Condition.read",
            "Condition"
        ));
        assert!(scope_allows_read("patient/*.read", "Observation"));
        assert!(scope_allows_read("patient/Observation.rs", "Observation"));
        assert!(!scope_allows_read("user/Patient.read", "Observation"));
        assert!(!scope_allows_read("user/Observation.write", "Observation"));
        assert!(!scope_allows_read("launch openid", "Patient"));
    }

    #[test]
    fn origins_are_scheme_and_authority() {
        assert_eq!(
            origin_of("https://ehr.example.org:8443/fhir/Patient?x=1").as_deref(),
            Some("https://ehr.example.org:8443")
        );
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn patient_ids_are_encoded_in_templates() {
        assert_eq!(encode("abc-1.2"), "abc-1.2");
        assert_eq!(encode("a/b?c"), "a%2Fb%3Fc");
    }
}

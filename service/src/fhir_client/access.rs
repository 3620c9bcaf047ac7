//! Who may be called, with what: the request's `fhirServer` checked against the allow-list and
//! its `fhirAuthorization` turned into a header value that cannot leak through formatting.

use reqwest::header::HeaderValue;

use super::report::FetchFailure;
use super::scope;
use super::settings::FhirSettings;
use super::url::{is_within, origin_of, trim_base};
use crate::wire::request::FhirAuthorization;

/// A checked FHIR server and the means to call it, for one service call only.
#[derive(Debug)]
pub struct FhirAccess {
    /// The allow-listed base URL, without a trailing slash.
    pub base: String,
    /// `scheme://host[:port]` of the base: the per-host concurrency key.
    pub origin: String,
    /// The `Authorization` header value.
    pub authorization: BearerHeader,
    scope: String,
}

/// `Bearer <access_token>` as a header value marked sensitive. It has no `Display`, its `Debug`
/// is redacted and it is never cloned into anything but the header of a call to `base`.
pub struct BearerHeader(HeaderValue);

impl BearerHeader {
    /// The header value, for the `Authorization` header of one call.
    pub fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl std::fmt::Debug for BearerHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerHeader([redacted])")
    }
}

impl FhirAccess {
    /// Checks `fhirServer` and `fhirAuthorization` against the settings and the calling
    /// issuer's own `fhir_servers`. No network.
    pub fn resolve(
        settings: &FhirSettings,
        issuer_servers: &[String],
        server: Option<&str>,
        authorization: Option<&FhirAuthorization>,
    ) -> Result<FhirAccess, FetchFailure> {
        let server = server.ok_or(FetchFailure::NoServer)?;
        let base = trim_base(server);
        if base.starts_with("http://") && !settings.allow_http {
            return Err(FetchFailure::InsecureServer);
        }
        let origin = origin_of(base).ok_or(FetchFailure::ServerNotAllowed)?;
        let allowed = settings
            .allowed_servers
            .iter()
            .chain(issuer_servers)
            .any(|prefix| is_within(base, prefix));
        if !allowed {
            return Err(FetchFailure::ServerNotAllowed);
        }
        let authorization = authorization.ok_or(FetchFailure::NoAuthorization)?;
        if authorization.expires_in == 0 {
            return Err(FetchFailure::TokenExpired);
        }
        let mut header = HeaderValue::try_from(format!("Bearer {}", authorization.access_token))
            .map_err(|_| FetchFailure::UnusableToken)?;
        header.set_sensitive(true);
        Ok(FhirAccess {
            base: base.to_owned(),
            origin,
            authorization: BearerHeader(header),
            scope: authorization.scope.clone(),
        })
    }

    /// Whether the token's scopes allow reading `resource_type`.
    pub fn may_read(&self, resource_type: &str) -> bool {
        scope::allows_read(&self.scope, resource_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorization(expires_in: u64) -> FhirAuthorization {
        FhirAuthorization {
            access_token: "secret-token-123".into(),
            token_type: "Bearer".into(),
            expires_in,
            scope: "user/Patient.read".into(),
            subject: "oms-cds".into(),
            patient: None,
        }
    }

    fn settings() -> FhirSettings {
        FhirSettings {
            allowed_servers: vec!["https://ehr.example.org/fhir/".into()],
            ..FhirSettings::default()
        }
    }

    fn resolve(server: &str, expires_in: u64) -> Result<FhirAccess, FetchFailure> {
        FhirAccess::resolve(
            &settings(),
            &[],
            Some(server),
            Some(&authorization(expires_in)),
        )
    }

    #[test]
    fn an_issuers_own_fhir_servers_extend_the_allow_list_for_its_calls_only() {
        let issuer_servers = vec!["https://other-ehr.example.net/R4".to_owned()];
        let server = Some("https://other-ehr.example.net/R4");
        let token = authorization(300);
        let allowed = FhirAccess::resolve(&settings(), &issuer_servers, server, Some(&token));
        assert_eq!(
            allowed.expect("allowed for this issuer").base,
            "https://other-ehr.example.net/R4"
        );
        let refused = FhirAccess::resolve(&settings(), &[], server, Some(&token));
        assert_eq!(refused.err(), Some(FetchFailure::ServerNotAllowed));
    }

    #[test]
    fn an_allow_listed_server_gets_a_sensitive_bearer_header() {
        let access = resolve("https://ehr.example.org/fhir/", 300).expect("allowed");
        assert_eq!(access.base, "https://ehr.example.org/fhir");
        assert_eq!(access.origin, "https://ehr.example.org");
        let header = access.authorization.header_value();
        assert!(header.is_sensitive());
        assert_eq!(header, "Bearer secret-token-123");
        assert!(!format!("{access:?}").contains("secret-token-123"));
        assert!(access.may_read("Patient"));
        assert!(!access.may_read("Condition"));
    }

    #[test]
    fn servers_off_the_allow_list_are_refused() {
        for server in [
            "https://ehr.example.org/other",
            "https://ehr.example.org/fhirx",
            "https://evil.example/fhir",
            "https://ehr.example.org@evil.example/fhir",
        ] {
            assert_eq!(
                resolve(server, 300).err(),
                Some(FetchFailure::ServerNotAllowed),
                "{server}"
            );
        }
    }

    #[test]
    fn http_is_refused_unless_allowed() {
        assert_eq!(
            resolve("http://ehr.example.org/fhir", 300).err(),
            Some(FetchFailure::InsecureServer)
        );
    }

    #[test]
    fn an_expired_token_is_not_used() {
        assert_eq!(
            resolve("https://ehr.example.org/fhir", 0).err(),
            Some(FetchFailure::TokenExpired)
        );
    }
}

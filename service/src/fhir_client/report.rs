//! What happened to each prefetch key, in words that are safe to show the EHR: they never
//! contain the access token, a URL or a patient id.

use fhir_mapping::PrefetchKey;

/// Why data could not be obtained (in full) from the FHIR server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchFailure {
    /// The request has no `fhirServer`.
    #[error("no fhirServer was given to fetch it from")]
    NoServer,
    /// The request has no `fhirAuthorization`.
    #[error("no fhirAuthorization was given to fetch it with")]
    NoAuthorization,
    /// `fhirServer` is `http` and `[fhir] allow_http` is off.
    #[error("fhirServer uses http, which this service refuses (https only)")]
    InsecureServer,
    /// `fhirServer` is not under any `[fhir] allowed_servers` prefix.
    #[error("fhirServer is not on this service's allow-list ([fhir] allowed_servers)")]
    ServerNotAllowed,
    /// `fhirAuthorization.expires_in` is 0: the token was not sent.
    #[error("fhirAuthorization has expired (expires_in = 0), so it was not used")]
    TokenExpired,
    /// `fhirAuthorization.access_token` has characters an HTTP header cannot carry.
    #[error("fhirAuthorization.access_token cannot be sent in an HTTP header")]
    UnusableToken,
    /// `fhirAuthorization.scope` grants no read access to the resource type.
    #[error("fhirAuthorization.scope does not grant read access to {0}")]
    ScopeDenies(String),
    /// HTTP 401 from the FHIR server.
    #[error("the FHIR server rejected the access token (HTTP 401 Unauthorized)")]
    Unauthorized,
    /// HTTP 403 from the FHIR server.
    #[error("the FHIR server refused access to this data (HTTP 403 Forbidden)")]
    Forbidden,
    /// HTTP 404 from the FHIR server.
    #[error("the FHIR server does not have it (HTTP 404 Not Found)")]
    NotFound,
    /// A 3xx: redirects are never followed, so the token cannot be carried elsewhere.
    #[error("the FHIR server answered with a redirect (HTTP {0}), which is not followed")]
    Redirected(u16),
    /// Any other unsuccessful status.
    #[error("the FHIR server answered HTTP {0}")]
    Status(u16),
    /// A successful status with an OperationOutcome body.
    #[error("the FHIR server answered with an OperationOutcome")]
    OperationOutcome,
    /// The body is not JSON.
    #[error("the FHIR server's answer is not valid JSON")]
    NotJson,
    /// The body is JSON of the wrong resource type.
    #[error("the FHIR server answered with {found} where {expected} was expected")]
    WrongResourceType {
        /// What the query returns (`Bundle` for a search).
        expected: String,
        /// What came back.
        found: String,
    },
    /// The bodies of this key are over `[fhir] max_response_bytes`.
    #[error("the FHIR server's answer is larger than the limit of {0} bytes")]
    TooLarge(usize),
    /// One call took longer than `[fhir] call_timeout_ms`.
    #[error("a call to the FHIR server took longer than {0} ms")]
    CallTimedOut(u64),
    /// The request's deadline (`[fhir] deadline_ms`) passed first.
    #[error("the FHIR server did not answer within the {0} ms deadline")]
    DeadlineExceeded(u64),
    /// No connection could be made (refused, no route, TLS failure, connect timeout).
    #[error("the FHIR server could not be reached")]
    Unreachable,
    /// The connection broke before the whole answer arrived.
    #[error("the connection to the FHIR server broke before its answer was complete")]
    ConnectionBroken,
    /// A `link[next]` outside `fhirServer`: not followed, so the token stays on that server.
    #[error("a link[next] points outside fhirServer, so it was not followed")]
    ForeignNextLink,
    /// More pages than `[fhir] max_pages`.
    #[error("the search has more than {0} pages (the limit)")]
    PageLimit(usize),
    /// More resources than `[fhir] max_resources`.
    #[error("the search has more than {0} resources (the limit)")]
    ResourceLimit(usize),
}

impl FetchFailure {
    /// A short, stable category for logs (`timeout`, `connect`, `status_5xx`, ...): what an
    /// operator filters on, without the numbers the message carries.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchFailure::NoServer => "no_server",
            FetchFailure::NoAuthorization => "no_authorization",
            FetchFailure::InsecureServer => "insecure_server",
            FetchFailure::ServerNotAllowed => "server_not_allowed",
            FetchFailure::TokenExpired => "token_expired",
            FetchFailure::UnusableToken => "unusable_token",
            FetchFailure::ScopeDenies(_) => "scope_denied",
            FetchFailure::Unauthorized => "status_401",
            FetchFailure::Forbidden => "status_403",
            FetchFailure::NotFound => "status_404",
            FetchFailure::Redirected(_) => "redirect",
            FetchFailure::Status(status) if *status >= 500 => "status_5xx",
            FetchFailure::Status(_) => "status_4xx",
            FetchFailure::OperationOutcome => "operation_outcome",
            FetchFailure::NotJson => "not_json",
            FetchFailure::WrongResourceType { .. } => "wrong_resource_type",
            FetchFailure::TooLarge(_) => "too_large",
            FetchFailure::CallTimedOut(_) => "timeout",
            FetchFailure::DeadlineExceeded(_) => "deadline",
            FetchFailure::Unreachable => "connect",
            FetchFailure::ConnectionBroken => "connection_broken",
            FetchFailure::ForeignNextLink => "foreign_next_link",
            FetchFailure::PageLimit(_) => "page_limit",
            FetchFailure::ResourceLimit(_) => "resource_limit",
        }
    }
}

/// How one prefetch key ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// The EHR sent it complete (a resource, or `null` for no data); nothing was fetched.
    Satisfied,
    /// Fetched, or completed by paging, in full from the FHIR server.
    Fetched,
    /// Only part of it was obtained (some pages); the request holds that part.
    Partial(FetchFailure),
    /// Not obtained; the request holds what the EHR sent (nothing, or its OperationOutcome).
    Failed(FetchFailure),
}

/// What happened to each prefetch key of the service's templates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefetchReport {
    /// Outcome per key, in the order settled; one entry per key (see [`PrefetchReport::record`]).
    pub outcomes: Vec<(PrefetchKey, KeyOutcome)>,
}

impl PrefetchReport {
    /// Records the outcome of `key` (the first record of a key wins).
    pub fn record(&mut self, key: PrefetchKey, outcome: KeyOutcome) {
        if self.outcome(key).is_none() {
            self.outcomes.push((key, outcome));
        }
    }

    /// The outcome of `key`, if it was looked at.
    pub fn outcome(&self, key: PrefetchKey) -> Option<&KeyOutcome> {
        self.outcomes
            .iter()
            .find_map(|(k, outcome)| (*k == key).then_some(outcome))
    }

    /// Why `key` is missing or incomplete, if it is.
    pub fn failure(&self, key: PrefetchKey) -> Option<&FetchFailure> {
        match self.outcome(key)? {
            KeyOutcome::Partial(why) | KeyOutcome::Failed(why) => Some(why),
            KeyOutcome::Satisfied | KeyOutcome::Fetched => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_cover_partial_and_failed_keys_only() {
        let mut report = PrefetchReport::default();
        report.record(PrefetchKey::Patient, KeyOutcome::Fetched);
        report.record(
            PrefetchKey::Conditions,
            KeyOutcome::Partial(FetchFailure::PageLimit(10)),
        );
        report.record(
            PrefetchKey::Procedures,
            KeyOutcome::Failed(FetchFailure::Unauthorized),
        );
        report.record(PrefetchKey::Procedures, KeyOutcome::Satisfied);
        assert_eq!(report.failure(PrefetchKey::Patient), None);
        assert_eq!(
            report.failure(PrefetchKey::Conditions),
            Some(&FetchFailure::PageLimit(10))
        );
        assert_eq!(
            report.failure(PrefetchKey::Procedures),
            Some(&FetchFailure::Unauthorized)
        );
        assert_eq!(report.outcomes.len(), 3);
    }

    #[test]
    fn messages_name_401_and_403() {
        assert!(FetchFailure::Unauthorized.to_string().contains("401"));
        assert!(FetchFailure::Forbidden.to_string().contains("403"));
    }
}

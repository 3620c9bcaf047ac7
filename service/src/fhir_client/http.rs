//! One GET to the FHIR server: per-host concurrency, per-call timeout bounded by the request's
//! deadline, no redirects, bounded body, JSON out. Nothing here logs (the URL holds a patient
//! id and the request carries the token).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fhir_mapping::SentResource;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::StatusCode;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};

use super::access::FhirAccess;
use super::report::FetchFailure;
use super::settings::FhirSettings;

/// The media type asked for on every call.
pub const FHIR_JSON: &str = "application/fhir+json";

/// A pooled HTTP client for FHIR servers, shared by all requests of the process.
#[derive(Debug)]
pub struct FhirHttp {
    client: reqwest::Client,
    call_timeout: Duration,
    deadline_ms: u64,
    max_response_bytes: usize,
    max_concurrency_per_host: usize,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A response body, its envelope read (`SentResource`), and its size.
#[derive(Debug)]
pub struct Page {
    /// The JSON body as received, with its envelope.
    pub body: SentResource,
    /// Its length in bytes.
    pub bytes: usize,
}

impl FhirHttp {
    /// A client that never follows redirects and bounds connecting by the call timeout.
    pub fn new(settings: &FhirSettings) -> Result<FhirHttp, reqwest::Error> {
        let call_timeout = Duration::from_millis(settings.call_timeout_ms);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(call_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(settings.max_concurrency_per_host)
            .user_agent(concat!("oms-cds/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(FhirHttp {
            client,
            call_timeout,
            deadline_ms: settings.deadline_ms,
            max_response_bytes: settings.max_response_bytes,
            max_concurrency_per_host: settings.max_concurrency_per_host,
            per_host: Mutex::new(HashMap::new()),
        })
    }

    /// GETs `url` (which the caller has checked lies under `access.base`) and reads at most
    /// `byte_budget` bytes of body, finishing by `deadline` whatever the server does.
    pub async fn get(
        &self,
        access: &FhirAccess,
        url: &str,
        byte_budget: usize,
        deadline: Instant,
    ) -> Result<Page, FetchFailure> {
        let limiter = self.limiter_for(&access.origin);
        let _permit = timeout_at(deadline, limiter.acquire_owned())
            .await
            .map_err(|_| FetchFailure::DeadlineExceeded(self.deadline_ms))?
            .map_err(|_| FetchFailure::Unreachable)?;
        let call_deadline = deadline.min(Instant::now() + self.call_timeout);
        match timeout_at(call_deadline, self.call(access, url, byte_budget)).await {
            Ok(result) => result,
            Err(_) if call_deadline < deadline => Err(FetchFailure::CallTimedOut(
                u64::try_from(self.call_timeout.as_millis()).unwrap_or(u64::MAX),
            )),
            Err(_) => Err(FetchFailure::DeadlineExceeded(self.deadline_ms)),
        }
    }

    async fn call(
        &self,
        access: &FhirAccess,
        url: &str,
        byte_budget: usize,
    ) -> Result<Page, FetchFailure> {
        let mut response = self
            .client
            .get(url)
            .header(AUTHORIZATION, access.authorization.header_value())
            .header(ACCEPT, HeaderValue::from_static(FHIR_JSON))
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    FetchFailure::Unreachable
                } else {
                    FetchFailure::ConnectionBroken
                }
            })?;
        check_status(response.status())?;
        let too_large = FetchFailure::TooLarge(self.max_response_bytes);
        if response
            .content_length()
            .is_some_and(|length| length > byte_budget as u64)
        {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| FetchFailure::ConnectionBroken)?
        {
            if body.len() + chunk.len() > byte_budget {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        let bytes = body.len();
        let text = String::from_utf8(body).map_err(|_| FetchFailure::NotJson)?;
        let json = RawValue::from_string(text).map_err(|_| FetchFailure::NotJson)?;
        Ok(Page {
            body: SentResource::new(json),
            bytes,
        })
    }

    fn limiter_for(&self, origin: &str) -> Arc<Semaphore> {
        // Poisoning cannot leave the map inconsistent (one insert), so keep using it.
        let mut limiters = self
            .per_host
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(
            limiters
                .entry(origin.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.max_concurrency_per_host))),
        )
    }
}

fn check_status(status: StatusCode) -> Result<(), FetchFailure> {
    match status {
        StatusCode::UNAUTHORIZED => Err(FetchFailure::Unauthorized),
        StatusCode::FORBIDDEN => Err(FetchFailure::Forbidden),
        StatusCode::NOT_FOUND => Err(FetchFailure::NotFound),
        status if status.is_redirection() => Err(FetchFailure::Redirected(status.as_u16())),
        status if !status.is_success() => Err(FetchFailure::Status(status.as_u16())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_named_failures() {
        assert_eq!(check_status(StatusCode::OK), Ok(()));
        assert_eq!(
            check_status(StatusCode::UNAUTHORIZED),
            Err(FetchFailure::Unauthorized)
        );
        assert_eq!(
            check_status(StatusCode::FORBIDDEN),
            Err(FetchFailure::Forbidden)
        );
        assert_eq!(
            check_status(StatusCode::NOT_FOUND),
            Err(FetchFailure::NotFound)
        );
        assert_eq!(
            check_status(StatusCode::FOUND),
            Err(FetchFailure::Redirected(302))
        );
        assert_eq!(
            check_status(StatusCode::INTERNAL_SERVER_ERROR),
            Err(FetchFailure::Status(500))
        );
    }

    #[test]
    fn server_errors_and_client_errors_are_told_apart_in_the_log_kind() {
        assert_eq!(FetchFailure::Status(503).kind(), "status_5xx");
        assert_eq!(FetchFailure::Status(429).kind(), "status_4xx");
        assert_eq!(FetchFailure::CallTimedOut(1).kind(), "timeout");
        assert_eq!(FetchFailure::Unreachable.kind(), "connect");
    }
}

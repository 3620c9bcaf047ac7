//! Completing the prefetch from the EHR's FHIR server (CDS Hooks 2.0 section 4): keys that are
//! absent or hold an OperationOutcome are fetched, and searchset Bundles with `link[next]` are
//! paged through, concurrently, within one per-request deadline. Keys that arrive by the
//! deadline are kept; the others are reported with the reason.
//!
//! Security couplings: only servers under the configured allow-list are called (https unless
//! `allow_http`); `link[next]` is followed only under that `fhirServer`; redirects are never
//! followed; the access token goes in the `Authorization` header of these calls and nowhere
//! else (never logged, never stored, never in a failure message).

mod access;
mod http;
mod paging;
mod plan;
mod report;
mod scope;
mod settings;
mod url;

use futures::stream::{FuturesUnordered, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout_at, Instant};

use fhir_mapping::{HookCall, PrefetchKey, PrefetchValue, SentResource};

use crate::catalogue::Catalogue;
use crate::wire::request::ServiceCall;
use access::FhirAccess;
use http::FhirHttp;
use paging::{expect_type, read_remaining_pages, Paged};
use plan::Need;

pub use report::{FetchFailure, KeyOutcome, PrefetchReport};
pub use settings::{FhirSettings, InvalidFhirSettings};

/// The keys of `catalogue` that `call` did not send complete: what [`FhirFetcher::complete`]
/// would fetch or page through. The planning step alone, without a server (for measurements).
pub fn incomplete_keys(catalogue: &Catalogue, call: &HookCall) -> Vec<PrefetchKey> {
    catalogue
        .templates()
        .filter(|(key, _)| plan::need_of(*key, call.prefetch.get(key)).is_some())
        .map(|(key, _)| key)
        .collect()
}

/// Past the deadline, how long the fetches may take to notice it before they are abandoned.
/// Every call already stops at the deadline; this only bounds a task that is slow to be polled.
const ABANDON_AFTER_DEADLINE: Duration = Duration::from_millis(100);

/// Fetches missing prefetch from EHR FHIR servers; one per process (it holds the connection
/// pool and the per-host limits).
#[derive(Debug)]
pub struct FhirFetcher {
    http: FhirHttp,
    settings: FhirSettings,
    /// The prefetch templates the keys are fetched by.
    catalogue: Arc<Catalogue>,
}

/// One key to fetch or complete.
struct Job {
    key: PrefetchKey,
    /// The template with the patient id substituted, relative to `fhirServer`.
    relative: String,
    need: Need,
}

/// One key's result.
struct Resolved {
    key: PrefetchKey,
    outcome: KeyOutcome,
    /// The resource to put into the request's prefetch, when there is one.
    resource: Option<SentResource>,
}

impl FhirFetcher {
    /// A fetcher with its own connection pool (no redirects, connect timeout = call timeout)
    /// that fetches each key by its template in `catalogue`.
    pub fn new(
        settings: FhirSettings,
        catalogue: Arc<Catalogue>,
    ) -> Result<FhirFetcher, reqwest::Error> {
        Ok(FhirFetcher {
            http: FhirHttp::new(&settings)?,
            settings,
            catalogue,
        })
    }

    /// Completes `call.prefetch` in place: fetches absent and OperationOutcome keys and pages
    /// through Bundles with `link[next]`. Returns by the deadline (`[fhir] deadline_ms`) whatever
    /// the server does; the report says how each key of the templates ended up.
    pub async fn complete(
        &self,
        service_call: &mut ServiceCall,
        issuer_servers: &[String],
    ) -> PrefetchReport {
        let ServiceCall {
            call,
            fhir_authorization,
            ..
        } = service_call;
        let started = Instant::now();
        let deadline = started + Duration::from_millis(self.settings.deadline_ms);
        let mut report = PrefetchReport::default();
        let mut jobs = Vec::new();
        for (key, template) in self.catalogue.templates() {
            match plan::need_of(key, call.prefetch.get(&key)) {
                None => report.record(key, KeyOutcome::Satisfied),
                Some(need) => jobs.push(Job {
                    key,
                    relative: url::expand_template(template, &call.patient_id),
                    need,
                }),
            }
        }
        if jobs.is_empty() {
            return report;
        }
        let keys: Vec<PrefetchKey> = jobs.iter().map(|job| job.key).collect();
        // For the failure log lines: the host only, never the path or query.
        let host = call
            .fhir_server
            .as_deref()
            .and_then(url::host_of)
            .unwrap_or_else(|| "none".to_owned());
        let access = match FhirAccess::resolve(
            &self.settings,
            issuer_servers,
            call.fhir_server.as_deref(),
            fhir_authorization.as_ref(),
        ) {
            Ok(access) => access,
            Err(why) => {
                for job in jobs {
                    settle(call, &mut report, &host, not_attempted(job, why.clone()));
                }
                return report;
            }
        };
        let mut running: FuturesUnordered<_> = jobs
            .into_iter()
            .map(|job| self.resolve(&access, job, deadline))
            .collect();
        while let Ok(Some(resolved)) =
            timeout_at(deadline + ABANDON_AFTER_DEADLINE, running.next()).await
        {
            settle(call, &mut report, &host, resolved);
        }
        drop(running);
        for key in keys {
            // No-op for keys already settled: only those abandoned at the deadline remain.
            report.record(
                key,
                KeyOutcome::Failed(FetchFailure::DeadlineExceeded(self.settings.deadline_ms)),
            );
        }
        tracing::info!(
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "prefetch completed from the FHIR server"
        );
        report
    }

    async fn resolve(&self, access: &FhirAccess, job: Job, deadline: Instant) -> Resolved {
        let (resource_type, is_search) = url::target_of(&job.relative);
        let (resource_type, key) = (resource_type.to_owned(), job.key);
        if !access.may_read(&resource_type) {
            return not_attempted(job, FetchFailure::ScopeDenies(resource_type));
        }
        let paged = match job.need {
            Need::MorePages(first) => {
                read_remaining_pages(&self.http, access, &self.settings, first, 0, deadline).await
            }
            Need::Fetch => {
                match self
                    .fetch(access, &job.relative, &resource_type, is_search, deadline)
                    .await
                {
                    Ok(paged) => paged,
                    Err(why) => {
                        return Resolved {
                            key,
                            outcome: KeyOutcome::Failed(why),
                            resource: None,
                        }
                    }
                }
            }
        };
        Resolved {
            key,
            outcome: paged
                .stopped
                .map_or(KeyOutcome::Fetched, KeyOutcome::Partial),
            resource: Some(paged.bundle),
        }
    }

    /// Reads or searches `relative` under the server; a search is paged through.
    async fn fetch(
        &self,
        access: &FhirAccess,
        relative: &str,
        resource_type: &str,
        is_search: bool,
        deadline: Instant,
    ) -> Result<Paged, FetchFailure> {
        let url = format!("{}/{relative}", access.base);
        let page = self
            .http
            .get(access, &url, self.settings.max_response_bytes, deadline)
            .await?;
        if !is_search {
            expect_type(&page.body, resource_type)?;
            return Ok(Paged {
                bundle: page.body,
                stopped: None,
            });
        }
        expect_type(&page.body, "Bundle")?;
        Ok(read_remaining_pages(
            &self.http,
            access,
            &self.settings,
            page.body,
            page.bytes,
            deadline,
        )
        .await)
    }
}

/// A job that could not be attempted: a Bundle sent with more pages keeps its first page.
fn not_attempted(job: Job, why: FetchFailure) -> Resolved {
    match job.need {
        Need::MorePages(first) => Resolved {
            key: job.key,
            outcome: KeyOutcome::Partial(why),
            resource: Some(first.first_page_only()),
        },
        Need::Fetch => Resolved {
            key: job.key,
            outcome: KeyOutcome::Failed(why),
            resource: None,
        },
    }
}

/// Puts a resolved key into the request and the report, and logs it: key, the server's host,
/// the failure's kind and reason (never the token, the path or the query).
fn settle(call: &mut HookCall, report: &mut PrefetchReport, host: &str, resolved: Resolved) {
    let Resolved {
        key,
        outcome,
        resource,
    } = resolved;
    if let Some(resource) = resource {
        call.prefetch.insert(key, PrefetchValue::Resource(resource));
    }
    match &outcome {
        KeyOutcome::Satisfied | KeyOutcome::Fetched => {
            tracing::debug!(
                key = key.code(),
                "prefetch key obtained from the FHIR server"
            );
        }
        KeyOutcome::Partial(why) => {
            tracing::warn!(
                key = key.code(),
                fhir_host = host,
                kind = why.kind(),
                reason = %why,
                "prefetch key only partly obtained"
            );
        }
        KeyOutcome::Failed(why) => {
            tracing::warn!(
                key = key.code(),
                fhir_host = host,
                kind = why.kind(),
                reason = %why,
                "prefetch key could not be obtained"
            );
        }
    }
    report.record(key, outcome);
}

#[cfg(test)]
mod tests;

//! `AppState`: what every handler and middleware can reach. Its own module so that routes and
//! the router depend on it without depending on start-up (which builds it).

use std::sync::Arc;

use crate::auth::{Authenticator, LocalIssuer};
use crate::catalogue::Catalogue;
use crate::config::Settings;
use crate::evaluation::Engine;
use crate::evaluation_pool::EvaluationPool;
use crate::fhir_client::FhirFetcher;
use crate::metrics::Metrics;
use crate::routes::readiness_log::ReadinessLog;
use crate::rulebook::RulebookSite;
use crate::storage::{IssuedCardLog, Store};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// Mapping + rules.
    pub engine: Arc<Engine>,
    /// The threads service calls are evaluated on.
    pub pool: EvaluationPool,
    /// The prefetch templates, built from the engine's terminology.
    pub catalogue: Arc<Catalogue>,
    /// The database.
    pub store: Store,
    /// The issued-cards log queue.
    pub issued_cards: IssuedCardLog,
    /// JWT verification.
    pub authenticator: Arc<Authenticator>,
    /// Fetches prefetch the EHR did not send.
    pub fetcher: Arc<FhirFetcher>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The rulebook pages, rendered with the engine's clinical configuration.
    pub rulebook: Arc<RulebookSite>,
    /// The in-process issuer, in demo mode and tests.
    pub local: Option<LocalTrust>,
    /// The last readiness `/readyz` saw, so only its changes are logged.
    pub readiness: Arc<ReadinessLog>,
}

/// An issuer trusted in code (its key generated in this process), for the demo and tests.
#[derive(Clone)]
pub struct LocalTrust {
    /// The issuer.
    pub issuer: Arc<LocalIssuer>,
    /// Mount `GET /demo/token` (demo mode only: anyone who can reach it gets a token).
    pub serve_tokens: bool,
}

impl std::fmt::Debug for LocalTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTrust")
            .field("issuer", &self.issuer.issuer())
            .finish_non_exhaustive()
    }
}

//! Prometheus metrics: one registry per `Application` (no globals, so tests can run several
//! instances in one process), rendered at `GET /metrics` in the 0.0.4 text format, or in
//! OpenMetrics when the scraper asks for it (`exposition`).
//!
//! Every label set known in advance is created at 0 (`known_labels`), so `increase()` sees the
//! first event on it; `process` adds the standard `process_*` metrics.

mod exposition;
mod known_labels;
mod process;

pub use exposition::Format;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The hook of a service call: its handler attaches it to the response, and the request log
/// reads it there for the request metrics' `hook` label (so neither depends on the other).
#[derive(Debug, Clone, Copy)]
pub struct HookLabel(pub &'static str);

/// Labels of an HTTP request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route template (`/cds-services/{id}`), never a raw path.
    pub route: String,
    /// `order-select`, `order-sign`, or empty for other endpoints.
    pub hook: String,
    /// HTTP status code.
    pub status: u16,
}

/// Labels of a request-duration observation.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The matched route template.
    pub route: String,
    /// The hook, when known.
    pub hook: String,
}

/// Labels of the key-status gauge: the issuer, and which key source (`issuer` for its own
/// `jwks_file` / `jwks_url`, or an allowed `jku` URL).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IssuerKeyLabels {
    /// The issuer's `iss`.
    pub issuer: String,
    /// `issuer`, or the allowed `jku` URL.
    pub source: String,
}

/// Labels of an issued card.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CardLabels {
    /// Topic code.
    pub topic: String,
    /// Indicator.
    pub indicator: String,
}

/// Labels of a prefetch key's fate.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PrefetchLabels {
    /// Prefetch key.
    pub key: String,
    /// `satisfied`, `fetched` or `failed`.
    pub outcome: String,
}

/// Labels of an authentication failure.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AuthFailureLabels {
    /// The reason category (expired, bad_signature, ...).
    pub reason: String,
}

/// Labels of a feedback entry.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FeedbackLabels {
    /// `accepted` or `overridden`.
    pub outcome: String,
    /// The topic of the card, or `unknown` when the card was not issued by this deployment.
    pub topic: String,
}

/// Labels of a storage fault: which storage call failed, and how.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StorageFaultLabels {
    /// `replay`, `feedback`, `issued_cards`, `readiness`, `purge` or `summary`.
    pub operation: String,
    /// `timeout` (no answer in time), `unavailable` (no connection) or `error` (the database
    /// answered with an error).
    pub kind: String,
}

/// Storage faults by operation and kind. The store creates and counts it (every clone of the
/// store shares it); [`Metrics::with_storage_faults`] exports it.
pub type StorageFaultCounters = Family<StorageFaultLabels, Counter>;

/// Labels of a lost issued-cards log entry: why it was not stored.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    /// `queue_full` (dropped before the writer saw it) or `write_failed` (the database
    /// refused or did not answer the batch it was in).
    pub reason: String,
}

/// The two ways an issued-cards log entry is lost; each handle counts into
/// `oms_cds_issued_cards_log_dropped_total` under its `reason`.
#[derive(Debug, Clone, Default)]
pub struct IssuedCardDrops {
    /// The queue to the writer was full.
    pub queue_full: Counter,
    /// The database write of the entry's batch failed.
    pub write_failed: Counter,
}

/// Labels of the connection-pool gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolStateLabels {
    /// `in_use` (lent to a storage call) or `idle` (open, waiting in the pool).
    pub state: String,
}

/// How the database pool's connections are used at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Lent to a storage call.
    pub in_use: u32,
    /// Open and waiting in the pool.
    pub idle: u32,
    /// The most the pool opens (`storage.max_connections`).
    pub max: u32,
}

/// Labels of the build-info gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    /// Crate version.
    pub version: String,
    /// The guideline's name and version.
    pub guideline: String,
}

/// Every metric the service exports.
#[derive(Debug)]
pub struct Metrics {
    /// The root registry: `process_*` here, the service's own metrics under `oms_cds_`.
    registry: Registry,
    /// Requests by route, hook and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Request latency by route and hook.
    pub request_duration: Family<RouteLabels, Histogram>,
    /// Cards issued by topic and indicator.
    pub cards_issued: Family<CardLabels, Counter>,
    /// Service calls answered with no cards.
    pub responses_without_cards: Counter,
    /// Prefetch keys satisfied, fetched or failed.
    pub prefetch_keys: Family<PrefetchLabels, Counter>,
    /// Time spent completing prefetch from FHIR servers.
    pub prefetch_fetch_duration: Histogram,
    /// Authentication failures by reason.
    pub auth_failures: Family<AuthFailureLabels, Counter>,
    /// Feedback by outcome and topic.
    pub feedback: Family<FeedbackLabels, Counter>,
    /// Issued-cards log entries lost, by reason.
    pub issued_cards_dropped: IssuedCardDrops,
    /// Key status per issuer and per allowed `jku` (set at each scrape).
    pub issuer_keys: Family<IssuerKeyLabels, Gauge>,
    /// Client connections open now.
    pub connections_open: Gauge,
    /// Connections refused because `server.max_connections` were open.
    pub connections_refused: Counter,
    /// Service calls refused (503) because the evaluation pool was full.
    pub evaluations_refused: Counter,
    /// Service calls admitted to the evaluation pool and not yet answered (set at each scrape).
    pub evaluations_in_flight: Gauge,
    /// Database pool connections by state (set at each scrape).
    db_connections: Family<PoolStateLabels, Gauge>,
    /// The most connections the database pool opens (set at each scrape).
    db_connections_max: Gauge,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    /// Registers every metric; `guideline` is the guideline label shown on the cards.
    pub fn new(guideline: &str) -> Metrics {
        let mut root = Registry::default();
        root.register_collector(Box::new(process::ProcessCollector));
        let registry = root.sub_registry_with_prefix("oms_cds");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, hook and status",
            requests.clone(),
        );
        let request_duration = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route and hook",
            request_duration.clone(),
        );
        let cards_issued = Family::<CardLabels, Counter>::default();
        registry.register(
            "cards_issued",
            "Cards issued by topic and indicator",
            cards_issued.clone(),
        );
        let responses_without_cards = Counter::default();
        registry.register(
            "responses_without_cards",
            "Service calls answered with no cards",
            responses_without_cards.clone(),
        );
        let prefetch_keys = Family::<PrefetchLabels, Counter>::default();
        registry.register(
            "prefetch_keys",
            "Prefetch keys by outcome (satisfied by the EHR, fetched, failed)",
            prefetch_keys.clone(),
        );
        let prefetch_fetch_duration = latency_histogram();
        registry.register(
            "prefetch_fetch_duration_seconds",
            "Time spent completing prefetch from the EHR's FHIR server",
            prefetch_fetch_duration.clone(),
        );
        let auth_failures = Family::<AuthFailureLabels, Counter>::default();
        registry.register(
            "auth_failures",
            "Rejected JWTs by reason",
            auth_failures.clone(),
        );
        let feedback = Family::<FeedbackLabels, Counter>::default();
        registry.register(
            "feedback",
            "Feedback entries by outcome and topic",
            feedback.clone(),
        );
        let dropped = Family::<DropLabels, Counter>::default();
        registry.register(
            "issued_cards_log_dropped",
            "Issued-cards log entries lost, by reason (queue_full: the queue to the writer was \
             full; write_failed: the database refused or did not answer the entry's batch)",
            dropped.clone(),
        );
        let drop_reason = |reason: &str| {
            dropped
                .get_or_create(&DropLabels {
                    reason: reason.to_owned(),
                })
                .clone()
        };
        let issued_cards_dropped = IssuedCardDrops {
            queue_full: drop_reason("queue_full"),
            write_failed: drop_reason("write_failed"),
        };
        let issuer_keys = Family::<IssuerKeyLabels, Gauge>::default();
        registry.register(
            "issuer_keys_usable",
            "Whether each trusted issuer's keys (and each allowed jku's) are usable: 1, or 0 when \
             they never loaded or the host is unreachable (readiness does not depend on a jku)",
            issuer_keys.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "connections_open",
            "Client connections open now",
            connections_open.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections answered 503 and closed because server.max_connections were open",
            connections_refused.clone(),
        );
        let evaluations_refused = Counter::default();
        registry.register(
            "evaluations_refused",
            "Service calls answered 503 because every evaluation worker was busy and the queue \
             was full",
            evaluations_refused.clone(),
        );
        let evaluations_in_flight = Gauge::default();
        registry.register(
            "evaluations_in_flight",
            "Service calls admitted to the evaluation pool and not yet answered",
            evaluations_in_flight.clone(),
        );
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                guideline: guideline.to_owned(),
            })
            .set(1);
        registry.register(
            "build_info",
            "Version of the service and of the guideline it implements",
            build_info,
        );
        let db_connections = Family::<PoolStateLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections by state (in_use: lent to a storage call; idle: open and \
             waiting)",
            db_connections.clone(),
        );
        let db_connections_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most connections the database pool opens (storage.max_connections)",
            db_connections_max.clone(),
        );
        let metrics = Metrics {
            registry: root,
            requests,
            request_duration,
            cards_issued,
            responses_without_cards,
            prefetch_keys,
            prefetch_fetch_duration,
            auth_failures,
            feedback,
            issued_cards_dropped,
            issuer_keys,
            connections_open,
            connections_refused,
            evaluations_refused,
            evaluations_in_flight,
            db_connections,
            db_connections_max,
        };
        known_labels::initialise(&metrics);
        metrics
    }

    /// Exports the store's fault counters as `oms_cds_storage_faults_total`.
    pub fn with_storage_faults(mut self, faults: &StorageFaultCounters) -> Metrics {
        self.registry.sub_registry_with_prefix("oms_cds").register(
            "storage_faults",
            "Storage calls that failed, by operation (replay, feedback, issued_cards, readiness, \
             purge, summary) and kind (timeout: no answer in time; unavailable: no connection; \
             error: the database answered with an error)",
            faults.clone(),
        );
        self
    }

    /// Records the database pool's state (called at each scrape).
    pub fn set_pool_usage(&self, usage: PoolUsage) {
        let set = |state: &str, value: u32| {
            self.db_connections
                .get_or_create(&PoolStateLabels {
                    state: state.to_owned(),
                })
                .set(i64::from(value));
        };
        set("in_use", usage.in_use);
        set("idle", usage.idle);
        self.db_connections_max.set(i64::from(usage.max));
    }

    /// The exposition in `format`.
    pub fn render(&self, format: Format) -> String {
        let mut openmetrics = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut openmetrics, &self.registry);
        match format {
            Format::OpenMetrics => openmetrics,
            Format::Text004 => exposition::openmetrics_to_text_004(&openmetrics),
        }
    }
}

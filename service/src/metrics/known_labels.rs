//! Creates, at 0, every label set the code can emit that is known before the first request.
//! A series that appears only with its first event hides that event from `increase()` and
//! `rate()` (they need two samples), so the first 503 or the first expired token would not
//! alert. Label sets that depend on configuration (issuers) or on the client (HTTP statuses
//! other than the service call's 200/500/503) still appear on first use.

use cards::{Indicator, Topic};
use fhir_mapping::{Hook, PrefetchKey};

use super::{
    AuthFailureLabels, CardLabels, FeedbackLabels, Metrics, PrefetchLabels, RequestLabels,
    RouteLabels,
};
use crate::auth::AuthError;
use crate::wire::feedback::OutcomeKind;

/// The service-call route template, as the request log labels it.
pub const SERVICE_CALL_ROUTE: &str = "/cds-services/{id}";

/// Statuses a service call is answered with that dashboards and alerts key on.
const SERVICE_CALL_STATUSES: [u16; 3] = [200, 500, 503];

const INDICATORS: [Indicator; 3] = [Indicator::Info, Indicator::Warning, Indicator::Critical];

/// Every outcome `record_prefetch_metrics` reports.
pub const PREFETCH_OUTCOMES: [&str; 4] = ["satisfied", "fetched", "partial", "failed"];

/// The feedback topic of a card this deployment has no record of.
const UNKNOWN_TOPIC: &str = "unknown";

/// Creates the known label sets of `metrics` at 0.
pub fn initialise(metrics: &Metrics) {
    for hook in Hook::ALL {
        let route_labels = RouteLabels {
            route: SERVICE_CALL_ROUTE.to_owned(),
            hook: hook.code().to_owned(),
        };
        // A histogram with no observation: its `_count` and buckets show 0.
        let _ = metrics.request_duration.get_or_create(&route_labels);
        for status in SERVICE_CALL_STATUSES {
            metrics
                .requests
                .get_or_create(&RequestLabels {
                    route: SERVICE_CALL_ROUTE.to_owned(),
                    hook: hook.code().to_owned(),
                    status,
                })
                .inc_by(0);
        }
    }
    for topic in Topic::ALL {
        for indicator in INDICATORS {
            metrics
                .cards_issued
                .get_or_create(&CardLabels {
                    topic: topic.code().to_owned(),
                    indicator: indicator.code().to_owned(),
                })
                .inc_by(0);
        }
    }
    for key in PrefetchKey::ALL {
        for outcome in PREFETCH_OUTCOMES {
            metrics
                .prefetch_keys
                .get_or_create(&PrefetchLabels {
                    key: key.code().to_owned(),
                    outcome: outcome.to_owned(),
                })
                .inc_by(0);
        }
    }
    for reason in AuthError::REASONS {
        metrics
            .auth_failures
            .get_or_create(&AuthFailureLabels {
                reason: reason.to_owned(),
            })
            .inc_by(0);
    }
    let feedback_topics = Topic::ALL.iter().map(|t| t.code()).chain([UNKNOWN_TOPIC]);
    for topic in feedback_topics {
        for outcome in OutcomeKind::ALL {
            metrics
                .feedback
                .get_or_create(&FeedbackLabels {
                    outcome: outcome.code().to_owned(),
                    topic: topic.to_owned(),
                })
                .inc_by(0);
        }
    }
}

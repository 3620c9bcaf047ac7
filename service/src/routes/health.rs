//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::metrics::Format;
use crate::routes::readiness_log::Readiness;
use crate::state::AppState;

/// `GET /metrics`: the Prometheus 0.0.4 text format, or OpenMetrics when the scraper's
/// `Accept` asks for it.
pub async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> impl axum::response::IntoResponse {
    if state.settings.auth.required {
        record_key_status(&state).await;
    }
    let in_flight = i64::try_from(state.pool.in_use()).unwrap_or(i64::MAX);
    state.metrics.evaluations_in_flight.set(in_flight);
    state.metrics.set_pool_usage(state.store.pool_usage());
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let format = Format::negotiate(accept);
    (
        [(axum::http::header::CONTENT_TYPE, format.content_type())],
        state.metrics.render(format),
    )
}

/// Sets the key-status gauge from the authenticator, so an unreachable `jku` host or a failing
/// refresh shows in metrics as well as in `/readyz`.
async fn record_key_status(state: &AppState) {
    use crate::auth::KeyStatus;
    use crate::metrics::IssuerKeyLabels;
    let usable = |keys: &KeyStatus| i64::from(!matches!(keys, KeyStatus::Unavailable { .. }));
    for issuer in state.authenticator.key_status().await {
        state
            .metrics
            .issuer_keys
            .get_or_create(&IssuerKeyLabels {
                issuer: issuer.iss.clone(),
                source: "issuer".to_owned(),
            })
            .set(i64::from(issuer.ready));
        for jku in &issuer.jku {
            state
                .metrics
                .issuer_keys
                .get_or_create(&IssuerKeyLabels {
                    issuer: issuer.iss.clone(),
                    source: jku.url.clone(),
                })
                .set(usable(&jku.keys));
        }
    }
}

/// `GET /healthz`: the process is up. Cheap on purpose: it touches nothing.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: storage answers and, when authentication is required, every issuer has
/// usable keys (pinned, or fetched and cached). The body lists each issuer's key status so an
/// operator sees which EHR is the problem; it holds `iss` values and URLs, no key material.
///
/// The database ping is bounded by `storage.query_timeout_ms`, and runs alongside the key
/// check, so an unreachable database makes the probe fail promptly rather than hang.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let keys = async {
        if state.settings.auth.required {
            state.authenticator.key_status().await
        } else {
            Vec::new()
        }
    };
    let (storage, issuers) = tokio::join!(state.store.ping(), keys);
    let storage_ok = storage.is_ok();
    let keys_ok = issuers.iter().all(|issuer| issuer.ready);
    state.readiness.observe(Readiness {
        storage_ok,
        keys_ok,
    });
    let status = if storage_ok && keys_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    (
        status,
        Json(json!({
            "storage": word(storage_ok),
            "keys": word(keys_ok),
            "issuers": issuers,
        })),
    )
}

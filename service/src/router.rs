//! Every route and the whole middleware stack, in one place.

mod body_guard;
mod known_service;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

use crate::auth;
use crate::auth::AuthFailureReason;
use crate::config::CorsSettings;
use crate::error::{ApiError, InternalErrorDetail};
use crate::metrics::{AuthFailureLabels, HookLabel, Metrics, RequestLabels, RouteLabels};
use crate::routes::query::Query;
use crate::routes::{admin, discovery, fallback, feedback, guideline, health, service_call};
use crate::state::AppState;

/// Builds the application: routes, authentication, panic guard, CORS and the request log.
pub fn router(state: AppState) -> Router {
    let authenticated = Router::new()
        .route("/cds-services", get(discovery::discovery))
        .route("/cds-services/{id}", post(service_call::service_call))
        .route("/cds-services/{id}/feedback", post(feedback::feedback))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state.authenticator),
            auth::require,
        ))
        // Outside authentication, so an unknown id is answered before anything logs the path.
        .route_layer(middleware::from_fn(known_service::require_known_service));
    let demo = if state.local.as_ref().is_some_and(|l| l.serve_tokens) {
        Router::new().route("/demo/token", get(demo_token))
    } else {
        Router::new()
    };
    Router::new()
        .merge(authenticated)
        .merge(demo)
        // The rulebook is public: rules and configured numbers only, no patient data.
        .route("/guideline", get(guideline::index))
        .route("/guideline/{topic}", get(guideline::topic))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/admin/feedback/summary", get(admin::feedback_summary))
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            state.settings.max_body_bytes,
            body_guard::refuse_unreadable_bodies,
        ))
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(cors(&state.settings.cors))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

fn cors(settings: &CorsSettings) -> CorsLayer {
    let origins = if settings.allowed_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        // Validated at start-up: every entry parses as a header value.
        AllowOrigin::list(
            settings
                .allowed_origins
                .iter()
                .filter_map(|o| o.parse::<HeaderValue>().ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(std::time::Duration::from_secs(600))
}

/// A panic in a handler becomes a 500 OperationOutcome; the process keeps serving.
fn answer_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    ApiError::Internal(anyhow::anyhow!("handler panicked: {message}")).into_response()
}

/// One log line per request: method, route, status, latency and, when known, the service id
/// and the hookInstance. Never bodies, tokens or patient identifiers, so never the raw path (a
/// client may put anything in it): the route template (`/cds-services/{id}`), or `unmatched`,
/// and the service id only once the catalogue knows it (`known_service`).
async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        %method,
        route,
        service_id = tracing::field::Empty,
        hook_instance = tracing::field::Empty
    );
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    let elapsed = started.elapsed();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let hook = response
        .extensions()
        .get::<HookLabel>()
        .map_or("", |h| h.0)
        .to_owned();
    // Probes come every few seconds: their lines would drown the rest, and readiness logs
    // its own changes (`readiness_log`).
    let is_probe = PROBE_ROUTES.contains(&route.as_str());
    record_request_metrics(&state.metrics, route, hook, status, elapsed);
    if let Some(reason) = response.extensions().get::<AuthFailureReason>() {
        state
            .metrics
            .auth_failures
            .get_or_create(&AuthFailureLabels {
                reason: reason.0.to_owned(),
            })
            .inc();
    }
    let _entered = span.enter();
    if is_probe {
        tracing::debug!(status = status.as_u16(), latency_ms, "probe answered");
    } else if let Some(InternalErrorDetail(detail)) =
        response.extensions().get::<InternalErrorDetail>()
    {
        tracing::error!(
            status = status.as_u16(),
            latency_ms,
            error = detail.as_str(),
            "request failed"
        );
    } else if status.is_server_error() {
        tracing::error!(status = status.as_u16(), latency_ms, "request failed");
    } else if status == StatusCode::UNAUTHORIZED || status.is_client_error() {
        tracing::warn!(status = status.as_u16(), latency_ms, "request rejected");
    } else {
        tracing::info!(status = status.as_u16(), latency_ms, "request served");
    }
    response
}

/// Routes of the orchestrator's liveness and readiness probes.
const PROBE_ROUTES: [&str; 2] = ["/healthz", "/readyz"];

/// Query of `GET /demo/token`.
#[derive(Debug, serde::Deserialize)]
struct TokenQuery {
    aud: String,
}

/// `GET /demo/token?aud=URL`: a token from the demo's in-memory key (demo mode only).
async fn demo_token(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
) -> Result<String, ApiError> {
    let local = state.local.as_ref().ok_or(ApiError::UnknownRoute)?;
    local
        .issuer
        .mint(&query.aud)
        .map_err(|e| ApiError::Internal(e.into()))
}

fn record_request_metrics(
    metrics: &Metrics,
    route: String,
    hook: String,
    status: StatusCode,
    elapsed: std::time::Duration,
) {
    metrics
        .request_duration
        .get_or_create(&RouteLabels {
            route: route.clone(),
            hook: hook.clone(),
        })
        .observe(elapsed.as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            hook,
            status: status.as_u16(),
        })
        .inc();
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn panicking_handler() -> &'static str {
        panic!("a bug")
    }

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_with_an_operation_outcome() {
        let app: Router = Router::new()
            .route("/boom", get(panicking_handler))
            .layer(CatchPanicLayer::custom(answer_panic));
        let request = axum::http::Request::get("/boom")
            .body(Body::empty())
            .expect("request");
        let response = app
            .oneshot(request)
            .await
            .expect("the service keeps serving");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let detail = response.extensions().get::<InternalErrorDetail>().cloned();
        assert!(
            detail.is_some_and(|d| d.0.contains("a bug")),
            "the cause reaches the log line"
        );
        let body = to_bytes(response.into_body(), 4096).await.expect("body");
        let outcome: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        assert_eq!(
            outcome["issue"][0]["diagnostics"], "internal error",
            "no detail leaks"
        );
    }
}

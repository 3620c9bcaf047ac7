//! `ApiError`: every way a request can fail, and the one place that renders it as an HTTP status
//! with a FHIR OperationOutcome body.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::evaluation::EvaluationError;
use crate::storage::StorageError;
use crate::wire::feedback::InvalidFeedback;
use crate::wire::operation_outcome::OperationOutcome;
use crate::wire::request::InvalidHookCall;
use fhir_mapping::MappingError;

/// A failed request. Each variant's doc names its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not valid JSON or breaks a rule of the spec.
    #[error(transparent)]
    InvalidHookCall(#[from] InvalidHookCall),
    /// 400: the feedback body is invalid.
    #[error(transparent)]
    InvalidFeedback(#[from] InvalidFeedback),
    /// 400: a query parameter is invalid.
    #[error("{0}")]
    InvalidQuery(String),
    /// 400: the request cannot be read as FHIR where it must be.
    #[error("{0}")]
    UnreadableFhir(String),
    /// 404: no service with this id (the id is not repeated: it may be anything a client put in
    /// the path, a patient id included).
    #[error("no CDS service with this id; GET /cds-services lists the services")]
    UnknownService,
    /// 404: no such route.
    #[error("no such endpoint; GET /cds-services lists the services")]
    UnknownRoute,
    /// 405: the route exists but not for this method.
    #[error("method not allowed on this endpoint")]
    MethodNotAllowed,
    /// 408: the body did not arrive within `server.body_read_timeout_ms`.
    #[error("the request body did not arrive within {limit_ms} ms")]
    BodyTimeout {
        /// The configured limit.
        limit_ms: u64,
    },
    /// 413: more FHIR resources than `[mapping] max_resources`.
    #[error("{0}")]
    TooManyResources(String),
    /// 413: the body is over the configured limit.
    #[error("the request body is larger than the limit of {limit_bytes} bytes")]
    PayloadTooLarge {
        /// The configured limit.
        limit_bytes: usize,
    },
    /// 415: the body is not JSON.
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// 415: the body is compressed or otherwise encoded. Encoded bodies are never decoded (a
    /// decompression bomb risk; EHRs do not compress CDS Hooks calls).
    #[error(
        "the request body has Content-Encoding {encoding}; this service accepts only \
         identity-encoded JSON: send the body uncompressed, without Content-Encoding"
    )]
    UnsupportedContentEncoding {
        /// The encoding, quoted, or a description when it cannot be repeated.
        encoding: String,
    },
    /// 412: data the service needs is neither in the prefetch nor obtainable from the FHIR server.
    #[error("{0}")]
    MissingRequiredData(String),
    /// 503 with `Retry-After`: every evaluation worker is busy and the queue is full.
    #[error(transparent)]
    Saturated(#[from] crate::evaluation_pool::Saturated),
    /// 503 with `Retry-After`: a storage call failed or timed out; nothing was acknowledged, so
    /// the same request may be sent again.
    #[error("the service cannot reach its database right now; retry shortly")]
    StorageUnavailable(#[source] StorageError),
    /// 503 with `Retry-After`: the token's replay check could not answer, so the token can be
    /// neither trusted nor refused. Not a 401: the token may well be good.
    #[error("the service cannot check tokens right now; retry shortly with a new token")]
    ReplayCheckUnavailable(String),
    /// 500: a bug or an unexpected failure; details are logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidHookCall(_)
            | ApiError::InvalidFeedback(_)
            | ApiError::InvalidQuery(_)
            | ApiError::UnreadableFhir(_) => StatusCode::BAD_REQUEST,
            ApiError::UnknownService | ApiError::UnknownRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge { .. } | ApiError::TooManyResources(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType | ApiError::UnsupportedContentEncoding { .. } => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::MissingRequiredData(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Saturated(_)
            | ApiError::StorageUnavailable(_)
            | ApiError::ReplayCheckUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The OperationOutcome body that tells the caller what went wrong.
    pub fn operation_outcome(&self) -> OperationOutcome {
        OperationOutcome::error(self.issue_code(), self.to_string())
    }

    /// For a fault that passes (every 503), when to try again: a moment's overload clears in
    /// a second; a database restart or failover needs `RETRY_AFTER_SECS`.
    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            ApiError::Saturated(_) => Some(1),
            ApiError::StorageUnavailable(_) | ApiError::ReplayCheckUnavailable(_) => {
                Some(RETRY_AFTER_SECS)
            }
            _ => None,
        }
    }

    /// The FHIR `issue-type` code of this error.
    fn issue_code(&self) -> &'static str {
        match self {
            ApiError::InvalidHookCall(_)
            | ApiError::InvalidFeedback(_)
            | ApiError::InvalidQuery(_) => "invalid",
            ApiError::UnreadableFhir(_) => "structure",
            ApiError::UnknownService | ApiError::UnknownRoute => "not-found",
            ApiError::MethodNotAllowed
            | ApiError::UnsupportedMediaType
            | ApiError::UnsupportedContentEncoding { .. } => "not-supported",
            ApiError::PayloadTooLarge { .. } | ApiError::TooManyResources(_) => "too-costly",
            ApiError::BodyTimeout { .. } => "timeout",
            ApiError::MissingRequiredData(_) => "incomplete",
            ApiError::Saturated(_)
            | ApiError::StorageUnavailable(_)
            | ApiError::ReplayCheckUnavailable(_) => "transient",
            ApiError::Internal(_) => "exception",
        }
    }
}

/// The evaluation's failures: 412 `incomplete` for missing required data and for a prefetched
/// Patient that is not the patient in context (the data is unusable: deliberately the "data
/// unobtainable" status), 400 `structure` for unreadable FHIR.
impl From<EvaluationError> for ApiError {
    fn from(error: EvaluationError) -> Self {
        let message = error.to_string();
        match error {
            EvaluationError::RequiredPrefetchMissing { .. }
            | EvaluationError::UnreadableFhir(MappingError::PatientMismatch) => {
                ApiError::MissingRequiredData(message)
            }
            EvaluationError::UnreadableFhir(MappingError::TooManyResources { .. }) => {
                ApiError::TooManyResources(message)
            }
            EvaluationError::UnreadableFhir(_) => ApiError::UnreadableFhir(message),
        }
    }
}

/// Seconds a `503` asks the client to wait before trying again (`Retry-After`): long enough
/// for a database restart or failover to make progress, short enough that feedback and calls
/// resume promptly.
pub const RETRY_AFTER_SECS: u32 = 2;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = self.operation_outcome();
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if matches!(self, ApiError::BodyTimeout { .. }) {
            // The rest of the body may still be on its way: this connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        // 5xx causes are logged where the response is finished (the request log line),
        // carried there through this extension so `IntoResponse` itself never logs.
        let detail = match self {
            ApiError::Internal(source) => Some(format!("{source:#}")),
            ApiError::StorageUnavailable(source) => {
                Some(format!("{:#}", anyhow::Error::new(source)))
            }
            ApiError::ReplayCheckUnavailable(cause) => Some(cause),
            _ => None,
        };
        if let Some(detail) = detail {
            response
                .extensions_mut()
                .insert(InternalErrorDetail(detail));
        }
        response
    }
}

/// The cause of a 5xx, kept out of the body and written to the request log line.
#[derive(Debug, Clone)]
pub struct InternalErrorDetail(pub String);

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn outcome(error: &ApiError) -> Value {
        serde_json::to_value(error.operation_outcome()).expect("an OperationOutcome serialises")
    }

    #[test]
    fn missing_required_prefetch_is_412_incomplete_with_the_keys_named() {
        let error = ApiError::from(EvaluationError::RequiredPrefetchMissing {
            missing: vec![
                "`patient` (not sent; no fhirServer was given to fetch it from)".into(),
                "`conditions` (not sent; no fhirServer was given to fetch it from)".into(),
            ],
        });
        assert_eq!(error.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(
            outcome(&error)["issue"][0],
            json!({
                "severity": "error",
                "code": "incomplete",
                "diagnostics": "the service cannot decide without `patient` (not sent; no \
                    fhirServer was given to fetch it from) and `conditions` (not sent; no \
                    fhirServer was given to fetch it from); send the prefetch keys listed at GET \
                    /cds-services, or a fhirServer with fhirAuthorization it may read them from"
            })
        );
    }

    #[test]
    fn draft_orders_that_are_not_a_bundle_are_400_structure() {
        let mapping = MappingError::DraftOrdersNotABundle("expected a Bundle".into());
        let expected = mapping.to_string();
        let error = ApiError::from(EvaluationError::from(mapping));
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let issue = &outcome(&error)["issue"][0];
        assert_eq!(issue["code"], "structure");
        assert_eq!(issue["diagnostics"], expected);
    }

    #[test]
    fn a_storage_fault_is_503_transient_with_retry_after_and_its_cause_for_the_log() {
        let fault = StorageError::TimedOut {
            operation: crate::storage::Operation::Feedback,
            after: std::time::Duration::from_millis(800),
        };
        let error = ApiError::StorageUnavailable(fault);
        assert_eq!(outcome(&error)["issue"][0]["code"], "transient");
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let detail = response.extensions().get::<InternalErrorDetail>().cloned();
        assert_eq!(
            detail.map(|d| d.0).as_deref(),
            Some("the feedback storage call timed out after 800 ms")
        );
    }

    #[test]
    fn an_unanswered_replay_check_is_503_not_401() {
        let error = ApiError::ReplayCheckUnavailable("replay store failed".into());
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        let response = error.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    #[test]
    fn other_errors_carry_no_retry_after() {
        let response = ApiError::UnknownRoute.into_response();
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
    }
}

//! `JsonBody`: the raw body of a JSON request, with the size limit, the content type and the
//! read deadline checked, each failure answered with an OperationOutcome (413, 415, 408).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON body within the configured size limit.
#[derive(Debug)]
pub struct JsonBody(pub Bytes);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit_bytes = state.settings.max_body_bytes;
        let deadline = state.settings.server.body_read_timeout();
        let bytes = tokio::time::timeout(deadline, Bytes::from_request(request, state))
            .await
            .map_err(|_elapsed| ApiError::BodyTimeout {
                limit_ms: state.settings.server.body_read_timeout_ms,
            })?
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge { limit_bytes }
                } else {
                    ApiError::InvalidHookCall(crate::wire::request::InvalidHookCall::malformed(
                        rejection.body_text(),
                    ))
                }
            })?;
        Ok(JsonBody(bytes))
    }
}

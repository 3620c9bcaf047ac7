//! `POST /cds-services/{id}/feedback`: validated, stored durably, then acknowledged.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::catalogue;
use crate::error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::startup::AppState;
use crate::wire::feedback::parse_feedback;

/// Stores the feedback batch; 200 only once it is committed.
pub async fn feedback(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    if catalogue::hooks_of(&service_id).is_none() {
        return Err(ApiError::UnknownService(service_id));
    }
    let batch = parse_feedback(&body)?;
    state
        .store
        .record_feedback(&service_id, &batch)
        .await
        .map_err(ApiError::StorageUnavailable)?;
    Ok(Json(json!({})))
}

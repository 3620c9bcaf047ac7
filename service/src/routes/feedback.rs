//! `POST /cds-services/{id}/feedback`: validated, stored durably, then acknowledged.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::catalogue;
use crate::error::ApiError;
use crate::metrics::FeedbackLabels;
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::wire::feedback::{parse_feedback, Feedback};

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
    count_feedback(&state, &batch).await;
    Ok(Json(json!({})))
}

/// Counts feedback by outcome and the topic of the card it is about (looked up in the
/// issued-cards log; `unknown` when the card is not there, e.g. not yet written).
async fn count_feedback(state: &AppState, batch: &[Feedback]) {
    for entry in batch {
        let topic = match state.store.issued_card_topic(&entry.card).await {
            Ok(Some(topic)) => topic,
            Ok(None) | Err(_) => "unknown".to_owned(),
        };
        state
            .metrics
            .feedback
            .get_or_create(&FeedbackLabels {
                outcome: entry.outcome.code().to_owned(),
                topic,
            })
            .inc();
    }
}

//! `POST /cds-services/{id}/feedback`: validated, stored durably, then acknowledged.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::catalogue::{self, ServiceRoute};
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
    let route = ServiceRoute::of(&service_id).ok_or(ApiError::UnknownService)?;
    let batch = parse_feedback(&body)?;
    let mut attributed = Vec::with_capacity(batch.len());
    for entry in &batch {
        let attributed_to = match route {
            ServiceRoute::Listed(hook) => catalogue::service_id_for(hook),
            ServiceRoute::LegacyAlias => {
                catalogue::warn_legacy_alias_used();
                alias_attribution(&state, entry).await
            }
        };
        attributed.push((attributed_to, entry));
    }
    state
        .store
        .record_attributed_feedback(&attributed)
        .await
        .map_err(ApiError::StorageUnavailable)?;
    count_feedback(&state, &batch).await;
    Ok(Json(json!({})))
}

/// The id feedback posted to the deprecated alias is stored under: the listed id of the hook the
/// card was shown for, so the alias does not blur per-hook governance counts. A card not (yet) in
/// the issued-cards log stays under the alias: its hook is unknown, and guessing would be worse.
async fn alias_attribution(state: &AppState, entry: &Feedback) -> &'static str {
    match state.store.issued_card_hook(&entry.card).await {
        Ok(Some(hook)) => catalogue::service_id_for(hook),
        Ok(None) => catalogue::LEGACY_ALIAS_ID,
        Err(error) => {
            tracing::warn!(
                error = format!("{error:#}"),
                "cannot read a card's hook; feedback stays under the deprecated id"
            );
            catalogue::LEGACY_ALIAS_ID
        }
    }
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

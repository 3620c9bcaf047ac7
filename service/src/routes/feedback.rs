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

/// Stores the feedback batch; 200 only once it is committed. A storage fault (or a deadline
/// reached before the commit was confirmed) is a 503 with `Retry-After`: nothing is
/// acknowledged that is not stored, and a retry of a batch that did commit stores nothing twice.
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
                alias_attribution(&state, entry).await?
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
/// When the log cannot be read the batch is refused (503): the write would meet the same
/// database, and a retry attributes it properly.
async fn alias_attribution(state: &AppState, entry: &Feedback) -> Result<&'static str, ApiError> {
    match state.store.issued_card_hook(&entry.card).await {
        Ok(Some(hook)) => Ok(catalogue::service_id_for(hook)),
        Ok(None) => Ok(catalogue::LEGACY_ALIAS_ID),
        Err(error) => Err(ApiError::StorageUnavailable(error)),
    }
}

/// Counts feedback by outcome and the topic of the card it is about (looked up in the
/// issued-cards log; `unknown` when the card is not there, e.g. not yet written). The feedback
/// is already stored: after one failed lookup the rest are `unknown` too, so a database that
/// fails right now delays the acknowledgement by one deadline at most.
async fn count_feedback(state: &AppState, batch: &[Feedback]) {
    let mut lookups_work = true;
    for entry in batch {
        let topic = if lookups_work {
            match state.store.issued_card_topic(&entry.card).await {
                Ok(Some(topic)) => Some(topic),
                Ok(None) => None,
                Err(_) => {
                    lookups_work = false;
                    None
                }
            }
        } else {
            None
        };
        state
            .metrics
            .feedback
            .get_or_create(&FeedbackLabels {
                outcome: entry.outcome.code().to_owned(),
                topic: topic.unwrap_or_else(|| "unknown".to_owned()),
            })
            .inc();
    }
}

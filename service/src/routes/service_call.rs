//! `POST /cds-services/{id}`: route on the id, then on the request's hook.

use axum::extract::{Path, State};
use axum::Json;

use crate::catalogue;
use crate::error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::startup::AppState;
use crate::storage::{now_ms, IssuedCard};
use crate::wire::request::{hook_name, parse_hook_call};
use crate::wire::response::CdsResponse;

/// Evaluates the call and answers with cards (possibly none).
pub async fn service_call(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<CdsResponse>, ApiError> {
    let hooks = catalogue::hooks_of(&service_id)
        .ok_or_else(|| ApiError::UnknownService(service_id.clone()))?;
    let mut call = parse_hook_call(&body, hooks)?;
    tracing::Span::current().record("hook_instance", call.hook_instance.as_str());
    let report = state.fetcher.complete(&mut call).await;
    let today = time::OffsetDateTime::now_utc().date();
    let cards = state.engine.evaluate(&call, today, &report)?;

    let issued_at_ms = now_ms();
    state.issued_cards.record(
        cards
            .iter()
            .map(|card| IssuedCard {
                card_uuid: card.uuid.to_string(),
                service_id: service_id.clone(),
                hook: hook_name(call.hook),
                hook_instance: call.hook_instance.clone(),
                topic: card.topic.code(),
                indicator: card.indicator.code(),
                issued_at_ms,
            })
            .collect(),
    );
    Ok(Json(CdsResponse::from_cards(&cards)))
}

//! `POST /cds-services/{id}`: route on the id, then check the request's hook is the id's.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cards::Card;

use crate::auth::VerifiedClaims;
use crate::card_ids::UuidSource;
use crate::catalogue::{self, ServiceRoute};
use crate::error::ApiError;
use crate::fhir_client::{KeyOutcome, PrefetchReport};
use crate::identifiers::{CardUuid, HookInstance};
use crate::metrics::{CardLabels, HookLabel, Metrics, PrefetchLabels};
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::storage::{now_ms, IssuedCard};
use crate::wire::request::parse_hook_call;
use crate::wire::response::CdsResponse;
use fhir_mapping::HookCall;

/// Completes the prefetch, evaluates the call and answers with cards (possibly none).
pub async fn service_call(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    claims: Option<VerifiedClaims>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let route = ServiceRoute::of(&service_id).ok_or(ApiError::UnknownService)?;
    if route == ServiceRoute::LegacyAlias {
        catalogue::warn_legacy_alias_used();
    }
    let mut service_call = parse_hook_call(&body, route.hooks())?;
    tracing::Span::current().record("hook_instance", service_call.hook_instance.as_str());

    let fetch_started = Instant::now();
    let issuer_servers = claims.as_ref().map_or(&[][..], |claims| {
        state.authenticator.fhir_servers_of(&claims.issuer)
    });
    let report = state
        .fetcher
        .complete(&mut service_call, issuer_servers)
        .await;
    let hook_instance = service_call.hook_instance;
    let call = service_call.call;
    record_prefetch_metrics(&state.metrics, &report, fetch_started);

    let today = time::OffsetDateTime::now_utc().date();
    let evaluation = state.engine.evaluate(&call, today, &report)?;
    let body = CdsResponse::from_evaluation(
        &evaluation,
        &mut UuidSource::Random,
        &state.settings.public_base_url,
    );
    record_issued_cards(
        &state,
        &call,
        &hook_instance,
        &evaluation.cards,
        body.card_uuids(),
    );

    let mut response = Json(body).into_response();
    response
        .extensions_mut()
        .insert(HookLabel(call.hook.code()));
    Ok(response)
}

fn record_prefetch_metrics(metrics: &Metrics, report: &PrefetchReport, started: Instant) {
    let mut fetched_any = false;
    for (key, outcome) in &report.outcomes {
        let outcome = match outcome {
            KeyOutcome::Satisfied => "satisfied",
            KeyOutcome::Fetched => {
                fetched_any = true;
                "fetched"
            }
            KeyOutcome::Partial(_) => "partial",
            KeyOutcome::Failed(_) => "failed",
        };
        metrics
            .prefetch_keys
            .get_or_create(&PrefetchLabels {
                key: key.code().to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }
    if fetched_any {
        metrics
            .prefetch_fetch_duration
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Counts the cards and queues them for the governance log (never waits on the database).
///
/// Cards are logged under the listed id of the call's hook, even when the EHR called the
/// deprecated alias, so the governance log counts each hook under one id.
fn record_issued_cards<'a>(
    state: &AppState,
    call: &HookCall,
    hook_instance: &HookInstance,
    cards: &[Card],
    uuids: impl Iterator<Item = &'a str>,
) {
    if cards.is_empty() {
        state.metrics.responses_without_cards.inc();
        return;
    }
    let issued_at_ms = now_ms();
    let mut issued = Vec::with_capacity(cards.len());
    for (card, uuid) in cards.iter().zip(uuids) {
        state
            .metrics
            .cards_issued
            .get_or_create(&CardLabels {
                topic: card.topic.code().to_owned(),
                indicator: card.indicator.code().to_owned(),
            })
            .inc();
        // The response's uuids were generated here (v4), so every one parses.
        let Ok(card_uuid) = CardUuid::parse(uuid) else {
            continue;
        };
        issued.push(IssuedCard {
            card_uuid,
            service_id: catalogue::service_id_for(call.hook).to_owned(),
            hook: call.hook,
            hook_instance: hook_instance.clone(),
            topic: card.topic,
            indicator: card.indicator,
            issued_at_ms,
        });
    }
    state.issued_cards.record(issued);
}

//! `POST /cds-services/{id}`: route on the id, then check the request's hook is the id's; parse
//! and evaluate on the evaluation pool.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use cards::{Indicator, Topic};

use crate::auth::VerifiedClaims;
use crate::card_ids::UuidSource;
use crate::catalogue::{self, ServiceRoute};
use crate::error::ApiError;
use crate::evaluation::Engine;
use crate::fhir_client::{KeyOutcome, PrefetchReport};
use crate::identifiers::{CardUuid, HookInstance};
use crate::metrics::{CardLabels, HookLabel, Metrics, PrefetchLabels};
use crate::routes::admission::AdmittedJson;
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::storage::{now_ms, IssuedCard};
use crate::wire::request::parse_hook_call;
use crate::wire::response::CdsResponse;
use fhir_mapping::{Hook, HookCall};

/// Completes the prefetch, evaluates the call and answers with cards (possibly none).
///
/// Parsing and evaluation (the CPU-heavy parts) run on the evaluation pool; only the prefetch
/// fetch, which waits on the network, runs here.
pub async fn service_call(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    claims: Option<VerifiedClaims>,
    AdmittedJson {
        admission,
        body: JsonBody(body),
    }: AdmittedJson,
) -> Result<Response, ApiError> {
    let route = ServiceRoute::of(&service_id).ok_or(ApiError::UnknownService)?;
    if route == ServiceRoute::LegacyAlias {
        catalogue::warn_legacy_alias_used();
    }
    let hooks = route.hooks();
    let mut service_call = admission
        .run(move || parse_hook_call(&body, hooks))
        .await
        .map_err(|panic| ApiError::Internal(panic.into()))??;
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
    let hook = call.hook;
    record_prefetch_metrics(&state.metrics, &report, fetch_started);

    let today = time::OffsetDateTime::now_utc().date();
    let engine = Arc::clone(&state.engine);
    let settings = Arc::clone(&state.settings);
    let answer = admission
        .run(move || answer(&engine, &call, today, &report, &settings.public_base_url))
        .await
        .map_err(|panic| ApiError::Internal(panic.into()))??;
    record_issued_cards(&state, hook, &hook_instance, &answer.issued);

    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer.body,
    )
        .into_response();
    response.extensions_mut().insert(HookLabel(hook.code()));
    Ok(response)
}

/// The rendered response and what the issued-cards log records of it.
struct Answer {
    /// The response body, serialised.
    body: Vec<u8>,
    /// Each card's topic and indicator, with the uuid it was given.
    issued: Vec<(Topic, Indicator, String)>,
}

/// Evaluates and renders (on the pool): the cards, their uuids and the serialised body.
fn answer(
    engine: &Engine,
    call: &HookCall,
    today: time::Date,
    report: &PrefetchReport,
    base_url: &str,
) -> Result<Answer, ApiError> {
    let evaluation = engine.evaluate(call, today, report)?;
    let response = CdsResponse::from_evaluation(&evaluation, &mut UuidSource::Random, base_url);
    let issued = evaluation
        .cards
        .iter()
        .zip(response.card_uuids())
        .map(|(card, uuid)| (card.topic, card.indicator, uuid.to_owned()))
        .collect();
    let body = serde_json::to_vec(&response)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("cannot render the response: {e}")))?;
    Ok(Answer { body, issued })
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
fn record_issued_cards(
    state: &AppState,
    hook: Hook,
    hook_instance: &HookInstance,
    cards: &[(Topic, Indicator, String)],
) {
    if cards.is_empty() {
        state.metrics.responses_without_cards.inc();
        return;
    }
    let issued_at_ms = now_ms();
    let mut issued = Vec::with_capacity(cards.len());
    for (topic, indicator, uuid) in cards {
        state
            .metrics
            .cards_issued
            .get_or_create(&CardLabels {
                topic: topic.code().to_owned(),
                indicator: indicator.code().to_owned(),
            })
            .inc();
        // The response's uuids were generated here (v4), so every one parses.
        let Ok(card_uuid) = CardUuid::parse(uuid) else {
            continue;
        };
        issued.push(IssuedCard {
            card_uuid,
            service_id: catalogue::service_id_for(hook).to_owned(),
            hook,
            hook_instance: hook_instance.clone(),
            topic: *topic,
            indicator: *indicator,
            issued_at_ms,
        });
    }
    state.issued_cards.record(issued);
}

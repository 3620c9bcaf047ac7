//! `GET /admin/feedback/summary`: what a clinical governance team reviews. Disabled (404) unless
//! `[admin] token` is configured; the token is compared in constant time.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::routes::query::Query;
use crate::state::AppState;

/// The time window, RFC 3339; default the last 30 days.
#[derive(Debug, Deserialize)]
pub struct Window {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct Summary {
    from: String,
    to: String,
    topics: Vec<TopicRow>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TopicRow {
    topic: String,
    issued: i64,
    accepted: i64,
    overridden: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    override_reasons: Vec<ReasonRow>,
}

#[derive(Debug, Serialize)]
struct ReasonRow {
    system: String,
    code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    display: String,
    count: i64,
}

/// Per topic: cards issued, accepted, overridden, and override reasons with counts. The query is
/// read last: a disabled route is 404 and a caller without the token 401, whatever the query.
pub async fn feedback_summary(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let Some(token) = state.settings.admin.token.as_ref() else {
        return Err(ApiError::UnknownRoute);
    };
    if !bearer_matches(&headers, token.expose()) {
        return Ok((
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response());
    }
    let Query(window) = Query::<Window>::parse(&uri)?;
    let to = parse_instant(window.to.as_deref(), "to")?.unwrap_or_else(OffsetDateTime::now_utc);
    let from =
        parse_instant(window.from.as_deref(), "from")?.unwrap_or(to - time::Duration::days(30));
    if from >= to {
        return Err(ApiError::InvalidQuery("`from` must be before `to`".into()));
    }
    let topics = state
        .store
        .feedback_summary(millis(from), millis(to))
        .await
        .map_err(ApiError::StorageUnavailable)?;
    let topics = topics
        .into_iter()
        .map(|(topic, summary)| TopicRow {
            topic,
            issued: summary.issued,
            accepted: summary.accepted,
            overridden: summary.overridden,
            override_reasons: summary
                .override_reasons
                .into_iter()
                .map(|((system, code, display), count)| ReasonRow {
                    system,
                    code,
                    display,
                    count,
                })
                .collect(),
        })
        .collect();
    let format = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    Ok(Json(Summary {
        from: format(from),
        to: format(to),
        topics,
    })
    .into_response())
}

fn bearer_matches(headers: &HeaderMap, expected: &str) -> bool {
    let Some(presented) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    constant_time_eq(presented.trim().as_bytes(), expected.as_bytes())
}

/// Compares without an early exit, so the time taken does not reveal how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn parse_instant(text: Option<&str>, name: &str) -> Result<Option<OffsetDateTime>, ApiError> {
    text.map(|t| {
        OffsetDateTime::parse(t, &Rfc3339)
            .map_err(|_| ApiError::InvalidQuery(format!("`{name}` must be an RFC 3339 date-time")))
    })
    .transpose()
}

fn millis(instant: OffsetDateTime) -> i64 {
    i64::try_from(instant.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

//! `GET /guideline` and `GET /guideline/{topic}`: the rulebook pages, pre-rendered at start-up
//! (`crate::rulebook`). Public on purpose: they hold no patient data, only the rules and the
//! running configuration's numbers, and a clinician follows a card's link to them from the EHR
//! without a CDS Hooks token.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// `GET /guideline`: the index of every card topic.
pub async fn index(State(state): State<AppState>) -> Response {
    let rulebook = &state.rulebook;
    html(
        StatusCode::OK,
        rulebook.index(),
        rulebook.content_security_policy(),
    )
}

/// `GET /guideline/{topic}`: one topic's page; an unknown topic gets a small HTML 404 page, and
/// so does a topic that is not even text (`%FF`): it names no page either.
pub async fn topic(
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
) -> Response {
    let rulebook = &state.rulebook;
    let page = code.ok().and_then(|Path(code)| rulebook.topic(&code));
    match page {
        Some(page) => html(StatusCode::OK, page, rulebook.content_security_policy()),
        None => html(
            StatusCode::NOT_FOUND,
            rulebook.not_found(),
            rulebook.content_security_policy(),
        ),
    }
}

/// An HTML page with the headers every rulebook page carries.
fn html(status: StatusCode, body: Bytes, content_security_policy: HeaderValue) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, content_security_policy),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // The pages change only with the configuration, that is with a restart.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        body,
    )
        .into_response()
}

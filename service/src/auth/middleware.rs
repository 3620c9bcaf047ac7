//! The axum side: [`require`] guards routes, [`VerifiedClaims`] is the handler's proof.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::authenticator::{Authenticator, VerifiedClaims};
use super::error::AuthError;

/// Middleware that lets a request through only with a trusted bearer token.
///
/// Use as `router.route_layer(axum::middleware::from_fn_with_state(auth, auth::require))`.
/// Skips discovery (`GET /cds-services`) unless `discovery_requires_auth`, and everything when
/// `required = false`. On success the [`VerifiedClaims`] are put in the request extensions; on
/// failure the answer is a bare `401` (the reason was logged by [`Authenticator::verify`]), or a
/// `503` with `Retry-After` when the replay check could not answer.
pub async fn require(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    let config = auth.config();
    let is_open_discovery = !config.discovery_requires_auth && is_discovery(&request);
    if !config.required || is_open_discovery {
        return next.run(request).await;
    }
    match auth
        .verify_headers(request.headers(), request.uri().path())
        .await
    {
        Ok(claims) => {
            request.extensions_mut().insert(claims);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

fn is_discovery(request: &Request) -> bool {
    request.method() == Method::GET
        && matches!(request.uri().path(), "/cds-services" | "/cds-services/")
}

/// The bare `401` every authentication failure becomes: no body, no detail.
pub fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
    )
        .into_response()
}

/// A handler that takes `VerifiedClaims` runs only for requests [`require`] verified; without
/// them (the route is not behind `require`) the request is refused with the bare `401`.
impl<S: Send + Sync> FromRequestParts<S> for VerifiedClaims {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<VerifiedClaims>()
            .cloned()
            .ok_or(AuthError::MissingToken)
    }
}

/// `Option<VerifiedClaims>`: `None` when authentication was skipped (open discovery,
/// `required = false`).
impl<S: Send + Sync> OptionalFromRequestParts<S> for VerifiedClaims {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<VerifiedClaims>().cloned())
    }
}

//! Answers 404 for a service id the catalogue does not know, before authentication and before any
//! handler: whatever a client puts in `/cds-services/{id}` (a patient id included) then never
//! reaches a log line, the authenticator's included. A known id is recorded on the request span,
//! so the request log line names the service.

use axum::extract::{OptionalFromRequestParts, Path, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::catalogue::ServiceRoute;
use crate::error::ApiError;

/// Middleware for the `/cds-services` routes: passes a route without `{id}` (discovery) and one
/// whose id is in the catalogue; 404 OperationOutcome for any other id, an undecodable one too.
pub async fn require_known_service(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let id =
        <Path<String> as OptionalFromRequestParts<()>>::from_request_parts(&mut parts, &()).await;
    match id {
        Ok(None) => {}
        Ok(Some(Path(id))) => match ServiceRoute::of(&id) {
            Some(route) => {
                tracing::Span::current().record("service_id", route.id());
            }
            None => return ApiError::UnknownService.into_response(),
        },
        Err(_) => return ApiError::UnknownService.into_response(),
    }
    next.run(Request::from_parts(parts, body)).await
}

//! `GET /cds-services`.

use axum::extract::State;
use axum::Json;

use crate::state::AppState;
use crate::wire::discovery::Discovery;

/// Lists the services, with the prefetch templates built at start-up.
pub async fn discovery(State(state): State<AppState>) -> Json<Discovery> {
    Json(state.catalogue.discovery())
}

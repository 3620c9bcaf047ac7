//! `GET /cds-services`.

use axum::Json;

use crate::catalogue;
use crate::wire::discovery::Discovery;

/// Lists the services.
pub async fn discovery() -> Json<Discovery> {
    Json(catalogue::discovery())
}

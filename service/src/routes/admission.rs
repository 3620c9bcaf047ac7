//! `AdmittedJson`: a service call takes its place in the evaluation pool before its body is
//! read. A call the pool cannot take is answered 503 at once; its body is drained in the
//! background (bounded by the body limits) so that the client, still uploading, reads the 503
//! instead of a reset connection.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use futures::StreamExt;

use crate::error::ApiError;
use crate::evaluation_pool::Admission;
use crate::routes::json_body::JsonBody;
use crate::state::AppState;

/// The call's place in the evaluation pool (held until it is answered) and its JSON body.
#[derive(Debug)]
pub struct AdmittedJson {
    /// The place in the pool.
    pub admission: Admission,
    /// The body, read within the limits.
    pub body: JsonBody,
}

impl FromRequest<AppState> for AdmittedJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        match state.pool.admit() {
            Ok(admission) => Ok(AdmittedJson {
                admission,
                body: JsonBody::from_request(request, state).await?,
            }),
            Err(saturated) => {
                state.metrics.evaluations_refused.inc();
                tokio::spawn(drain(
                    request.into_body(),
                    state.settings.max_body_bytes,
                    state.settings.server.body_read_timeout(),
                ));
                Err(ApiError::from(saturated))
            }
        }
    }
}

/// Reads and discards a body, up to `limit` bytes and `deadline`: no parsing, no buffering.
async fn drain(body: Body, limit: usize, deadline: std::time::Duration) {
    let _ = tokio::time::timeout(deadline, async {
        let mut chunks = body.into_data_stream();
        let mut read = 0_usize;
        while let Some(Ok(chunk)) = chunks.next().await {
            read += chunk.len();
            if read > limit {
                break;
            }
        }
    })
    .await;
}

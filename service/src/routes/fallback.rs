//! Answers for unknown routes and wrong methods, as OperationOutcomes.

use crate::error::ApiError;

/// 404 for any unknown path.
pub async fn not_found() -> ApiError {
    ApiError::UnknownRoute
}

/// 405 for a known path with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

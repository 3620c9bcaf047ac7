//! `Query`: axum's query-string extractor, refusing with a 400 OperationOutcome rather than
//! axum's plain-text rejection, like every other refusal of the service.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::Uri;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A query string read as `T`.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> Query<T> {
    /// The query string of `uri`, for a handler that must decide something else first (a
    /// disabled route answers 404 whatever its query).
    pub fn parse(uri: &Uri) -> Result<Query<T>, ApiError> {
        axum::extract::Query::try_from_uri(uri)
            .map(|axum::extract::Query(value)| Query(value))
            // The message names the field (`missing field `aud``, `duplicate field `to``); every
            // query field of the service is a string, so no value is quoted back.
            .map_err(|rejection| ApiError::InvalidQuery(rejection.body_text()))
    }
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::parse(&parts.uri)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Window {
        #[allow(dead_code, reason = "only whether it parses matters here")]
        to: Option<String>,
    }

    fn parse(uri: &'static str) -> Result<Query<Window>, ApiError> {
        Query::parse(&Uri::from_static(uri))
    }

    #[test]
    fn an_invalid_query_is_a_400_naming_the_field() {
        let error = parse("/x?to=a&to=b").expect_err("a repeated field");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert!(
            error.to_string().contains("duplicate field `to`"),
            "{error}"
        );
        assert!(parse("/x?to=a").is_ok());
        assert!(parse("/x").is_ok());
    }
}

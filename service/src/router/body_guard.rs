//! Refuses a request body the service will not read, before anything reads it:
//! - declared larger than the limit (413 from `Content-Length`): a client announcing 10 GB is
//!   answered at once, not after the limit has been streamed. A chunked body declares no length;
//!   `DefaultBodyLimit` stops it while it is read.
//! - encoded (415 for any `Content-Encoding` but `identity`): compressed bodies are never decoded
//!   (a decompression bomb risk, and EHRs do not compress CDS Hooks calls), and reading one as
//!   JSON would only give a misleading parse error.

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::identifiers::quoted_if_short;

/// Middleware: answers 413 or 415 when the headers already say the body cannot be read;
/// `limit_bytes` is the configured `max_body_bytes`.
pub async fn refuse_unreadable_bodies(
    State(limit_bytes): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    match refusal(request.headers(), limit_bytes) {
        Some(error) => error.into_response(),
        None => next.run(request).await,
    }
}

/// Why the headers alone rule the body out, if they do.
fn refusal(headers: &HeaderMap, limit_bytes: usize) -> Option<ApiError> {
    let limit = u64::try_from(limit_bytes).unwrap_or(u64::MAX);
    if declared_length(headers).is_some_and(|length| length > limit) {
        return Some(ApiError::PayloadTooLarge { limit_bytes });
    }
    let encoding = content_coding(headers)?;
    Some(ApiError::UnsupportedContentEncoding { encoding })
}

/// The declared `Content-Length` (hyper has already refused a malformed or conflicting one).
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The first content coding other than `identity`, as an answer may name it.
fn content_coding(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(CONTENT_ENCODING) {
        let Ok(text) = value.to_str() else {
            return Some("that is not ASCII text".to_owned());
        };
        let coding = text
            .split(',')
            .map(str::trim)
            .find(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"));
        if let Some(coding) = coding {
            return Some(quoted_if_short(coding));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderName, HeaderValue, StatusCode};

    use super::*;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name, HeaderValue::from_str(value).expect("a header value"));
        }
        map
    }

    #[test]
    fn a_declared_length_over_the_limit_is_413_and_at_the_limit_passes() {
        let over = refusal(&headers(&[(CONTENT_LENGTH, "10000000000")]), 1024);
        let error = over.expect("refused");
        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            error.to_string(),
            "the request body is larger than the limit of 1024 bytes"
        );
        assert!(refusal(&headers(&[(CONTENT_LENGTH, "1024")]), 1024).is_none());
        assert!(
            refusal(&HeaderMap::new(), 1024).is_none(),
            "chunked or no body"
        );
    }

    #[test]
    fn any_encoding_but_identity_is_415_naming_it() {
        for (value, named) in [
            ("gzip", "`gzip`"),
            ("identity, br", "`br`"),
            ("x-custom", "`x-custom`"),
        ] {
            let error = refusal(&headers(&[(CONTENT_ENCODING, value)]), 1024).expect("refused");
            assert_eq!(error.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            let message = error.to_string();
            assert!(message.contains(named), "{message}");
            assert!(message.contains("identity-encoded JSON"), "{message}");
        }
        for value in ["identity", "IDENTITY", ""] {
            assert!(refusal(&headers(&[(CONTENT_ENCODING, value)]), 1024).is_none());
        }
    }

    #[test]
    fn a_long_or_unreadable_encoding_is_described_not_repeated() {
        let long = "z".repeat(200);
        let error = refusal(&headers(&[(CONTENT_ENCODING, &long)]), 1024).expect("refused");
        assert!(!error.to_string().contains(&long), "{error}");
        let mut map = HeaderMap::new();
        map.insert(
            CONTENT_ENCODING,
            HeaderValue::from_bytes(b"gz\xffip").expect("opaque bytes are a header value"),
        );
        let error = refusal(&map, 1024).expect("refused");
        assert!(error.to_string().contains("not ASCII text"), "{error}");
    }
}

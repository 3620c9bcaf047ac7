//! The compact JWS on the wire: extracting it, size limit, header and unverified issuer.
//!
//! Nothing here trusts the token: it only finds out which issuer and key to verify it with and
//! refuses what can be refused without a key (`none`, `HS*`, missing `kid`, oversized input).

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::config::SigningAlgorithm;
use super::error::AuthError;

/// Tokens longer than this are refused before any parsing (real EHR tokens are about 1 KiB).
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A token split and decoded, not yet verified.
#[derive(Debug)]
pub(crate) struct UnverifiedToken<'a> {
    /// The whole compact JWS, for signature verification.
    pub compact: &'a str,
    /// The signature algorithm, already known to be asymmetric and supported.
    pub algorithm: SigningAlgorithm,
    /// The `kid` header.
    pub key_id: String,
    /// The `jku` header, if any (not yet checked against the allow-list).
    pub key_set_url: Option<String>,
    /// The `iss` claim as read without verification, used only to pick the issuer's keys.
    pub unverified_issuer: String,
}

/// The one `Authorization` header of a request. Several are refused: which one a proxy, the
/// framework or this service would read is not defined, so none is trusted.
pub(crate) fn single_authorization(headers: &HeaderMap) -> Result<Option<&HeaderValue>, AuthError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(AuthError::SeveralAuthorizationHeaders);
    }
    Ok(first)
}

/// The token in an `Authorization: Bearer <token>` header.
pub(crate) fn bearer_token(authorization: Option<&HeaderValue>) -> Result<&str, AuthError> {
    let value = authorization.ok_or(AuthError::MissingToken)?;
    let value = value.to_str().map_err(|_| AuthError::NotBearer)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::NotBearer)?;
    // The scheme is case-insensitive (RFC 7235); the token itself is not trimmed further.
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(AuthError::NotBearer);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token)
}

/// Splits and decodes a compact JWS, refusing what needs no key to refuse.
pub(crate) fn parse(compact: &str) -> Result<UnverifiedToken<'_>, AuthError> {
    if compact.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::TokenTooLarge {
            length: compact.len(),
            limit: MAX_TOKEN_BYTES,
        });
    }
    let mut parts = compact.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed("not three dot-separated parts"));
    };

    let header: RawHeader = decode_json_part(header, "header")?;
    // The algorithm is judged first so that `none` and `HS*` never reach a key lookup.
    let algorithm = accepted_algorithm(&header.alg)?;
    // RFC 7515 section 4.1.11: a recipient MUST refuse a JWS whose `crit` names an extension it
    // does not understand. This service understands none, so any `crit` at all is refused.
    if header.crit {
        return Err(AuthError::CriticalHeader);
    }
    if !header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case("JWT"))
    {
        return Err(AuthError::WrongType);
    }
    let key_id = header
        .kid
        .filter(|kid| !kid.is_empty())
        .ok_or(AuthError::MissingKeyId)?;
    if signature.is_empty() {
        return Err(AuthError::Malformed("empty signature"));
    }

    let claims: RawIssuer = decode_json_part(payload, "claims")?;
    let unverified_issuer = claims.iss.ok_or(AuthError::MissingClaim("iss"))?;

    Ok(UnverifiedToken {
        compact,
        algorithm,
        key_id,
        key_set_url: header.jku,
        unverified_issuer,
    })
}

fn accepted_algorithm(alg: &str) -> Result<SigningAlgorithm, AuthError> {
    let disallowed = || AuthError::DisallowedAlgorithm {
        alg: alg.to_owned(),
    };
    if alg.eq_ignore_ascii_case("none") || alg.to_ascii_uppercase().starts_with("HS") {
        return Err(disallowed());
    }
    alg.parse().map_err(|_| disallowed())
}

fn decode_json_part<T: serde::de::DeserializeOwned>(
    part: &str,
    which: &'static str,
) -> Result<T, AuthError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| {
        AuthError::Malformed(match which {
            "header" => "header is not base64url",
            _ => "claims are not base64url",
        })
    })?;
    serde_json::from_slice(&bytes).map_err(|_| {
        AuthError::Malformed(match which {
            "header" => "header is not a JSON object with alg",
            _ => "claims are not a JSON object",
        })
    })
}

#[derive(Debug, Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    jku: Option<String>,
    /// Whether the header names `crit`, whatever its value (even `null`).
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

/// `true` for a member that is present, whatever its value: `Option` would read `null` as
/// absent, and a `"crit": null` must not slip through.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

#[derive(Debug, Deserialize)]
struct RawIssuer {
    #[serde(default)]
    iss: Option<String>,
}

/// The claims of a token whose signature has been verified; judged by `claims::check`.
///
/// `iss` is not repeated here: it was read from these same signed bytes by [`parse`], and a
/// payload naming `iss` twice is refused there as malformed.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenClaims {
    /// The audience: a string or an array of strings.
    #[serde(default)]
    pub aud: Option<Audience>,
    /// Expiry, epoch seconds.
    #[serde(default)]
    pub exp: Option<NumericDate>,
    /// Issue time, epoch seconds.
    #[serde(default)]
    pub iat: Option<NumericDate>,
    /// Not-before time, epoch seconds (Epic sends it).
    #[serde(default)]
    pub nbf: Option<NumericDate>,
    /// The nonce against replay.
    #[serde(default)]
    pub jti: Option<String>,
    /// Opaque id of the healthcare organisation.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Not defined by CDS Hooks; some EHRs send it.
    #[serde(default)]
    pub sub: Option<String>,
}

/// The `aud` claim: RFC 7519 allows a single string or an array.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    /// One audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

impl Audience {
    /// Whether any audience equals one of `accepted`.
    pub fn contains_any(&self, accepted: &[String]) -> bool {
        match self {
            Self::One(audience) => accepted.contains(audience),
            Self::Many(audiences) => audiences.iter().any(|audience| accepted.contains(audience)),
        }
    }
}

/// An RFC 7519 NumericDate: epoch seconds, possibly fractional (truncated to whole seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "serde_json::Number")]
pub(crate) struct NumericDate(pub i64);

impl TryFrom<serde_json::Number> for NumericDate {
    type Error = &'static str;

    fn try_from(number: serde_json::Number) -> Result<Self, Self::Error> {
        if let Some(seconds) = number.as_i64() {
            return Ok(Self(seconds));
        }
        match number.as_f64() {
            // `as` saturates, so absurd values stay absurd instead of wrapping.
            Some(seconds) if seconds.is_finite() => Ok(Self(seconds.trunc() as i64)),
            _ => Err("not a NumericDate"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str, claims: &str, signature: &str) -> String {
        format!("{}.{}.{signature}", encode(header), encode(claims))
    }

    const ISS: &str = r#"{"iss":"https://ehr.example.org"}"#;

    #[test]
    fn a_well_formed_header_yields_algorithm_kid_jku_and_issuer() {
        let compact = token(
            r#"{"alg":"RS384","typ":"JWT","kid":"k1","jku":"https://ehr.example.org/jwks"}"#,
            ISS,
            "c2ln",
        );
        let parsed = parse(&compact).expect("parses");
        assert_eq!(parsed.algorithm, SigningAlgorithm::RS384);
        assert_eq!(parsed.key_id, "k1");
        assert_eq!(
            parsed.key_set_url.as_deref(),
            Some("https://ehr.example.org/jwks")
        );
        assert_eq!(parsed.unverified_issuer, "https://ehr.example.org");
    }

    #[test]
    fn none_and_symmetric_algorithms_are_refused_first() {
        for alg in ["none", "NONE", "HS256", "HS384", "HS512", "hs256"] {
            let compact = token(&format!(r#"{{"alg":"{alg}"}}"#), "{}", "");
            assert_eq!(
                parse(&compact).map(|_| ()),
                Err(AuthError::DisallowedAlgorithm {
                    alg: alg.to_owned()
                })
            );
        }
    }

    #[test]
    fn a_header_without_typ_jwt_is_refused() {
        let compact = token(r#"{"alg":"ES384","kid":"k1"}"#, ISS, "c2ln");
        assert_eq!(parse(&compact).map(|_| ()), Err(AuthError::WrongType));
    }

    #[test]
    fn any_crit_header_is_refused() {
        for crit in [r#"["exp"]"#, "[]", r#"["b64"]"#, "null", r#""x""#] {
            let compact = token(
                &format!(r#"{{"alg":"ES384","typ":"JWT","kid":"k1","crit":{crit}}}"#),
                ISS,
                "c2ln",
            );
            assert_eq!(
                parse(&compact).map(|_| ()),
                Err(AuthError::CriticalHeader),
                "crit = {crit}"
            );
        }
    }

    #[test]
    fn a_header_without_kid_is_refused() {
        let compact = token(r#"{"alg":"ES384","typ":"JWT"}"#, ISS, "c2ln");
        assert_eq!(parse(&compact).map(|_| ()), Err(AuthError::MissingKeyId));
    }

    #[test]
    fn claims_without_iss_are_refused() {
        let compact = token(r#"{"alg":"ES384","typ":"JWT","kid":"k1"}"#, "{}", "c2ln");
        assert_eq!(
            parse(&compact).map(|_| ()),
            Err(AuthError::MissingClaim("iss"))
        );
    }

    #[test]
    fn claims_naming_iss_twice_are_refused() {
        let compact = token(
            r#"{"alg":"ES384","typ":"JWT","kid":"k1"}"#,
            r#"{"iss":"https://ehr.example.org","iss":"https://evil.example"}"#,
            "c2ln",
        );
        assert_eq!(
            parse(&compact).map(|_| ()),
            Err(AuthError::Malformed("claims are not a JSON object"))
        );
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_other_schemes_are_refused() {
        let bearer = HeaderValue::from_static("bearer abc.def.ghi");
        assert_eq!(bearer_token(Some(&bearer)), Ok("abc.def.ghi"));
        let basic = HeaderValue::from_static("Basic dXNlcjpwYXNz");
        assert_eq!(bearer_token(Some(&basic)), Err(AuthError::NotBearer));
        assert_eq!(bearer_token(None), Err(AuthError::MissingToken));
    }

    #[test]
    fn several_authorization_headers_are_refused() {
        let mut headers = HeaderMap::new();
        assert_eq!(single_authorization(&headers), Ok(None));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer a.b.c"));
        assert!(single_authorization(&headers).is_ok_and(|value| value.is_some()));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer d.e.f"));
        assert_eq!(
            single_authorization(&headers),
            Err(AuthError::SeveralAuthorizationHeaders)
        );
    }

    #[test]
    fn fractional_numeric_dates_are_truncated() {
        let date: NumericDate = serde_json::from_str("1700000000.9").expect("number");
        assert_eq!(date, NumericDate(1_700_000_000));
    }

    #[test]
    fn an_audience_array_matches_when_any_entry_matches() {
        let audience: Audience = serde_json::from_str(
            r#"["https://other.example", "https://cds.example/cds-services/x"]"#,
        )
        .expect("array");
        assert!(audience.contains_any(&["https://cds.example/cds-services/x".to_owned()]));
        assert!(!audience.contains_any(&["https://cds.example/cds-services".to_owned()]));
    }
}

//! Rules on verified claims: audience, time window, lifetime, `jti` and tenant.
//!
//! Pure: the clock is an argument, so every boundary is tested without waiting.

use super::error::AuthError;
use super::token::{NumericDate, TokenClaims};

/// Longest `jti` accepted; it is stored in the replay cache, so it must be bounded.
const MAX_JTI_CHARS: usize = 255;

/// What the claims of one call must satisfy.
#[derive(Debug)]
pub(crate) struct ClaimRules<'a> {
    /// Audiences that name the endpoint being called.
    pub accepted_audiences: &'a [String],
    /// Tolerance on `exp`, `iat` and `nbf`.
    pub clock_skew_secs: i64,
    /// Largest `exp - iat`.
    pub max_lifetime_secs: u64,
    /// If non-empty, the `tenant` claim must be one of these.
    pub allowed_tenants: &'a [String],
}

/// Claims that passed every rule except replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedClaims {
    /// The `jti` nonce.
    pub jti: String,
    /// The `tenant` claim.
    pub tenant: Option<String>,
    /// The `sub` claim.
    pub subject: Option<String>,
    /// `exp`, epoch seconds.
    pub expires_at: i64,
    /// `iat`, epoch seconds.
    pub issued_at: i64,
}

/// Applies `rules` to verified `claims` at `now` (epoch seconds).
pub(crate) fn check(
    claims: TokenClaims,
    rules: &ClaimRules<'_>,
    now: i64,
) -> Result<CheckedClaims, AuthError> {
    let audience = claims.aud.ok_or(AuthError::MissingClaim("aud"))?;
    if !audience.contains_any(rules.accepted_audiences) {
        return Err(AuthError::WrongAudience);
    }

    let NumericDate(expires_at) = claims.exp.ok_or(AuthError::MissingClaim("exp"))?;
    let NumericDate(issued_at) = claims.iat.ok_or(AuthError::MissingClaim("iat"))?;
    let skew = rules.clock_skew_secs;
    if expires_at.saturating_add(skew) <= now {
        return Err(AuthError::Expired);
    }
    if issued_at > now.saturating_add(skew) {
        return Err(AuthError::IssuedInFuture);
    }
    if let Some(NumericDate(not_before)) = claims.nbf {
        if not_before > now.saturating_add(skew) {
            return Err(AuthError::NotYetValid);
        }
    }
    let lifetime_secs = expires_at.saturating_sub(issued_at);
    let within_lifetime =
        u64::try_from(lifetime_secs).is_ok_and(|secs| secs > 0 && secs <= rules.max_lifetime_secs);
    if !within_lifetime {
        return Err(AuthError::LifetimeOutOfRange {
            lifetime_secs,
            max_secs: rules.max_lifetime_secs,
        });
    }

    let jti = claims
        .jti
        .filter(|jti| !jti.is_empty() && jti.chars().count() <= MAX_JTI_CHARS)
        .ok_or(AuthError::MissingClaim("jti"))?;

    if !rules.allowed_tenants.is_empty() {
        let allowed = claims
            .tenant
            .as_ref()
            .is_some_and(|tenant| rules.allowed_tenants.contains(tenant));
        if !allowed {
            return Err(AuthError::TenantNotAllowed);
        }
    }

    Ok(CheckedClaims {
        jti,
        tenant: claims.tenant,
        subject: claims.sub,
        expires_at,
        issued_at,
    })
}

/// The `aud` values that name the endpoint at `path`.
///
/// The exact URL called is always accepted. For feedback (`/cds-services/{id}/feedback`) the
/// spec leaves `aud` unspecified, so the service URL is accepted as well.
pub(crate) fn accepted_audiences(public_base_url: &str, path: &str) -> Vec<String> {
    let called = format!("{public_base_url}{path}");
    match feedback_service_path(path) {
        Some(service_path) => vec![called, format!("{public_base_url}{service_path}")],
        None => vec![called],
    }
}

fn feedback_service_path(path: &str) -> Option<&str> {
    let service_path = path.strip_suffix("/feedback")?;
    let service_id = service_path.strip_prefix("/cds-services/")?;
    let is_one_segment = !service_id.is_empty() && !service_id.contains('/');
    is_one_segment.then_some(service_path)
}

#[cfg(test)]
mod tests {
    use super::super::token::Audience;
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const SERVICE: &str = "https://cds.example.org/cds-services/oms-relapse";

    fn valid_claims() -> TokenClaims {
        TokenClaims {
            aud: Some(Audience::One(SERVICE.to_owned())),
            exp: Some(NumericDate(NOW + 300)),
            iat: Some(NumericDate(NOW)),
            nbf: None,
            jti: Some("a-nonce".to_owned()),
            tenant: None,
            sub: None,
        }
    }

    fn check_with(claims: TokenClaims, tenants: &[String]) -> Result<CheckedClaims, AuthError> {
        let audiences = vec![SERVICE.to_owned()];
        let rules = ClaimRules {
            accepted_audiences: &audiences,
            clock_skew_secs: 60,
            max_lifetime_secs: 3600,
            allowed_tenants: tenants,
        };
        check(claims, &rules, NOW)
    }

    #[test]
    fn valid_claims_pass_with_their_values() {
        let checked = check_with(valid_claims(), &[]).expect("valid");
        assert_eq!(checked.jti, "a-nonce");
        assert_eq!(checked.expires_at, NOW + 300);
        assert_eq!(checked.issued_at, NOW);
    }

    #[test]
    fn expiry_is_tolerated_within_the_skew_only() {
        let within = TokenClaims {
            exp: Some(NumericDate(NOW - 59)),
            iat: Some(NumericDate(NOW - 300)),
            ..valid_claims()
        };
        assert!(check_with(within, &[]).is_ok());
        let beyond = TokenClaims {
            exp: Some(NumericDate(NOW - 60)),
            iat: Some(NumericDate(NOW - 300)),
            ..valid_claims()
        };
        assert_eq!(check_with(beyond, &[]), Err(AuthError::Expired));
    }

    #[test]
    fn iat_and_nbf_in_the_future_beyond_the_skew_are_refused() {
        let iat = TokenClaims {
            iat: Some(NumericDate(NOW + 61)),
            exp: Some(NumericDate(NOW + 400)),
            ..valid_claims()
        };
        assert_eq!(check_with(iat, &[]), Err(AuthError::IssuedInFuture));
        let nbf = TokenClaims {
            nbf: Some(NumericDate(NOW + 61)),
            ..valid_claims()
        };
        assert_eq!(check_with(nbf, &[]), Err(AuthError::NotYetValid));
        let nbf_within = TokenClaims {
            nbf: Some(NumericDate(NOW + 60)),
            ..valid_claims()
        };
        assert!(check_with(nbf_within, &[]).is_ok());
    }

    #[test]
    fn lifetime_must_be_positive_and_at_most_the_maximum() {
        let long = TokenClaims {
            exp: Some(NumericDate(NOW + 3601)),
            ..valid_claims()
        };
        assert_eq!(
            check_with(long, &[]),
            Err(AuthError::LifetimeOutOfRange {
                lifetime_secs: 3601,
                max_secs: 3600
            })
        );
        let inverted = TokenClaims {
            exp: Some(NumericDate(NOW + 10)),
            iat: Some(NumericDate(NOW + 20)),
            ..valid_claims()
        };
        assert_eq!(
            check_with(inverted, &[]),
            Err(AuthError::LifetimeOutOfRange {
                lifetime_secs: -10,
                max_secs: 3600
            })
        );
    }

    #[test]
    fn missing_jti_exp_iat_or_aud_are_refused_by_name() {
        assert_eq!(
            check_with(
                TokenClaims {
                    jti: None,
                    ..valid_claims()
                },
                &[]
            ),
            Err(AuthError::MissingClaim("jti"))
        );
        assert_eq!(
            check_with(
                TokenClaims {
                    exp: None,
                    ..valid_claims()
                },
                &[]
            ),
            Err(AuthError::MissingClaim("exp"))
        );
        assert_eq!(
            check_with(
                TokenClaims {
                    iat: None,
                    ..valid_claims()
                },
                &[]
            ),
            Err(AuthError::MissingClaim("iat"))
        );
        assert_eq!(
            check_with(
                TokenClaims {
                    aud: None,
                    ..valid_claims()
                },
                &[]
            ),
            Err(AuthError::MissingClaim("aud"))
        );
    }

    #[test]
    fn tenant_must_be_listed_when_tenants_are_configured() {
        let tenants = vec!["hospital-a".to_owned()];
        let absent = valid_claims();
        assert_eq!(
            check_with(absent, &tenants),
            Err(AuthError::TenantNotAllowed)
        );
        let other = TokenClaims {
            tenant: Some("hospital-b".to_owned()),
            ..valid_claims()
        };
        assert_eq!(
            check_with(other, &tenants),
            Err(AuthError::TenantNotAllowed)
        );
        let listed = TokenClaims {
            tenant: Some("hospital-a".to_owned()),
            ..valid_claims()
        };
        assert_eq!(
            check_with(listed, &tenants).map(|claims| claims.tenant),
            Ok(Some("hospital-a".to_owned()))
        );
    }

    #[test]
    fn feedback_accepts_the_feedback_and_the_service_url() {
        assert_eq!(
            accepted_audiences(
                "https://cds.example.org",
                "/cds-services/oms-relapse/feedback"
            ),
            vec![
                "https://cds.example.org/cds-services/oms-relapse/feedback".to_owned(),
                "https://cds.example.org/cds-services/oms-relapse".to_owned(),
            ]
        );
    }

    #[test]
    fn a_service_call_accepts_only_its_own_url() {
        assert_eq!(
            accepted_audiences("https://cds.example.org", "/cds-services/oms-relapse"),
            vec!["https://cds.example.org/cds-services/oms-relapse".to_owned()]
        );
        assert_eq!(
            accepted_audiences("https://cds.example.org", "/cds-services/feedback"),
            vec!["https://cds.example.org/cds-services/feedback".to_owned()]
        );
    }
}

//! Authentication of CDS clients: the EHR's signed JWT on every call (CDS Hooks 2.0, "Trusting
//! CDS Clients").
//!
//! The EHR sends `Authorization: Bearer <JWT>`, a JWS signed with its private key. The
//! [`Authenticator`] decides whether to trust it; [`require`] is the axum middleware that turns
//! every refusal into a bare `401` with `WWW-Authenticate: Bearer`, and a replay check that
//! cannot answer (its database is down) into a `503` with `Retry-After`, so the EHR retries
//! instead of concluding its token is bad.
//!
//! Invariants (security couplings, keep them true when editing):
//! - `none` and every symmetric (`HS*`) algorithm are rejected before any key lookup, and a key is
//!   only used with an algorithm of its own family and curve, so no algorithm confusion is possible.
//! - The service only ever fetches JWK Sets from URLs written in the configuration (`jwks_url`
//!   and `allowed_jku`): the set of fetchable URLs is fixed when the [`Authenticator`] is built, so
//!   a `jku` header chosen by an attacker can never cause a request. An allowed `jku` whose keys
//!   are pinned (`jwks_file`, `jku_files`) is never fetched at all (unless `fetch_allowed_jku`). Keys embedded in a token
//!   (`jwk`, `x5c`, `x5u` headers) are ignored: keys come only from the issuer's configured set.
//! - A header naming `crit` is refused (RFC 7515: this service understands no JWS extension), and
//!   so is a request with more than one `Authorization` header (which one counts is ambiguous).
//! - Claims are read unverified only to find the issuer (and so its keys); every decision on a
//!   claim is taken after the signature has been verified.
//! - A `jti` is recorded only after every other check passed, and is kept until `exp` plus the
//!   allowed clock skew, the last moment the same token could still be accepted.
//! - Tokens are never logged; failures log the reason category, `iss` and `jti`.
//!
//! Layout:
//! - `config`: the `[auth]` TOML section and its validation.
//! - `authenticator`: [`Authenticator::verify`], the order of checks.
//! - `token`: splitting and decoding the compact JWS, header and claims types.
//! - `claims`: time, audience, tenant and `jti` rules on verified claims (pure, clock passed in).
//! - `keys`: the [`KeyStore`] trait, JWK Set parsing, a static and a caching JWKS store.
//! - `replay`: the [`ReplayCache`] trait and its in-memory implementation.
//! - `middleware`: [`require`] and the [`VerifiedClaims`] extractor.
//! - `local_issuer`: a run-time ES384 issuer for the demo and `oms-cds token`.
//! - `sandbox`: recognising trust in the public CDS Hooks sandbox key (refused in production).
//! - `error`: [`AuthError`] (one reason per failure) and [`AuthSetupError`].

mod authenticator;
mod claims;
pub mod config;
mod error;
pub mod keys;
mod local_issuer;
mod middleware;
pub mod replay;
mod sandbox;
mod token;

pub use authenticator::{
    Authenticator, ExtraIssuer, IssuerKeyStatus, JkuKeyStatus, VerifiedClaims,
};
pub use config::{AuthConfig, AuthConfigError, IssuerConfig, SigningAlgorithm};
pub use error::{AuthError, AuthFailureReason, AuthSetupError};
pub use keys::{JwksCache, JwksFetchPolicy, KeyLookupError, KeyStatus, KeyStore, StaticKeyStore};
pub use local_issuer::{LocalIssuer, LocalIssuerError, LOCAL_ISSUER};
pub use middleware::{require, unauthorized};
pub use replay::{Freshness, InMemoryReplayCache, ReplayCache, ReplayCacheError};
pub use sandbox::SANDBOX_ISSUER;

//! Integration tests of `oms_cds::auth` through its public API: real signatures with keys made at
//! test time, JWK Sets served by wiremock.

mod helpers;
mod jwks;
mod local_issuer;
mod logs;
mod middleware;
mod verify;

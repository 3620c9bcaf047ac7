//! Bearer-token verification as the service does it on every call, without HTTP: parse the
//! JWT, find the issuer's key, check the ES384 signature and the claims, record the `jti` in the
//! single-node replay cache. Tokens are minted by the demo's issuer ahead of each measured call
//! (each is single-use). Run: `cargo bench -p oms-cds-tests --bench auth`.
//!
//! Server CPU per request with auth on and off, over HTTP, is `scripts/load-auth-cpu.sh`.
#![allow(clippy::unwrap_used, reason = "benchmark set-up fails loudly")]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use oms_cds::auth::{AuthConfig, Authenticator, InMemoryReplayCache, LocalIssuer};
use reqwest::header::HeaderValue;

const BASE: &str = "http://127.0.0.1:8080";
const PATH: &str = "/cds-services/oms-relapse-order-select";

fn verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = LocalIssuer::generate().unwrap();
    let authenticator = Authenticator::with_extra_issuers(
        AuthConfig::default(),
        BASE,
        reqwest::Client::new(),
        Arc::new(InMemoryReplayCache::new(1_000_000)),
        vec![issuer.trusted_issuer()],
    )
    .unwrap();
    let audience = format!("{BASE}{PATH}");
    let mut group = c.benchmark_group("auth");
    group.bench_function("verify-es384", |b| {
        b.iter_batched(
            || {
                HeaderValue::from_str(&format!("Bearer {}", issuer.mint(&audience).unwrap()))
                    .unwrap()
            },
            |header| {
                runtime
                    .block_on(authenticator.verify(Some(&header), PATH))
                    .unwrap()
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);

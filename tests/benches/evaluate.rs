//! The request path without HTTP, on the repository's example requests and on generated whole
//! records: parse the body (`parse_hook_call`, which wraps `fhir_mapping::HookCall::parse` and
//! its envelope pass), plan the prefetch completion, map FHIR to facts, apply the rules, render
//! the response JSON. Run: `cargo bench -p oms-cds-tests --bench evaluate`.
//!
//! The records come from `oms_cds_tests::record` (seed 1, evaluated on 2026-11-25):
//! - 383 prefetch resources: 1 Patient, 10 Conditions, 7 Procedures, 32 medication records and
//!   333 Observations, 80 of them in the value sets Observations are read by (36 weights,
//!   36 heights, 4 BSAs, 4 hepatitis B results) and 253 outside them;
//! - 2,000 resources: the same clinical core, 1,870 Observations and more medication history.
//!
//! Instruction counts against a plain JSON parse are `scripts/request-path-cost.sh`.
#![allow(clippy::unwrap_used, reason = "benchmark set-up fails loudly")]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use oms_cds::card_ids::UuidSource;
use oms_cds::catalogue::{Catalogue, SERVED_HOOKS};
use oms_cds::config::Settings;
use oms_cds::evaluation::Engine;
use oms_cds::fhir_client::{incomplete_keys, PrefetchReport};
use oms_cds::wire::request::parse_hook_call;
use oms_cds::wire::response::CdsResponse;
use oms_cds_tests::record::{generate, RecordSpec};
use oms_cds_tests::scenario::RULEBOOK_BASE;

const EXAMPLES: [(&str, &str); 4] = [
    (
        "full-course+neuroblastoma",
        include_str!("../../examples/order-select-rituximab-naive-with-neuroblastoma.json"),
    ),
    (
        "redose",
        include_str!("../../examples/order-select-rituximab-after-full-course.json"),
    ),
    (
        "refractory-order-sign",
        include_str!("../../examples/order-sign-cyclophosphamide-refractory-child.json"),
    ),
    (
        "unrelated-order",
        include_str!("../../examples/order-select-unrelated-order.json"),
    ),
];

fn requests() -> Vec<(String, String)> {
    let mut requests: Vec<(String, String)> = EXAMPLES
        .iter()
        .map(|(name, body)| ((*name).to_owned(), (*body).to_owned()))
        .collect();
    for resources in [RecordSpec::STANDARD_RESOURCES, 2_000] {
        let spec = RecordSpec {
            resources,
            ..RecordSpec::standard(1)
        };
        requests.push((format!("record-{resources}"), generate(&spec).to_string()));
    }
    requests
}

fn evaluate(c: &mut Criterion) {
    let mut settings = Settings::default();
    settings.auth.required = false;
    let engine = Engine::new(&settings).unwrap();
    let catalogue = Catalogue::new(engine.terminology());
    let today = time::macros::date!(2026 - 11 - 25);
    let report = PrefetchReport::default();
    let mut group = c.benchmark_group("evaluate");
    for (name, body) in requests() {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &body, |b, body| {
            b.iter(|| {
                let call = parse_hook_call(body.as_bytes(), &SERVED_HOOKS).unwrap();
                let incomplete = incomplete_keys(&catalogue, &call.call);
                let evaluation = engine.evaluate(&call.call, today, &report).unwrap();
                let response = CdsResponse::from_evaluation(
                    &evaluation,
                    &mut UuidSource::Random,
                    RULEBOOK_BASE,
                );
                (serde_json::to_vec(&response).unwrap(), incomplete)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, evaluate);
criterion_main!(benches);

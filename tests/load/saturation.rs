//! CPU isolation under load, black-box: with every evaluation worker busy on heavy calls, health
//! probes stay fast and excess calls are refused at once with 503 and `Retry-After`.
//!
//! Its own test binary, so that no other test shares the machine's cores while it measures.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

#[path = "../api/helpers.rs"]
#[allow(
    dead_code,
    reason = "the load tests use a few of the API tests' helpers"
)]
mod helpers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oms_cds_tests::record::{generate, RecordSpec};

use helpers::{spawn_app_with, ORDER_SELECT_ID};

/// Clients sending heavy calls back to back: well beyond one worker plus one queued call.
const HEAVY_CLIENTS: usize = 6;

/// Health probes measured while the workers are busy.
const PROBES: usize = 20;

/// What one heavy call got: its status and whether a 503 said when to retry.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    status: u16,
    retry_after: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_evaluation_saturated_health_probes_stay_fast_and_excess_calls_get_503() {
    let app = spawn_app_with(|settings| {
        settings.server.evaluation_workers = 1;
        settings.server.evaluation_queue = 1;
    })
    .await;
    let spec = RecordSpec {
        resources: 1600,
        ..RecordSpec::standard(7)
    };
    // The record's dates count back from spec.today; the service evaluates as of today, which
    // changes the cards, not the cost.
    let body = generate(&spec).to_string();
    let url = format!("{}/cds-services/{ORDER_SELECT_ID}", app.address);
    let probing = Arc::new(AtomicBool::new(true));
    let mut clients = Vec::new();
    for _ in 0..HEAVY_CLIENTS {
        let (client, url, body, probing) = (
            app.client.clone(),
            url.clone(),
            body.clone(),
            Arc::clone(&probing),
        );
        clients.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            // Back to back until the probes are done, so the worker is never idle meanwhile.
            while probing.load(Ordering::Relaxed) {
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                outcomes.push(Outcome {
                    status: response.status().as_u16(),
                    retry_after: response.headers().contains_key("retry-after"),
                });
                let _ = response.bytes().await;
                if outcomes.last().is_some_and(|o| o.status == 503) {
                    // Impatient, but not a busy loop: far sooner than the 1 s asked for.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            outcomes
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut latencies = Vec::with_capacity(PROBES);
    for _ in 0..PROBES {
        let started = Instant::now();
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    probing.store(false, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for client in clients {
        outcomes.extend(client.await.unwrap());
    }
    latencies.sort();
    let p95 = latencies[PROBES * 95 / 100 - 1];
    let served = outcomes.iter().filter(|o| o.status == 200).count();
    let refused: Vec<_> = outcomes.iter().filter(|o| o.status == 503).collect();
    println!(
        "heavy calls: {served} served, {} refused; /healthz p95 {p95:?}, max {:?}",
        refused.len(),
        latencies.last().unwrap()
    );
    assert!(
        p95 < Duration::from_millis(50),
        "p95 {p95:?}: {latencies:?}"
    );
    assert!(served >= 1, "the admitted calls are served: {outcomes:?}");
    assert!(
        !refused.is_empty(),
        "excess calls are refused: {outcomes:?}"
    );
    assert!(
        refused.iter().all(|o| o.retry_after),
        "every 503 says when to retry"
    );
    assert_eq!(served + refused.len(), outcomes.len(), "{outcomes:?}");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(&format!(
            "oms_cds_evaluations_refused_total {}",
            refused.len()
        )),
        "refusals are counted"
    );
    app.stop().await;
}

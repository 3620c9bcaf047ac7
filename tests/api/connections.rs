//! Connection discipline, black-box: idle and slowloris connections are closed by the header-read
//! timeout, a slow body is answered 408, connections beyond the cap are refused at once, and the
//! service keeps serving through all of it. Real short waits, with timeouts configured under 1 s.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app_with, TestApp};

/// The header-read timeout these tests configure.
const HEADER_TIMEOUT: Duration = Duration::from_millis(500);

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<(Vec<u8>, Instant)> {
    let mut received = Vec::new();
    let outcome = tokio::time::timeout(limit, async {
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    outcome.ok().map(|closed_at| (received, closed_at))
}

#[tokio::test]
async fn two_hundred_slowloris_connections_are_closed_within_the_header_timeout_while_calls_succeed(
) {
    let app = spawn_app_with(|settings| {
        settings.server.header_read_timeout_ms = 500;
    })
    .await;
    let address = socket_address(&app);
    let opened_at = Instant::now();
    let mut held = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        // An unfinished head: the request line and one header, never the blank line.
        stream
            .write_all(b"POST /cds-services/oms-relapse-order-sign HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    // Normal calls go through while the 200 are held open.
    for _ in 0..5 {
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
    }
    let mut latest_close = opened_at;
    for stream in &mut held {
        let (_, closed_at) = read_until_closed(stream, Duration::from_secs(5))
            .await
            .expect("the server closes a slowloris connection");
        latest_close = latest_close.max(closed_at);
    }
    let took = latest_close - opened_at;
    assert!(
        took < HEADER_TIMEOUT + Duration::from_millis(1500),
        "all 200 closed {took:?} after opening (header timeout {HEADER_TIMEOUT:?})"
    );
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn an_idle_socket_and_an_idle_keep_alive_connection_are_closed() {
    let app = spawn_app_with(|settings| {
        settings.server.header_read_timeout_ms = 500;
    })
    .await;
    let address = socket_address(&app);

    // Connected, never a byte sent.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    let started = Instant::now();
    read_until_closed(&mut idle, Duration::from_secs(5))
        .await
        .expect("an idle socket is closed");
    assert!(started.elapsed() < Duration::from_secs(2));

    // One complete request on a keep-alive connection, then silence.
    let mut keep_alive = TcpStream::connect(&address).await.unwrap();
    keep_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (received, _) = read_until_closed(&mut keep_alive, Duration::from_secs(5))
        .await
        .expect("an idle keep-alive connection is closed");
    assert!(
        String::from_utf8_lossy(&received).starts_with("HTTP/1.1 200"),
        "the request itself was answered"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    app.stop().await;
}

#[tokio::test]
async fn a_body_slower_than_the_body_timeout_is_answered_408_with_an_operation_outcome() {
    let app = spawn_app_with(|settings| {
        settings.server.body_read_timeout_ms = 400;
    })
    .await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    stream
        .write_all(
            b"POST /cds-services/oms-relapse-order-sign HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"hook\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let (received, _) = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the connection is answered and closed");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("OperationOutcome") && text.contains("\"timeout\""),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    app.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_refused_fast_and_the_service_keeps_serving() {
    let app = spawn_app_with(|settings| {
        settings.server.max_connections = 20;
        settings.server.header_read_timeout_ms = 10_000;
    })
    .await;
    let address = socket_address(&app);
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(&address).await.unwrap());
    }
    // Let the accept loop take all twenty.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..10 {
        let started = Instant::now();
        let mut excess = TcpStream::connect(&address).await.unwrap();
        let (received, closed_at) = read_until_closed(&mut excess, Duration::from_secs(2))
            .await
            .expect("an excess connection is closed");
        let took = closed_at - started;
        assert!(took < Duration::from_millis(100), "refused after {took:?}");
        let text = String::from_utf8_lossy(&received);
        assert!(text.starts_with("HTTP/1.1 503"), "{text}");
        assert!(
            text.to_ascii_lowercase().contains("retry-after: 1"),
            "{text}"
        );
        assert!(text.contains("OperationOutcome"), "{text}");
    }
    drop(held);
    // The slots come back as the held connections close.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let response = app
            .client
            .get(format!("{}/healthz", app.address))
            .send()
            .await;
        if response.as_ref().is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "the service serves again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("oms_cds_connections_refused_total 10"),
        "refusals are counted:\n{metrics}"
    );
    app.stop().await;
}

//! The real binary: restarts keep feedback, SIGTERM finishes in-flight requests.

use std::time::Duration;

use oms_cds::config::StorageSettings;
use oms_cds::identifiers::CardUuid;
use oms_cds::storage::Store;
use oms_cds::wire::feedback::OutcomeKind;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{client, minimal_order_sign, spawn_binary, temp_dir, ORDER_SIGN_ID};

#[tokio::test]
async fn feedback_survives_a_restart_on_the_sqlite_file() {
    let database_url = format!("sqlite://{}", temp_dir().join("restart.db").display());
    let env = [
        ("OMS_CDS_DATABASE_URL", database_url.as_str()),
        ("OMS_CDS__AUTH__REQUIRED", "false"),
    ];
    let card = uuid::Uuid::new_v4().to_string();

    let first = spawn_binary(&env).await;
    let response = client()
        .post(format!(
            "{}/cds-services/{ORDER_SIGN_ID}/feedback",
            first.address
        ))
        .json(&json!({"feedback": [{"card": card, "outcome": "overridden",
                                     "outcomeTimestamp": "2026-11-25T10:00:00Z"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, _) = first.terminate();
    assert!(status.success(), "{status}");

    let second = spawn_binary(&env).await;
    let store = Store::connect(&StorageSettings {
        database_url,
        ..Default::default()
    })
    .await
    .unwrap();
    let card = CardUuid::parse(&card).unwrap();
    let rows = store.feedback_for_card(&card).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome, OutcomeKind::Overridden);
    drop(second);
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    let database_url = format!("sqlite://{}", temp_dir().join("shutdown.db").display());
    let running = spawn_binary(&[
        ("OMS_CDS_DATABASE_URL", database_url.as_str()),
        ("OMS_CDS__AUTH__REQUIRED", "false"),
    ])
    .await;
    let body = minimal_order_sign().to_string();
    let (head, tail) = body.as_bytes().split_at(body.len() / 2);
    let host = running.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request_head = format!(
        "POST /cds-services/{ORDER_SIGN_ID} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request_head.as_bytes()).await.unwrap();
    stream.write_all(head).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Ask the service to stop while the request is half sent, then finish sending it.
    let pid = running.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(tail).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"cards\""), "{response}");

    let (status, logs) = running.terminate_after_signal();
    assert!(status.success(), "{status}\n{logs}");
    assert!(logs.contains("shutdown requested"), "{logs}");
}

//! Two `oms-cds serve` processes sharing the real PostgreSQL, as behind a load balancer: they
//! share feedback, the replay cache, and nothing acknowledged is lost when one is killed.

use std::sync::Arc;

use oms_cds::auth::LocalIssuer;
use oms_cds::config::StorageSettings;
use oms_cds::identifiers::CardUuid;
use oms_cds::storage::Store;
use serde_json::{json, Value};

use crate::helpers::{
    client, feedback_summary, minimal_order_sign, post_with_bearer, spawn_binary, temp_dir,
    RunningBinary, ORDER_SIGN_ID,
};

/// Both replicas answer to the same public URL, as they would behind one load balancer.
const PUBLIC_BASE_URL: &str = "https://cds.example.org";
const ADMIN_TOKEN: &str = "replica-admin-token-0123456789abcdef";

async fn spawn_replica(database_url: &str, jwks_file: &str) -> RunningBinary {
    let issuers = format!(
        r#"[{{iss = "urn:oms-cds:demo", jwks_file = "{jwks_file}", algorithms = ["ES384"]}}]"#
    );
    spawn_binary(&[
        ("OMS_CDS_DATABASE_URL", database_url),
        ("OMS_CDS_PUBLIC_BASE_URL", PUBLIC_BASE_URL),
        ("OMS_CDS__AUTH__ISSUERS", issuers.as_str()),
        ("OMS_CDS__ADMIN__TOKEN", ADMIN_TOKEN),
    ])
    .await
}

fn feedback_for(card: &str) -> Value {
    json!({"feedback": [{"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-25T10:00:00Z",
        "overrideReason": {"reason": {"system": "https://oms-cds.dev/fhir/CodeSystem/override-reason",
                                       "code": "replica-test", "display": "Replica test"}}}]})
}

#[tokio::test]
async fn two_replicas_share_feedback_replay_protection_and_lose_nothing_acknowledged() {
    let Ok(database_url) = std::env::var("OMS_CDS_TEST_POSTGRES_URL") else {
        eprintln!("skipping: OMS_CDS_TEST_POSTGRES_URL is not set (two replicas need a shared PostgreSQL)");
        return;
    };
    let issuer = Arc::new(LocalIssuer::generate().unwrap());
    let jwks_file = temp_dir().join("jwks.json");
    std::fs::write(&jwks_file, issuer.jwk_set().to_string()).unwrap();
    let jwks_file = jwks_file.display().to_string();
    let mut first = spawn_replica(&database_url, &jwks_file).await;
    let second = spawn_replica(&database_url, &jwks_file).await;
    let service_aud = format!("{PUBLIC_BASE_URL}/cds-services/{ORDER_SIGN_ID}");
    let feedback_aud = format!("{service_aud}/feedback");
    let http = client();

    // Feedback written through the first is in the second's governance summary.
    let card = uuid::Uuid::new_v4().to_string();
    let response = post_with_bearer(
        &http,
        &format!("{}/cds-services/{ORDER_SIGN_ID}/feedback", first.address),
        &issuer.mint(&feedback_aud).unwrap(),
        &feedback_for(&card),
    )
    .await;
    assert_eq!(response.status(), 200);
    let summary = feedback_summary(&http, &second.address, ADMIN_TOKEN).await;
    let reasons = summary.to_string();
    assert!(reasons.contains("replica-test"), "{summary}");

    // A token used on the first is refused on the second.
    let token = issuer.mint(&service_aud).unwrap();
    let request = minimal_order_sign();
    let service_url =
        |replica: &RunningBinary| format!("{}/cds-services/{ORDER_SIGN_ID}", replica.address);
    let used = post_with_bearer(&http, &service_url(&first), &token, &request).await;
    assert_eq!(used.status(), 200);
    let replayed = post_with_bearer(&http, &service_url(&second), &token, &request).await;
    assert_eq!(replayed.status(), 401);

    // Kill the first mid-load: every feedback it acknowledged is in the database.
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (http, issuer, acknowledged) =
            (http.clone(), Arc::clone(&issuer), Arc::clone(&acknowledged));
        let (url, aud) = (
            format!("{}/cds-services/{ORDER_SIGN_ID}/feedback", first.address),
            feedback_aud.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let card = uuid::Uuid::new_v4().to_string();
                let token = issuer.mint(&aud).unwrap();
                match http
                    .post(&url)
                    .bearer_auth(token)
                    .json(&feedback_for(&card))
                    .send()
                    .await
                {
                    Ok(response) if response.status() == 200 => {
                        acknowledged.lock().unwrap().push(card)
                    }
                    _ => break,
                }
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    first.child.kill().unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let store = Store::connect(&StorageSettings {
        database_url,
        ..Default::default()
    })
    .await
    .unwrap();
    for card in &acknowledged {
        let rows = store
            .feedback_for_card(&CardUuid::parse(card).unwrap())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "acknowledged feedback for {card} was lost");
    }
    assert!(acknowledged.len() >= 50);
    eprintln!(
        "{} feedback calls acknowledged before the kill; all are stored",
        acknowledged.len()
    );
    drop(second);
}

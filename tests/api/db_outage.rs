//! A database outage seen from outside: the service reaches the real PostgreSQL through a
//! [`FaultProxy`] that refuses or stalls connections (the database itself is never stopped).
//! Calls that need the database get a prompt 503 with `Retry-After` and an OperationOutcome,
//! never a 401 or a hang; `/readyz` fails fast; everything works again when the database is
//! back; no feedback acknowledged with a 2xx is lost. And the replay table is purged.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oms_cds::auth::LocalIssuer;
use oms_cds::config::{Settings, StorageSettings};
use oms_cds::identifiers::CardUuid;
use oms_cds::startup::Application;
use oms_cds::state::LocalTrust;
use oms_cds::storage::Store;
use serde_json::{json, Value};

use crate::fault_proxy::{FaultProxy, Mode};
use crate::helpers::{client, get_text, minimal_order_sign, test_settings, ORDER_SIGN_ID};

/// The promise to an EHR: a fault is answered within this.
const PROMPT: Duration = Duration::from_millis(1500);

fn postgres_url() -> Option<String> {
    let url = std::env::var("OMS_CDS_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        eprintln!("skipping: OMS_CDS_TEST_POSTGRES_URL is not set (the outage is simulated in front of PostgreSQL)");
    }
    url
}

/// The database's address, for the proxy to forward to.
fn upstream(database_url: &str) -> SocketAddr {
    let url = reqwest::Url::parse(database_url).unwrap();
    let host = url.host_str().unwrap().to_owned();
    let port = url.port().unwrap_or(5432);
    (host, port).to_socket_addrs().unwrap().next().unwrap()
}

/// The same database URL, reached through the proxy.
fn through(proxy: &FaultProxy, database_url: &str) -> String {
    let mut url = reqwest::Url::parse(database_url).unwrap();
    url.set_ip_host(proxy.address().ip()).unwrap();
    url.set_port(Some(proxy.address().port())).unwrap();
    url.to_string()
}

/// A service in this process whose public URL is its own address (the `aud` of its tokens).
struct Service {
    address: String,
    issuer: Arc<LocalIssuer>,
    http: reqwest::Client,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// One answer, with how long it took.
#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Value,
    took: Duration,
}

impl Service {
    async fn spawn(database_url: &str, auth: bool, configure: impl FnOnce(&mut Settings)) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = test_settings();
        settings.listen = listener.local_addr().unwrap();
        drop(listener);
        settings.public_base_url = address.clone();
        settings.auth.required = auth;
        settings.storage.database_url = database_url.to_owned();
        configure(&mut settings);
        let issuer = Arc::new(LocalIssuer::generate().unwrap());
        let local = LocalTrust {
            issuer: Arc::clone(&issuer),
            serve_tokens: false,
        };
        let application = Application::build_with(settings, Some(local))
            .await
            .unwrap();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(application.run_until(async {
            let _ = stopped.await;
        }));
        Service {
            address,
            issuer,
            http: client(),
            shutdown,
            task,
        }
    }

    /// POSTs `body` to `path` with a fresh token (as an EHR does for every call, retries too).
    async fn post(&self, path: &str, body: &Value) -> Answer {
        let url = format!("{}{path}", self.address);
        let token = self.issuer.mint(&url).unwrap();
        let started = Instant::now();
        let response = self
            .http
            .post(&url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        answer(response, started).await
    }

    async fn service_call(&self) -> Answer {
        self.post(
            &format!("/cds-services/{ORDER_SIGN_ID}"),
            &minimal_order_sign(),
        )
        .await
    }

    async fn feedback(&self, card: &str) -> Answer {
        let suggestion = uuid::Uuid::new_v4().to_string();
        let body = json!({"feedback": [{"card": card, "outcome": "accepted",
            "acceptedSuggestions": [{"id": suggestion}], "outcomeTimestamp": "2026-11-25T10:00:00Z"}]});
        self.post(&format!("/cds-services/{ORDER_SIGN_ID}/feedback"), &body)
            .await
    }

    async fn readyz(&self) -> Answer {
        let started = Instant::now();
        let response = self
            .http
            .get(format!("{}/readyz", self.address))
            .send()
            .await
            .unwrap();
        answer(response, started).await
    }

    /// The value of one `oms_cds_storage_faults_total` series.
    async fn storage_faults(&self, operation: &str, kind: &str) -> u64 {
        let metrics = get_text(&self.http, &format!("{}/metrics", self.address)).await;
        let series =
            format!("oms_cds_storage_faults_total{{operation=\"{operation}\",kind=\"{kind}\"}} ");
        let line = metrics
            .lines()
            .find(|line| line.starts_with(&series))
            .unwrap_or_else(|| panic!("no {series} in {metrics}"));
        line[series.len()..].parse().unwrap()
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        self.task.await.unwrap().unwrap();
    }
}

async fn answer(response: reqwest::Response, started: Instant) -> Answer {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let took = started.elapsed();
    Answer {
        status,
        retry_after,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        took,
    }
}

/// The answer an EHR needs during an outage: 503, when to retry, why, and promptly.
fn assert_prompt_transient_503(what: &str, answer: &Answer) {
    assert_eq!(answer.status, 503, "{what}: {answer:?}");
    let retry_after: u64 = answer
        .retry_after
        .as_deref()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{what}: Retry-After in seconds: {answer:?}"));
    assert!((1..=5).contains(&retry_after), "{what}: {answer:?}");
    assert_eq!(answer.body["resourceType"], "OperationOutcome", "{what}");
    assert_eq!(answer.body["issue"][0]["code"], "transient", "{what}");
    assert!(answer.took < PROMPT, "{what} took {:?}", answer.took);
}

/// Posts feedback about new cards, one after another, for as long as it runs (a busy EHR), and
/// remembers which were acknowledged.
struct Feeder {
    outcomes: Arc<Mutex<Vec<(String, u16)>>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Feeder {
    fn start(service: &Arc<Service>) -> Feeder {
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let (service, recorded) = (Arc::clone(service), Arc::clone(&outcomes));
        let task = tokio::spawn(async move {
            while !*stopped.borrow_and_update() {
                let card = uuid::Uuid::new_v4().to_string();
                let answer = service.feedback(&card).await;
                recorded.lock().unwrap().push((card, answer.status));
                tokio::select! {
                    _ = stopped.changed() => {}
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
            }
        });
        Feeder {
            outcomes,
            stop,
            task,
        }
    }

    /// Stops and returns every card with the status its feedback got.
    async fn stop(self) -> Vec<(String, u16)> {
        self.stop.send_replace(true);
        self.task.await.unwrap();
        self.outcomes.lock().unwrap().clone()
    }
}

/// Every feedback acknowledged with a 2xx is in the database (read directly, not through the
/// proxy); returns how many were acknowledged and how many refused with 503.
async fn assert_no_acknowledged_feedback_lost(
    database_url: &str,
    outcomes: &[(String, u16)],
) -> (usize, usize) {
    let store = Store::connect(&StorageSettings {
        database_url: database_url.to_owned(),
        ..StorageSettings::default()
    })
    .await
    .unwrap();
    let mut acknowledged = 0;
    for (card, status) in outcomes {
        assert!(
            matches!(status, 200 | 503),
            "feedback answered {status}, not 200 or 503"
        );
        if *status == 200 {
            acknowledged += 1;
            let rows = store
                .feedback_for_card(&CardUuid::parse(card).unwrap())
                .await
                .unwrap();
            assert_eq!(rows.len(), 1, "acknowledged feedback for {card} was lost");
        }
    }
    store.close().await;
    (acknowledged, outcomes.len() - acknowledged)
}

#[tokio::test]
async fn with_the_database_unreachable_authenticated_calls_get_a_prompt_503_not_a_401() {
    let Some(database_url) = postgres_url() else {
        return;
    };
    let proxy = FaultProxy::start(upstream(&database_url)).await;
    let service = Arc::new(Service::spawn(&through(&proxy, &database_url), true, |_| {}).await);
    assert_eq!(service.service_call().await.status, 200);
    assert_eq!(service.readyz().await.status, 200);
    let feeder = Feeder::start(&service);

    for mode in [Mode::Refuse, Mode::Stall] {
        proxy.set(mode);
        let call = service.service_call().await;
        assert_prompt_transient_503(&format!("service call, {mode:?}"), &call);
        let card = uuid::Uuid::new_v4().to_string();
        let feedback = service.feedback(&card).await;
        assert_prompt_transient_503(&format!("feedback, {mode:?}"), &feedback);
        let ready = service.readyz().await;
        assert_eq!(ready.status, 503, "{mode:?}: {ready:?}");
        assert_eq!(ready.body["storage"], "unavailable", "{mode:?}");
        assert!(ready.took < PROMPT, "readyz, {mode:?}: {:?}", ready.took);
        eprintln!(
            "{mode:?}: service call 503 in {:?}, feedback 503 in {:?}, readyz 503 in {:?}",
            call.took, feedback.took, ready.took
        );
    }

    proxy.set(Mode::Forward);
    let call = service.service_call().await;
    assert_eq!(call.status, 200, "{call:?}");
    let card = uuid::Uuid::new_v4().to_string();
    let feedback = service.feedback(&card).await;
    assert_eq!(feedback.status, 200, "{feedback:?}");
    assert_eq!(service.readyz().await.status, 200);
    eprintln!(
        "back: service call 200 in {:?}, feedback 200 in {:?}",
        call.took, feedback.took
    );

    let mut outcomes = feeder.stop().await;
    outcomes.push((card, feedback.status));
    let (acknowledged, refused) =
        assert_no_acknowledged_feedback_lost(&database_url, &outcomes).await;
    assert!(
        acknowledged > 0 && refused > 0,
        "{acknowledged} acknowledged, {refused} refused"
    );
    let replay_faults = service.storage_faults("replay", "timeout").await
        + service.storage_faults("replay", "unavailable").await;
    let readiness_faults = service.storage_faults("readiness", "timeout").await
        + service.storage_faults("readiness", "unavailable").await;
    assert!(replay_faults >= 2, "{replay_faults}");
    assert!(readiness_faults >= 2, "{readiness_faults}");
    eprintln!(
        "feedback during the test: {acknowledged} acknowledged (all stored), {refused} refused \
         with 503; storage faults counted: replay {replay_faults}, readiness {readiness_faults}"
    );
    Arc::into_inner(service).unwrap().stop().await;
}

#[tokio::test]
async fn a_feedback_write_that_cannot_reach_the_database_is_a_prompt_503_and_never_acknowledged() {
    let Some(database_url) = postgres_url() else {
        return;
    };
    let proxy = FaultProxy::start(upstream(&database_url)).await;
    // Without auth the replay check is skipped: the feedback write itself meets the outage.
    let service = Arc::new(Service::spawn(&through(&proxy, &database_url), false, |_| {}).await);
    let feeder = Feeder::start(&service);
    tokio::time::sleep(Duration::from_millis(100)).await;

    for mode in [Mode::Stall, Mode::Refuse] {
        proxy.set(mode);
        let card = uuid::Uuid::new_v4().to_string();
        let feedback = service.feedback(&card).await;
        assert_prompt_transient_503(&format!("feedback, {mode:?}"), &feedback);
        eprintln!("{mode:?}: feedback 503 in {:?}", feedback.took);
    }
    proxy.set(Mode::Forward);
    let card = uuid::Uuid::new_v4().to_string();
    let feedback = service.feedback(&card).await;
    assert_eq!(feedback.status, 200, "{feedback:?}");

    let mut outcomes = feeder.stop().await;
    outcomes.push((card, feedback.status));
    let (acknowledged, refused) =
        assert_no_acknowledged_feedback_lost(&database_url, &outcomes).await;
    assert!(
        acknowledged > 0 && refused > 0,
        "{acknowledged} acknowledged, {refused} refused"
    );
    let feedback_faults = service.storage_faults("feedback", "timeout").await
        + service.storage_faults("feedback", "unavailable").await;
    assert!(feedback_faults >= 2, "{feedback_faults}");
    Arc::into_inner(service).unwrap().stop().await;
}

#[tokio::test]
async fn expired_replay_rows_are_purged_in_batches_while_live_ones_stay() {
    let Some(database_url) = postgres_url() else {
        return;
    };
    let service = Service::spawn(&database_url, true, |settings| {
        settings.storage.replay_purge_interval_secs = 1;
        settings.storage.replay_purge_batch = 100;
    })
    .await;
    // Rows of an issuer of this test only: other tests share the table.
    let issuer = format!("urn:oms-cds:purge-test:{}", uuid::Uuid::new_v4());
    let db = sqlx::PgPool::connect(&database_url).await.unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Inserted after the service started: the periodic round, not the one at start, finds them.
    sqlx::query(
        "INSERT INTO jwt_replay (issuer, jti, expires_at) \
         SELECT $1, 'expired-' || n, $2 FROM generate_series(1, 250) AS n",
    )
    .bind(&issuer)
    .bind(now - 60)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("INSERT INTO jwt_replay (issuer, jti, expires_at) VALUES ($1, 'live', $2)")
        .bind(&issuer)
        .bind(now + 600)
        .execute(&db)
        .await
        .unwrap();

    let count = |jti_prefix: &'static str| {
        let (db, issuer) = (db.clone(), issuer.clone());
        async move {
            let (count,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM jwt_replay WHERE issuer = $1 AND jti LIKE $2")
                    .bind(&issuer)
                    .bind(format!("{jti_prefix}%"))
                    .fetch_one(&db)
                    .await
                    .unwrap();
            count
        }
    };
    let started = Instant::now();
    while count("expired-").await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "expired rows are still there after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "250 expired rows purged {:?} after insertion",
        started.elapsed()
    );
    assert_eq!(count("live").await, 1, "an unexpired jti is kept");
    assert_eq!(service.storage_faults("purge", "error").await, 0);

    sqlx::query("DELETE FROM jwt_replay WHERE issuer = $1")
        .bind(&issuer)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    service.stop().await;
}
